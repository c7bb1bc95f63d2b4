"""The Web SDK's avatar and what it shows over it, in real headless Chromium: each view drawn from the
companion's images (screenshots kept in the artifacts directory, and checked by pixel: round is a circle,
rectangle the full frame with its backdrop, silhouette the cut-out on a transparent canvas), initials
when the image cannot load, the disclaimer (default, custom, disabled), and the inactivity countdown
from the server's warning up to the session's end."""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO

import pytest
from PIL import Image
from playwright.sync_api import Page

from tests.e2e.builders import new_agent
from tests.e2e.web_sdk_pages import (
    AVATAR_BACKGROUND,
    PAGE_BACKGROUND,
    SKIN,
    SdkPageServer,
    canvas_alpha,
    companion_images,
    events,
    open_sdk_page,
    page_errors,
    stats,
    wait_for_event,
    webrtc_token,
)

TEXT = {"modality": "text"}  # no microphone: these pages only look and listen
CORNERS = [(0.01, 0.01), (0.99, 0.01), (0.01, 0.99), (0.99, 0.99)]


@pytest.fixture(scope="module")
def pages() -> Iterator[SdkPageServer]:
    with SdkPageServer() as server:
        yield server


def _close(colour: tuple[int, ...], expected: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour[:3], expected, strict=True))


def _avatar_screenshot(page: Page, path) -> Image.Image:
    """The mount container as the user sees it (saved for people), as RGB pixels (checked here)."""
    shot = page.locator("#mount").screenshot(path=str(path))
    return Image.open(BytesIO(shot)).convert("RGB")


def _at(image: Image.Image, fx: float, fy: float) -> tuple[int, ...]:
    x = min(image.width - 1, int(fx * image.width))
    y = min(image.height - 1, int(fy * image.height))
    pixel = image.getpixel((x, y))
    assert isinstance(pixel, tuple)
    return pixel


def _open_view(platform, model_key, chromium, pages, view: str, **options) -> Page:
    agent = new_agent(platform, model_key)
    token, _ = webrtc_token(
        platform,
        model_key,
        agent["id"],
        companion={"name": "Ava Stone", **companion_images(pages)},
        connection_body=TEXT,
    )
    page = open_sdk_page(chromium, pages, platform, token, {"avatarStyle": {"view": view}, **options})
    page.wait_for_function("() => window.avatarReadyCount === 1 && window.agent.stats.framesDrawn > 3")
    return page


def test_round_is_the_face_masked_to_a_circle(platform, model_key, chromium, pages, artifacts_dir):
    page = _open_view(platform, model_key, chromium, pages, "round")
    try:
        shot = _avatar_screenshot(page, artifacts_dir / "web_sdk_view_round.png")
        alpha = canvas_alpha(page, [*CORNERS, (0.5, 0.5), (0.5, 0.03), (0.03, 0.5)])
        seen = stats(page)
    finally:
        page.context.close()

    assert all(_close(_at(shot, *corner), PAGE_BACKGROUND) for corner in CORNERS)  # outside the circle
    assert _close(_at(shot, 0.5, 0.5), SKIN)  # the face, zoomed in the middle
    assert alpha[:4] == [0, 0, 0, 0] and alpha[4:] == [255, 255, 255]  # corners clear, the disc opaque
    assert (seen["view"], seen["renderer"]) == ("round", "canvas")


def test_rectangle_is_the_full_frame_with_its_background(platform, model_key, chromium, pages, artifacts_dir):
    page = _open_view(platform, model_key, chromium, pages, "rectangle")
    try:
        shot = _avatar_screenshot(page, artifacts_dir / "web_sdk_view_rectangle.png")
        alpha = canvas_alpha(page, [*CORNERS, (0.5, 0.5)])
    finally:
        page.context.close()

    # The portrait's own backdrop reaches the top corners (the bottom ones are behind the rounded box).
    assert _close(_at(shot, 0.03, 0.03), AVATAR_BACKGROUND) and _close(
        _at(shot, 0.97, 0.03), AVATAR_BACKGROUND
    )
    assert _close(_at(shot, 0.5, 0.45), SKIN)
    assert alpha == [255] * 5


def test_silhouette_floats_on_a_transparent_canvas(platform, model_key, chromium, pages, artifacts_dir):
    page = _open_view(platform, model_key, chromium, pages, "silhouette")
    try:
        shot = _avatar_screenshot(page, artifacts_dir / "web_sdk_view_silhouette.png")
        above_the_head, head = (0.5, 0.04), (0.5, 0.42)
        alpha = canvas_alpha(page, [*CORNERS, above_the_head, head])
        root_background = page.evaluate(
            "() => getComputedStyle(document.querySelector('.omniagent-root')).backgroundColor"
        )
    finally:
        page.context.close()

    assert alpha[:5] == [0, 0, 0, 0, 0]  # no background: the page shows through
    assert alpha[5] == 255
    assert _close(_at(shot, 0.02, 0.02), PAGE_BACKGROUND) and _close(
        _at(shot, *above_the_head), PAGE_BACKGROUND
    )
    assert _close(_at(shot, *head), SKIN)
    assert root_background == "rgba(0, 0, 0, 0)"
    assert "/silhouette.png" in pages.image_requests


def test_the_view_defaults_to_the_tokens_and_a_missing_image_draws_initials(
    platform, model_key, chromium, pages, artifacts_dir
):
    agent = new_agent(platform, model_key)
    missing = {"name": "Ava Stone", "avatarUrl": f"{pages.origin}/gone.png", "silhouetteUrl": None}
    token, _ = webrtc_token(
        platform, model_key, agent["id"], companion=missing, view="rectangle", connection_body=TEXT
    )
    page = open_sdk_page(chromium, pages, platform, token)
    try:
        failed = wait_for_event(page, "error", code="AvatarImageUnavailable")
        page.wait_for_function("() => window.avatarReadyCount === 1")
        shot = _avatar_screenshot(page, artifacts_dir / "web_sdk_view_placeholder.png")
        seen = stats(page)
    finally:
        page.context.close()

    assert "gone.png" in failed["data"]["message"]
    assert seen["view"] == "rectangle"
    assert _close(_at(shot, 0.5, 0.3), (0x4B, 0x5D, 0x7A))  # the initials' disc
    assert _close(_at(shot, 0.03, 0.03), (0xD9, 0xDD, 0xE3))  # the placeholder's frame
    assert page_errors(page) == []


@pytest.mark.parametrize(
    ("features", "shown"),
    [
        ({}, "This is an AI-generated avatar"),
        ({"disclaimer": {"text": "You are talking to an AI."}}, "You are talking to an AI."),
        ({"disclaimer": {"enabled": False}}, None),
    ],
)
def test_the_disclaimer_shows_over_the_avatar(platform, model_key, chromium, pages, features, shown):
    page = _open_view(platform, model_key, chromium, pages, "round", features=features)
    try:
        visible = page.is_visible(".omniagent-disclaimer")
        text = page.inner_text(".omniagent-disclaimer") if visible else None
        inside = page.evaluate(
            """() => { const d = document.querySelector('.omniagent-disclaimer').getBoundingClientRect();
                       const a = document.querySelector('#mount').getBoundingClientRect();
                       return d.left >= a.left && d.right <= a.right
                           && d.top >= a.top && d.bottom <= a.bottom; }"""
        )
    finally:
        page.context.close()

    assert text == shown
    assert visible == (shown is not None)
    assert inside or shown is None


def test_the_inactivity_countdown_appears_activity_hides_it_and_the_session_ends(
    platform, model, model_key, chromium, pages, artifacts_dir
):
    # The shortest the agent allows: warned after 5 s without the user, ended 5 s later.
    agent = new_agent(platform, model_key, inactivity={"timeoutSeconds": 10, "countdownSeconds": 5})
    model.reply_text("Still here.")
    token, decoded = webrtc_token(platform, model_key, agent["id"], connection_body=TEXT)
    page = open_sdk_page(chromium, pages, platform, token)
    try:
        first = wait_for_event(page, "inactivity_warning")
        page.wait_for_selector(".omniagent-countdown", state="visible")
        countdown = page.inner_text(".omniagent-countdown")
        page.screenshot(path=str(artifacts_dir / "web_sdk_inactivity_countdown.png"))
        page.evaluate(
            "() => window.agent.sendCommand({type: 'send_message', data: {role: 'user', text: 'Wait'}})"
        )
        hidden_after_activity = page.is_hidden(".omniagent-countdown")
        wait_for_event(page, "message_received", role="assistant", action="completed", content="Still here.")
        page.wait_for_function(
            "() => window.omniagentEvents.filter((e) => e.event === 'inactivity_warning').length === 2"
        )
        page.wait_for_selector(".omniagent-countdown", state="visible")
        ended = wait_for_event(page, "session_ended")
        page.wait_for_selector(".omniagent-ended", state="visible")
        page.screenshot(path=str(artifacts_dir / "web_sdk_session_ended.png"))
        after = stats(page)
        countdown_hidden_at_end = page.is_hidden(".omniagent-countdown")
        names = [e["event"] for e in events(page)]
    finally:
        page.context.close()

    assert decoded["inactivity"] == {"enabled": True, "timeoutSeconds": 10, "countdownSeconds": 5}
    assert first["data"] == {"seconds_remaining": 5}
    assert "The session ends in" in countdown and countdown.split()[-1] in ("5s", "4s")
    assert hidden_after_activity
    assert ended["data"]["reason"] == "inactivity"
    assert after["ended"] and countdown_hidden_at_end
    assert names[-1] == "session_ended" and "reconnecting" not in names  # an end, not a lost connection


def test_a_disabled_countdown_is_not_shown_and_the_server_still_ends_the_session(
    platform, model_key, chromium, pages
):
    agent = new_agent(platform, model_key, inactivity={"timeoutSeconds": 10, "countdownSeconds": 5})
    token, _ = webrtc_token(platform, model_key, agent["id"], connection_body=TEXT)
    page = open_sdk_page(
        chromium, pages, platform, token, {"features": {"inactiveTimeout": {"enabled": False}}}
    )
    try:
        wait_for_event(page, "inactivity_warning")
        hidden = page.is_hidden(".omniagent-countdown")
        wait_for_event(page, "session_ended")
        page.wait_for_selector(".omniagent-ended", state="visible")
    finally:
        page.context.close()

    assert hidden
