"""The Playground (/playground) in real headless Chromium, as a person uses it: the local sign-in, the
organization / project / key / agent pickers, connect (a webrtc connection through the served Web SDK),
the greeting in the transcript, a spoken question through the fake microphone answered in text and
audio with its latency shown, a typed message answered, an implicit tool answered from its form, a
Member without the key picker, and an API refusal shown in words beside the picker that caused it.

Organizations, projects, keys and agents are made through the APIs, as a customer would; the model is
the scripted OpenAI fake (it transcribes every utterance as the text set here and speaks a tone).
Screenshots of each step go to ``artifacts_dir`` (playground-*.png)."""

from __future__ import annotations

import io
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, Page, expect

from tests.e2e.builders import new_agent, new_weather_function
from tests.fakes.scripted_openai import RecordedRequest, TextReply, ToolCall, ToolCallsReply
from tests.management.manage_client import Caller, fresh_email

GREETING = "Welcome to Bistro Nine! How can I help?"
HEARD = "What are your hours on Saturday?"
HOURS_ANSWER = "We are open from nine to five on Saturdays."
TYPED_ANSWER = "Our terrace seats twelve people."
WEATHER_ANSWER = "It is sunny in Paris today."
WAIT_MS = 60_000


@dataclass(frozen=True)
class World:
    admin_email: str
    member_email: str
    organization_id: str
    project_id: str
    key: str  # the project's key (X-Api-Key), whose provider is the scripted model
    agent_id: str

    @property
    def key_headers(self) -> dict[str, str]:
        return {"X-Api-Key": self.key}


def _model_answers(request: RecordedRequest) -> TextReply | ToolCallsReply:
    """Content-dependent, endless: the weather question calls the implicit tool, its result is read
    out, anything spoken is the hours question, any other typed text gets the terrace answer."""
    last = request.messages[-1] if request.messages else {}
    if last.get("role") == "tool":
        return TextReply(WEATHER_ANSWER)
    said = str(last.get("content") or "")
    if "weather" in said.lower():
        return ToolCallsReply((ToolCall("get_weather", {"city": "Paris"}, id="call_weather_1"),))
    if "hours" in said.lower():
        return TextReply(HOURS_ANSWER)
    return TextReply(TYPED_ANSWER)


@pytest.fixture
def world(platform, user_token, model) -> World:
    model.transcribe_as(HEARD).respond_with(_model_answers)
    admin_email, member_email = fresh_email("admin"), fresh_email("member")
    admin = Caller(platform, user_token(admin_email))
    organization = admin.ok("POST", "/manage/organizations", 201, json={"name": "Bistro Nine"})
    org = organization["id"]
    admin.ok(
        "POST", f"/manage/organizations/{org}/members", 201, json={"email": member_email, "role": "member"}
    )
    project = admin.ok("POST", f"/manage/organizations/{org}/projects", 201, json={"name": "Website"})
    provider = model.provider(apiKey="sk-scripted")
    created = admin.ok(
        "POST",
        f"/manage/projects/{project['id']}/api-keys",
        201,
        json={"name": "Scripted", "provider": provider},
    )
    key = _KeyHeaders(created["key"])
    function = new_weather_function(platform, key)
    agent = new_agent(platform, key, name="Host", greeting=GREETING, functions=[function["id"]])
    return World(admin_email, member_email, org, project["id"], created["key"], agent["id"])


@dataclass(frozen=True)
class _KeyHeaders:
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Api-Key": self.key}


def _shot(page: Page, directory: Path, name: str) -> None:
    page.screenshot(path=str(directory / f"playground-{name}.png"), full_page=True)


def _open(browser: Browser, platform) -> Page:
    context = browser.new_context(viewport={"width": 1360, "height": 1000})
    page = context.new_page()
    page.goto(platform.url("/playground"))
    return page


def _sign_in_locally(page: Page, email: str) -> None:
    expect(page.get_by_text("Local sign-in (development only)")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Sign in locally").click()
    expect(page.locator("#signed-in-note")).to_contain_text(email.lower())


def _pick(page: Page, world: World) -> None:
    """One organization and one project: picked by themselves; the agent too (the only one)."""
    expect(page.get_by_label("Organization")).to_have_value(world.organization_id)
    expect(page.get_by_label("Project", exact=True)).to_have_value(world.project_id)
    expect(page.get_by_label("Agent", exact=True)).to_have_value(world.agent_id)
    expect(page.get_by_role("button", name="Connect")).to_be_enabled()


def _connect(page: Page) -> None:
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("button", name="End session")).to_be_enabled(timeout=WAIT_MS)
    _agent_says(page, GREETING)


def _agent_says(page: Page, text: str) -> None:
    answer = page.locator('#transcript li[data-role="assistant"][data-state="done"]', has_text=text)
    expect(answer).to_have_count(1, timeout=WAIT_MS)


def _latency_row(page: Page, kind: str):
    return page.locator(f'#latency tr[data-kind="{kind}"]').first


def _typed_turn(page: Page, text: str, answer: str) -> None:
    page.get_by_label("Message").fill(text)
    page.get_by_role("button", name="Send").click()
    expect(page.locator('#transcript li[data-role="user"]', has_text=text)).to_have_count(1, timeout=WAIT_MS)
    _agent_says(page, answer)


def _end(page: Page) -> None:
    page.get_by_role("button", name="End session").click()
    expect(page.locator("#status")).to_contain_text("Session ended", timeout=WAIT_MS)
    expect(page.get_by_role("button", name="End session")).to_be_disabled()


def test_the_web_config_says_how_the_local_stack_signs_in(platform):
    answer = requests.get(platform.url("/public/web-config"), timeout=30)
    assert answer.status_code == 200
    assert answer.json() == {"signIn": "local", "entra": None}


def test_an_admin_signs_in_picks_a_key_connects_and_gets_a_spoken_answer(
    platform, world, chromium_with_microphone, artifacts_dir, model
):
    page = _open(chromium_with_microphone("what_are_your_hours.pcm"), platform)
    _shot(page, artifacts_dir, "1-sign-in")
    _sign_in_locally(page, world.admin_email)
    _pick(page, world)
    keys = page.get_by_label("Project key").locator("option")
    expect(keys).to_have_count(2)  # the default, and the one key, masked
    assert re.fullmatch(r"Scripted ••••.{4} \(openai-compatible\)", keys.nth(1).inner_text())
    assert world.key not in page.content()
    page.get_by_label("Project key").select_option(label=keys.nth(1).inner_text())
    expect(page.get_by_label("Agent", exact=True)).to_have_value(world.agent_id)  # listed with that key
    expect(page.get_by_label("Disclaimer text")).to_have_value("This is an AI-generated avatar")
    page.get_by_label("Silence duration (ms)").fill("600")
    _shot(page, artifacts_dir, "2-picked")

    _connect(page)
    _shot(page, artifacts_dir, "3-greeting")

    # the fake microphone says "What are your hours on Saturday?" after a second and a half
    expect(page.locator('#transcript li[data-role="user"]', has_text=HEARD)).to_have_count(1, timeout=WAIT_MS)
    _agent_says(page, HOURS_ANSWER)
    spoken = _latency_row(page, "spoken")
    expect(spoken.locator(".first-text")).to_have_text(re.compile(r"^\d+ ms$"), timeout=WAIT_MS)
    expect(spoken.locator(".first-audio")).to_have_text(re.compile(r"^\d+ ms$"), timeout=WAIT_MS)
    expect(_latency_row(page, "greeting").locator(".first-audio")).to_have_text(re.compile(r"^\d+ ms$"))
    expect(page.locator("#audio-meter")).to_have_attribute("data-chunks-played", re.compile(r"^[1-9]\d*$"))
    _shot(page, artifacts_dir, "4-spoken-answer")

    # set_settings (the turn detection) was taken: a refused command would be an error note
    expect(page.locator("#transcript li.note.error")).to_have_count(0)
    # the chosen key's model heard the utterance and answered it
    assert any(transcription.audio for transcription in model.transcriptions)
    assert any(
        "hours" in str(request.messages[-1].get("content")) for request in model.requests if request.messages
    )
    _end(page)
    _shot(page, artifacts_dir, "5-ended")


def test_typing_gets_an_answer_and_an_implicit_tool_is_answered_from_its_form(
    platform, world, chromium, artifacts_dir, model
):
    page = _open(chromium, platform)
    _sign_in_locally(page, world.admin_email)
    _pick(page, world)
    _connect(page)
    _typed_turn(page, "How many seats on the terrace?", TYPED_ANSWER)
    typed = _latency_row(page, "typed")
    expect(typed.locator(".first-text")).to_have_text(re.compile(r"^\d+ ms$"), timeout=WAIT_MS)
    _shot(page, artifacts_dir, "6-typed-answer")

    page.get_by_label("Message").fill("What is the weather in Paris?")
    page.get_by_role("button", name="Send").click()
    call = page.locator('#tool-calls li[data-call-id="call_weather_1"]')
    expect(call).to_contain_text("get_weather", timeout=WAIT_MS)
    expect(call).to_contain_text('"city": "Paris"')
    call.get_by_label("Output (JSON)").fill('{"forecast": "sunny", "celsius": 24}')
    _shot(page, artifacts_dir, "7-tool-call")
    call.get_by_role("button", name="Send output").click()
    expect(call).to_contain_text("answered")
    _agent_says(page, WEATHER_ANSWER)
    tool_results = [m for r in model.requests for m in r.messages if m.get("role") == "tool"]
    assert [json.loads(m["content"]) for m in tool_results][-1] == {"forecast": "sunny", "celsius": 24}
    _end(page)
    _shot(page, artifacts_dir, "8-tool-answered")


def test_a_member_signs_in_without_a_key_picker_and_talks(platform, world, chromium, artifacts_dir):
    page = _open(chromium, platform)
    _sign_in_locally(page, world.member_email)
    _pick(page, world)
    expect(page.get_by_label("Project key")).to_be_hidden()
    expect(page.locator("#member-key-note")).to_be_visible()
    expect(page.locator("#member-key-note")).to_contain_text("default key")
    _shot(page, artifacts_dir, "9-member")
    _connect(page)
    _typed_turn(page, "Is the terrace open?", TYPED_ANSWER)
    _end(page)


def _portrait_with_alpha() -> bytes:
    """A 16:9 PNG: a "person" (head and shoulders) on a transparent background, so the silhouette view
    has a cut-out to float."""
    image = Image.new("RGBA", (1280, 720), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((540, 140, 740, 380), fill=(224, 172, 140, 255))  # head
    draw.rounded_rectangle((430, 400, 850, 720), radius=120, fill=(40, 90, 160, 255))  # shoulders
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _give_the_companion_a_photo(platform, world: World) -> None:
    agent = requests.get(
        platform.url(f"/public/agents/{world.agent_id}"), headers=world.key_headers, timeout=30
    )
    companion = agent.json()["companionId"]
    url = platform.url(f"/public/companions/{companion}")
    put = requests.put(
        f"{url}/avatar",
        data=_portrait_with_alpha(),
        headers={**world.key_headers, "Content-Type": "image/png"},
        timeout=60,
    )
    assert put.status_code == 200, put.text
    deadline = time.monotonic() + 60
    while (
        requests.get(url, headers=world.key_headers, timeout=30).json()["avatar"]["silhouette"] == "preparing"
    ):
        assert time.monotonic() < deadline, "the avatar was never prepared"
        time.sleep(0.2)


def test_each_view_shows_the_avatar_and_a_switch_starts_a_session_in_the_new_view(
    platform, world, chromium, artifacts_dir
):
    _give_the_companion_a_photo(platform, world)
    page = _open(chromium, platform)
    _sign_in_locally(page, world.admin_email)
    _pick(page, world)
    page.get_by_label("Disclaimer text").fill("You are talking to an AI host")
    _connect(page)
    sessions = page.locator("#transcript li", has_text=re.compile(r"^Session sess_\w+ started$"))
    for number, view in enumerate(("round", "rectangle", "silhouette")):
        if number:
            page.get_by_label(view.capitalize(), exact=True).check()
            _agent_says(page, GREETING)  # a new session greets again
        expect(page.locator(f"#avatar canvas.omniagent-view-{view}")).to_be_visible(timeout=WAIT_MS)
        expect(page.locator("#avatar")).to_contain_text("You are talking to an AI host")
        expect(sessions).to_have_count(1)  # the transcript starts again with the new session
        expect(page.get_by_role("button", name="End session")).to_be_enabled(timeout=WAIT_MS)
        page.locator("#avatar").screenshot(path=str(artifacts_dir / f"playground-view-{view}.png"))
    _shot(page, artifacts_dir, "12-views")
    _end(page)


def test_an_api_refusal_is_shown_in_words_beside_the_picker_that_caused_it(
    platform, user_token, chromium, artifacts_dir
):
    """A project without any API key: the agents cannot be listed (409 NoApiKey), and the page says
    what the API said, under the agent picker."""
    admin_email = fresh_email("keyless")
    admin = Caller(platform, user_token(admin_email))
    org = admin.ok("POST", "/manage/organizations", 201, json={"name": "Keyless"})["id"]
    project = admin.ok("POST", f"/manage/organizations/{org}/projects", 201, json={"name": "Empty"})["id"]
    refusal = requests.get(
        platform.url("/public/agents"),
        headers={"Authorization": f"Bearer {user_token(admin_email)}", "X-Project-Id": project},
        timeout=30,
    )
    assert refusal.status_code == 409
    description = refusal.json()["description"]

    page = _open(chromium, platform)
    _sign_in_locally(page, admin_email)
    agent_error = page.locator("#agent-error")
    expect(agent_error).to_be_visible(timeout=WAIT_MS)
    expect(agent_error).to_contain_text(description)
    expect(agent_error).to_contain_text("NoApiKey")
    expect(page.locator("#api-key-error")).to_contain_text("no API key")
    expect(page.get_by_role("button", name="Connect")).to_be_disabled()
    _shot(page, artifacts_dir, "10-refusal")

    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email").fill("not an email")
    page.get_by_label("Email").evaluate("input => input.type = 'text'")  # past the browser's own check
    page.get_by_role("button", name="Sign in locally").click()
    expect(page.locator("#local-error")).to_contain_text("Sign-in failed:", timeout=WAIT_MS)
    expect(page.locator("#local-error")).to_contain_text("HTTP 400")
    _shot(page, artifacts_dir, "11-sign-in-refused")
