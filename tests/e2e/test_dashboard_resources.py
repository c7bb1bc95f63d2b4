"""The dashboard's resource pages (/dashboard/orgs/.../projects/...) in real headless Chromium over the
real app, as an Admin builds an agent: a companion with its avatar (dropped and picked: docs/samples/
avatar.png, checked in the page, previewed in the three views, its preparation shown live to
readyToUse), a knowledge collection whose uploads show their progress to ready and which is searched,
a tool whose JSON Schema is refused as it is typed and then accepted (its signing secret shown once,
then rotated), a FAQ collection edited inline, an agent assembled from all of them with a voice sample
played, its webrtc channel configured, and "Open in Playground" landing on the Playground with the
agent chosen.

The organization, project and key are made through /manage as a customer would; the key's model is
the scripted OpenAI fake (its speech endpoint speaks the voice samples, its embeddings index the
knowledge). What each page shows is checked against the API too. Screenshots of each page go to
``artifacts_dir`` (dashboard-resources-*.png)."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.devhost.helpers import REPO_ROOT
from tests.e2e import browser
from tests.management.manage_client import Caller, fresh_email

playwright_driver = browser.playwright_driver
chromium = browser.chromium
artifacts_dir = browser.artifacts_dir

AVATAR = REPO_ROOT / "docs" / "samples" / "avatar.png"
WAIT_MS = 30_000


@dataclass(frozen=True)
class World:
    admin_email: str
    admin: Caller
    organization_id: str
    project_id: str
    key: str

    @property
    def key_headers(self) -> dict[str, str]:
        return {"X-Api-Key": self.key}

    def base(self) -> str:
        return f"/dashboard/orgs/{self.organization_id}/projects/{self.project_id}"


@pytest.fixture
def world(platform, user_token, model) -> World:
    model.always_text("Happy to help.")
    admin_email = fresh_email("ada")
    admin = Caller(platform, user_token(admin_email))
    org = admin.ok("POST", "/manage/organizations", 201, json={"name": "Contoso"})["id"]
    project = admin.ok("POST", f"/manage/organizations/{org}/projects", 201, json={"name": "Production"})["id"]
    provider = {
        "type": "openai-compatible",
        "baseUrl": model.base_url,
        "apiKey": "sk-scripted",
        "model": "gpt-scripted",
        "transcriptionModel": "whisper-1",
        "speechModel": "tts-1",
        "embeddingModel": "text-embedding-3-small",
    }
    created = admin.ok(
        "POST", f"/manage/projects/{project}/api-keys", 201, json={"name": "Scripted", "provider": provider}
    )
    return World(admin_email, admin, org, project, created["key"])


def _shot(page: Page, directory: Path, name: str) -> None:
    page.screenshot(path=str(directory / f"dashboard-resources-{name}.png"), full_page=True)


def _signed_in(chromium: Browser, platform, world: World, path: str) -> Page:
    context = chromium.new_context(viewport={"width": 1360, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=platform.url(""))
    page = context.new_page()
    page.goto(platform.url(world.base() + path))
    page.get_by_test_id("local-email").fill(world.admin_email)
    page.get_by_test_id("local-name").fill("Ada Admin")
    page.get_by_test_id("local-submit").click()
    expect(page.get_by_test_id("who-name")).to_have_text("Ada Admin")
    return page


def _public(platform, world: World, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, platform.url(path), headers=world.key_headers, timeout=30, **kwargs)


def _drop_file(page: Page, selector: str, path: Path, mime: str) -> None:
    """A real drop event on the zone carrying the file (as a person dragging it from their desktop)."""
    data = base64.b64encode(path.read_bytes()).decode()
    page.evaluate(
        """([selector, name, mime, data]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: mime }));
            const zone = document.querySelector(selector);
            zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }));
            zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
        }""",
        [selector, path.name, mime, data],
    )


def test_a_companion_is_created_with_its_avatar_previewed_in_three_views_and_ready_to_use(
    platform, world, chromium, artifacts_dir, tmp_path
):
    page = _signed_in(chromium, platform, world, "/companions")
    expect(page.get_by_test_id("page-title")).to_have_text("Companions")
    expect(page.get_by_test_id("companions-empty")).to_be_visible()
    page.get_by_test_id("tab-stock").click()
    stock = page.get_by_test_id("stock-companions-row")
    stock_count = requests.get(
        platform.url("/public/companions/napster-stock?pageSize=10"), headers=world.key_headers, timeout=30
    ).json()
    expect(stock).to_have_count(len(stock_count["items"]))
    _shot(page, artifacts_dir, "01-companions-stock")

    page.get_by_test_id("new-companion").click()
    expect(page.get_by_test_id("avatar-rules")).to_contain_text("16:9")
    expect(page.get_by_test_id("avatar-rules")).to_contain_text("10 MB")
    page.get_by_test_id("companion-first-name").fill("Nora")
    page.get_by_test_id("companion-last-name").fill("Lind")
    page.get_by_test_id("companion-description").fill("A calm support specialist for Contoso routers.")

    # A square image is refused in the page, before anything is sent, with the measured size.
    square = tmp_path / "square.png"
    square.write_bytes(_png(800, 800))
    page.get_by_test_id("avatar-file").set_input_files(str(square))
    expect(page.get_by_test_id("avatar-refused")).to_contain_text("800×800")
    expect(page.get_by_test_id("avatar-refused")).to_contain_text("16:9")
    _shot(page, artifacts_dir, "02-avatar-refused")

    # Dropped onto the zone: checked, then shown in the three views before upload.
    _drop_file(page, '[data-testid="avatar-drop-zone"]', AVATAR, "image/png")
    expect(page.get_by_test_id("avatar-checked")).to_contain_text("1280×720")
    for view in ("round", "rectangle", "silhouette"):
        expect(page.get_by_test_id("avatar-local-preview").get_by_test_id(f"avatar-view-{view}")).to_have_attribute(
            "data-state", "drawn"
        )
    _shot(page, artifacts_dir, "03-new-companion-preview")
    page.get_by_test_id("create-companion").click()

    # The companion's page: pending while the silhouette is cut out, then ready to use.
    status = page.get_by_test_id("companion-status")
    expect(status).to_have_attribute("data-status", "readyToUse", timeout=WAIT_MS)
    expect(page.get_by_test_id("page-title")).to_have_text("Nora Lind")
    [companion] = _public(platform, world, "GET", "/public/companions").json()["items"]
    assert companion["status"] == "readyToUse" and companion["avatar"]["width"] == 1280
    expect(status).to_have_attribute("data-silhouette", companion["avatar"]["silhouette"])
    for view in ("round", "rectangle", "silhouette"):
        expect(page.get_by_test_id("avatar-preview").get_by_test_id(f"avatar-view-{view}")).to_have_attribute(
            "data-state", "drawn"
        )
    _shot(page, artifacts_dir, "04-companion-ready")

    # Replacing the avatar with the file picker: the status goes back through preparation to ready.
    page.get_by_test_id("avatar-upload-form").get_by_test_id("avatar-file").set_input_files(str(AVATAR))
    expect(page.get_by_test_id("avatar-upload-form").get_by_test_id("avatar-checked")).to_be_visible()
    page.get_by_test_id("avatar-upload").click()
    expect(page.get_by_test_id("avatar-upload-form").get_by_test_id("avatar-chosen")).to_have_count(0, timeout=WAIT_MS)
    expect(status).to_have_attribute("data-status", "readyToUse", timeout=WAIT_MS)


def _png(width: int, height: int) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()
