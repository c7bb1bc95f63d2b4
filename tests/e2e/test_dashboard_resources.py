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
import http.server
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.devhost.helpers import REPO_ROOT
from tests.fakes.scripted_openai import embedding_vector
from tests.management.manage_client import Caller, fresh_email

AVATAR = REPO_ROOT / "docs" / "samples" / "avatar.png"
WAIT_MS = 30_000
TIMES, DASH = "\u00d7", "\u2013"  # multiplication sign and en dash, as the pages write sizes and ranges


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
    project = admin.ok("POST", f"/manage/organizations/{org}/projects", 201, json={"name": "Production"})[
        "id"
    ]
    provider = model.provider(apiKey="sk-scripted", embeddingModel="text-embedding-3-small")
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
    _drop_files(page, selector, [(path.name, path.read_bytes(), mime)])


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
    expect(page.get_by_test_id("avatar-refused")).to_contain_text(f"800{TIMES}800")
    expect(page.get_by_test_id("avatar-refused")).to_contain_text("16:9")
    _shot(page, artifacts_dir, "02-avatar-refused")

    # Dropped onto the zone: checked, then shown in the three views before upload.
    _drop_file(page, '[data-testid="avatar-drop-zone"]', AVATAR, "image/png")
    expect(page.get_by_test_id("avatar-checked")).to_contain_text(f"1280{TIMES}720")
    for view in ("round", "rectangle", "silhouette"):
        expect(
            page.get_by_test_id("avatar-local-preview").get_by_test_id(f"avatar-view-{view}")
        ).to_have_attribute("data-state", "drawn")
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
    expect(page.get_by_test_id("avatar-upload-form").get_by_test_id("avatar-chosen")).to_have_count(
        0, timeout=WAIT_MS
    )
    expect(status).to_have_attribute("data-status", "readyToUse", timeout=WAIT_MS)


DROP_SCRIPT = """([selector, files]) => {
    const transfer = new DataTransfer();
    for (const [name, data, mime] of files) {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        transfer.items.add(new File([bytes], name, { type: mime }));
    }
    const zone = document.querySelector(selector);
    for (const type of ["dragover", "drop"]) {
        zone.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }
}"""


def _drop_files(page: Page, selector: str, files: list[tuple[str, bytes, str]]) -> None:
    """One drop carrying several files at once."""
    payload = [[name, base64.b64encode(data).decode(), mime] for name, data, mime in files]
    page.evaluate(DROP_SCRIPT, [selector, payload])


class _Documents(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/markdown")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def document_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Documents)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _slow_vector(text: str, dimensions: int) -> list[float]:
    time.sleep(0.005)  # a batch of 64 passages takes a third of a second: the bar has steps to show
    return embedding_vector(text, dimensions)


CARE_GUIDE = "\n\n".join(
    f"## Topic {n}\n\n" + " ".join(f"Sentence {n}.{m} about router {n} and its care." for m in range(12))
    for n in range(150)
)


def test_knowledge_uploads_show_their_progress_to_ready_and_the_collection_is_searched(
    platform, world, chromium, artifacts_dir, model, document_server
):
    model.embed_with(_slow_vector)
    page = _signed_in(chromium, platform, world, "/knowledge")
    expect(page.get_by_test_id("collections-empty")).to_be_visible()
    page.get_by_test_id("collection-name").fill("Router manuals")
    page.get_by_test_id("create-collection-submit").click()
    expect(page.get_by_test_id("collections-row")).to_have_count(1)
    page.get_by_test_id("collection-rename").click()
    page.get_by_test_id("collection-rename-name").fill("Router handbook")
    page.get_by_test_id("collection-rename-save").click()
    expect(page.get_by_test_id("collection-link")).to_have_text("Router handbook")
    [kb] = _public(platform, world, "GET", "/public/knowledge-bases").json()["items"]
    assert kb["name"] == "Router handbook"
    _shot(page, artifacts_dir, "05-knowledge")

    page.get_by_test_id("collection-link").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Router handbook")
    expect(page.get_by_test_id("upload-rules")).to_contain_text("50 MB")
    # Three files dropped at once (one of a type no collection takes), then one by URL.
    _drop_files(
        page,
        '[data-testid="files-drop-zone"]',
        [
            ("care-guide.md", CARE_GUIDE.encode(), "text/markdown"),
            (
                "reset.md",
                b"# Resetting the router\n\nHold the reset button for ten seconds.",
                "text/markdown",
            ),
            ("firmware.bin", bytes(range(256)) * 8, "application/octet-stream"),
        ],
    )
    _Documents.body = b"# Warranty\n\nEvery Contoso router has a two year warranty."
    page.get_by_test_id("document-url").fill(f"{document_server}/warranty.md")
    page.get_by_test_id("document-url-submit").click()
    attempts = page.get_by_test_id("upload-attempt")
    expect(attempts).to_have_count(4)
    refused = page.locator('[data-testid="upload-attempt"][data-state="refused"]')
    expect(refused).to_have_count(1, timeout=WAIT_MS)
    expect(refused).to_contain_text("firmware.bin")
    expect(page.locator('[data-testid="upload-attempt"][data-state="accepted"]')).to_have_count(
        3, timeout=WAIT_MS
    )
    rows = page.get_by_test_id("files-row")
    expect(rows).to_have_count(3, timeout=WAIT_MS)
    _shot(page, artifacts_dir, "06-knowledge-uploading")
    bars = page.get_by_test_id("file-progress")
    expect(page.locator('[data-testid="file-progress"][data-status="ready"]')).to_have_count(
        3, timeout=120_000
    )
    for index in range(3):
        expect(bars.nth(index)).to_have_attribute("data-progress", "100")
        expect(bars.nth(index).get_by_test_id("file-status-words")).to_contain_text("Ready:")
    care = page.locator('[data-testid="files-row"]', has_text="care-guide.md").get_by_test_id("file-progress")
    seen = [int(mark.split(":")[1]) for mark in care.get_attribute("data-seen").split()]
    # It moved: values between 0 and 100 shown on the way, never backwards, ending at 100. (The first
    # value shown is whatever ingestion had reached when the page first read the file: 0 or more.)
    assert seen == sorted(seen) and seen[-1] == 100 and any(0 < value < 100 for value in seen), seen
    files = _public(platform, world, "GET", f"/public/knowledge-bases/{kb['id']}/files").json()["items"]
    assert sorted(f["originalName"] for f in files) == ["care-guide.md", "reset.md", "warranty.md"]
    assert {f["status"] for f in files} == {"ready"}
    _shot(page, artifacts_dir, "07-knowledge-ready")

    page.get_by_test_id("knowledge-query").fill("how long is the warranty")
    page.get_by_test_id("knowledge-search").click()
    expect(page.get_by_test_id("knowledge-result").first).to_contain_text("two year warranty")
    _shot(page, artifacts_dir, "08-knowledge-search")


def _replace_schema(page: Page, text: str) -> None:
    """Select all in the CodeMirror editor and put ``text`` in its place, as a paste does."""
    page.get_by_test_id("schema-editor-content").click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text(text)


def test_a_tool_schema_is_checked_as_it_is_typed_and_its_signing_secret_is_shown_once_then_rotated(
    platform, world, chromium, artifacts_dir
):
    page = _signed_in(chromium, platform, world, "/tools")
    expect(page.get_by_test_id("functions-empty")).to_be_visible()
    page.get_by_test_id("new-function").click()
    expect(page.get_by_test_id("schema-valid")).to_be_visible()  # the starter schema
    page.get_by_test_id("function-name").fill("lookup_order")
    page.get_by_test_id("function-description").fill("Finds an order by its number.")

    # Not JSON yet: the parser's complaint, with its place.
    _replace_schema(page, '{"type": "object", "properties": ')
    errors = page.get_by_test_id("schema-error")
    expect(errors).to_have_count(1)
    expect(errors.first).to_contain_text("Not valid JSON")
    expect(errors.first).to_contain_text("Line 1")
    expect(page.get_by_test_id("create-function")).to_be_disabled()

    # JSON, but not a JSON Schema: the meta-schema's words at the offending keyword, underlined.
    _replace_schema(page, '{"type": "object",\n "properties": {"orderId": {"type": "strin"}}}')
    wrong = page.locator('[data-testid="schema-error"][data-pointer="/properties/orderId/type"]')
    expect(wrong.first).to_contain_text("Line 2")
    expect(wrong.first).to_contain_text("allowed values")
    expect(page.locator(".cm-lintRange-error").first).to_be_visible()
    _shot(page, artifacts_dir, "09-tool-schema-error")

    # Typing the missing letter makes it valid.
    page.keyboard.press("ControlOrMeta+End")
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    page.keyboard.type("g")
    expect(page.get_by_test_id("schema-valid")).to_be_visible()
    expect(page.get_by_test_id("schema-errors")).to_have_count(0)

    page.get_by_test_id("flow-explicit").check()
    page.get_by_test_id("function-url").fill("http://127.0.0.1:9/orders")
    page.get_by_test_id("create-function").click()
    value = page.get_by_test_id("signing-secret-value")
    expect(value).to_have_value(re.compile(r"^[A-Za-z0-9_-]{40,}$"))
    secret = value.input_value()
    page.get_by_test_id("copy-secret").click()
    expect(page.get_by_test_id("copy-secret-result")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    _shot(page, artifacts_dir, "10-tool-secret-once")
    [function] = _public(platform, world, "GET", "/public/functions").json()["items"]
    assert function["data"]["parameters"] == {"type": "object", "properties": {"orderId": {"type": "string"}}}
    assert (
        function["flow"] == "explicit"
        and function["hasSigningSecret"]
        and function.get("signingSecret") is None
    )

    # Gone once dismissed: the function's page never shows it; rotating shows a new one, once.
    page.get_by_test_id("dismiss-secret").click()
    expect(page.get_by_test_id("page-title")).to_have_text("lookup_order")
    expect(page.get_by_test_id("signing-secret")).to_have_count(0)
    assert secret not in page.content()
    page.get_by_test_id("rotate-secret").click()
    expect(value).to_have_value(re.compile(r"^[A-Za-z0-9_-]{40,}$"))
    assert value.input_value() != secret
    _shot(page, artifacts_dir, "11-tool-rotated")


def test_a_faq_collection_is_an_editable_paged_list(platform, world, chromium, artifacts_dir):
    page = _signed_in(chromium, platform, world, "/faqs")
    page.get_by_test_id("faq-collection-name").fill("Opening hours")
    page.get_by_test_id("create-faq-collection-submit").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Opening hours")
    expect(page.get_by_test_id("faq-items-empty")).to_be_visible()
    page.get_by_test_id("faq-question").fill("When are you open on Sundays?")
    page.get_by_test_id("faq-answer").fill("We are closed on Sundays.")
    page.get_by_test_id("faq-add").click()
    expect(page.get_by_test_id("faq-item")).to_have_count(1)
    expect(page.get_by_test_id("faq-question")).to_have_value("")
    [collection] = _public(platform, world, "GET", "/public/faqs").json()["items"]
    for n in range(11):
        added = _public(
            platform,
            world,
            "POST",
            f"/public/faqs/{collection['id']}/items",
            json={"question": f"Question {n:02d}?", "answer": f"Answer {n:02d}."},
        )
        assert added.status_code == 201, added.text
    page.reload()
    expect(page.get_by_test_id("faq-items-position")).to_have_text(f"1{DASH}10 of 12 · page 1 of 2")
    expect(page.get_by_test_id("faq-item")).to_have_count(10)

    # Edited in place.
    first = page.get_by_test_id("faq-item").first
    first.get_by_test_id("faq-edit").click()
    page.get_by_test_id("faq-edit-answer").fill("Closed on Sundays; open 9-17 on Saturdays.")
    page.get_by_test_id("faq-edit-save").click()
    expect(page.get_by_test_id("faq-item-answer").first).to_have_text(
        "Closed on Sundays; open 9-17 on Saturdays."
    )
    _shot(page, artifacts_dir, "12-faqs")

    # The second page, and a delete there.
    page.get_by_test_id("faq-items-next").click()
    expect(page.get_by_test_id("faq-items-position")).to_have_text(f"11{DASH}12 of 12 · page 2 of 2")
    page.get_by_test_id("faq-delete").last.click()
    expect(page.get_by_test_id("faq-items-position")).to_have_text(f"11{DASH}11 of 11 · page 2 of 2")
    items = _public(platform, world, "GET", f"/public/faqs/{collection['id']}").json()["items"]
    assert len(items) == 11
    assert items[0]["answer"] == "Closed on Sundays; open 9-17 on Saturdays." and items[0]["updatedAt"]
    assert "Question 10?" not in [item["question"] for item in items]


def test_an_agent_is_assembled_with_a_voice_heard_its_channel_set_and_opened_in_the_playground(
    platform, world, chromium, artifacts_dir, model
):
    companion = _public(
        platform,
        world,
        "POST",
        "/public/companions",
        json={"firstName": "Nora", "description": "A calm guide."},
    )
    function = _public(
        platform,
        world,
        "POST",
        "/public/functions",
        json={
            "data": {"name": "get_weather", "description": "Weather.", "parameters": {"type": "object"}},
            "flow": "implicit",
        },
    )
    faq = _public(
        platform,
        world,
        "POST",
        "/public/faqs",
        json={"name": "Hours", "faqs": [{"question": "Open?", "answer": "Yes."}]},
    )
    kb = _public(platform, world, "POST", "/public/knowledge-bases", json={"name": "Manuals"})
    assert {r.status_code for r in (companion, function, faq, kb)} == {201}

    page = _signed_in(chromium, platform, world, "/agents")
    expect(page.get_by_test_id("agents-empty")).to_be_visible()
    page.get_by_test_id("new-agent").click()
    page.get_by_test_id("agent-name").fill("Website concierge")
    page.get_by_test_id("agent-companion").select_option(companion.json()["id"])
    page.get_by_test_id("agent-voice").select_option("coral")
    page.get_by_test_id("voice-sample-play").click()
    sample = page.get_by_test_id("voice-sample-audio")
    expect(sample).to_have_attribute("data-voice", "coral")
    duration = page.wait_for_function(
        "el => el.readyState >= 1 && el.duration > 0 ? el.duration : null", arg=sample.element_handle()
    ).json_value()
    assert duration > 1  # a real WAV the browser decoded
    assert model.speeches[-1].voice == "coral" and "Coral" in model.speeches[-1].input
    page.get_by_test_id("agent-greeting").fill("Welcome to Contoso!")
    page.get_by_test_id("agent-functions-get_weather").check()
    page.get_by_test_id("agent-faqs-Hours").check()
    page.get_by_test_id("agent-knowledge").select_option(kb.json()["id"])
    page.get_by_test_id("agent-temperature").fill("0.4")
    page.get_by_test_id("agent-max-tokens").fill("400")
    _shot(page, artifacts_dir, "13-new-agent")

    # A language the API does not know: refused in its words, the form kept as typed.
    page.get_by_test_id("agent-language").fill("Klingon")
    page.get_by_test_id("create-agent").click()
    expect(page.get_by_test_id("create-agent-error")).to_contain_text("language")
    expect(page.get_by_test_id("agent-name")).to_have_value("Website concierge")
    expect(page.get_by_test_id("agent-temperature")).to_have_value("0.4")
    page.get_by_test_id("agent-language").fill("en")
    page.get_by_test_id("create-agent").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Website concierge")
    [agent] = _public(platform, world, "GET", "/public/agents").json()["items"]
    assert (agent["companionId"], agent["voiceId"], agent["greeting"]) == (
        companion.json()["id"],
        "coral",
        "Welcome to Contoso!",
    )
    assert agent["functions"] == [function.json()["id"]] and agent["faqCollections"] == [faq.json()["id"]]
    assert agent["knowledgeBaseId"] == kb.json()["id"]
    assert (
        agent["providerSettings"]["temperature"] == 0.4
        and agent["providerSettings"]["maxOutputTokens"] == 400
    )

    # The webrtc channel's own settings.
    expect(page.get_by_test_id("channel-state")).to_contain_text("not configured")
    page.get_by_test_id("channel-video-policy").select_option("deferred")
    page.get_by_test_id("channel-override-instructions").check()
    page.get_by_test_id("channel-instructions").fill("Keep answers short on the web.")
    page.get_by_test_id("channel-save").click()
    expect(page.get_by_test_id("channel-saved")).to_be_visible()
    expect(page.get_by_test_id("channel-state")).to_contain_text("configured (chanconfig_")
    channel = _public(platform, world, "GET", f"/public/agents/{agent['id']}/channels/webrtc").json()
    assert channel["videoPolicy"] == "deferred"
    assert channel["providerSettings"]["instructions"] == "Keep answers short on the web."
    page.get_by_test_id("channel-websocket").click()
    expect(page.get_by_test_id("channel-state")).to_contain_text("not configured")
    expect(page.get_by_test_id("channel-video-policy")).to_have_count(0)
    _shot(page, artifacts_dir, "14-agent")

    # One click: the Playground, signed in, with this organization, project and agent chosen (another
    # project and another agent exist, so nothing is chosen for being the only one).
    world.admin.ok(
        "POST", f"/manage/organizations/{world.organization_id}/projects", 201, json={"name": "Staging"}
    )
    other = _public(
        platform,
        world,
        "POST",
        "/public/agents",
        json={
            "name": "Another",
            "companionId": companion.json()["id"],
            "voiceId": "ash",
            "providerSettings": {},
        },
    )
    assert other.status_code == 201, other.text
    page.get_by_test_id("open-in-playground").click()
    expect(page).to_have_url(re.compile(r"/playground\?"))
    expect(page.get_by_label("Organization")).to_have_value(world.organization_id)
    expect(page.get_by_label("Project", exact=True)).to_have_value(world.project_id)
    expect(page.get_by_label("Agent", exact=True)).to_have_value(agent["id"])
    expect(page.get_by_role("button", name="Connect")).to_be_enabled()
    _shot(page, artifacts_dir, "15-playground")


def test_a_member_browses_the_resources_without_the_controls_to_change_them(
    platform, world, user_token, chromium, artifacts_dir
):
    member_email = fresh_email("max")
    world.admin.ok(
        "POST",
        f"/manage/organizations/{world.organization_id}/members",
        201,
        json={"email": member_email, "role": "member"},
    )
    companion = _public(
        platform, world, "POST", "/public/companions", json={"firstName": "Nora", "description": "A guide."}
    ).json()
    agent = _public(
        platform,
        world,
        "POST",
        "/public/agents",
        json={"name": "Concierge", "companionId": companion["id"], "voiceId": "ash", "providerSettings": {}},
    ).json()
    member = World(member_email, Caller(platform, user_token(member_email)), *_scope(world))
    page = _signed_in(chromium, platform, member, "/companions")
    expect(page.get_by_test_id("companions-row")).to_have_count(1)
    expect(page.get_by_test_id("new-companion")).to_have_count(0)
    page.get_by_test_id("companion-link").click()
    expect(page.get_by_test_id("companion-description")).to_have_text("A guide.")
    expect(page.get_by_test_id("avatar-upload-form")).to_have_count(0)
    expect(page.get_by_test_id("companion-delete")).to_have_count(0)
    for area, control in (
        ("knowledge", "create-collection"),
        ("tools", "new-function"),
        ("faqs", "create-faq-collection"),
    ):
        page.get_by_test_id(f"nav-{area}").click()
        expect(page.get_by_test_id("page-title")).to_be_visible()
        expect(page.get_by_test_id(control)).to_have_count(0)
    page.get_by_test_id("nav-agents").click()
    expect(page.get_by_test_id("agents-row")).to_have_count(1)
    expect(page.get_by_test_id("new-agent")).to_have_count(0)
    expect(page.get_by_test_id("open-in-playground")).to_have_attribute("href", re.compile(agent["id"]))
    _shot(page, artifacts_dir, "16-member-agents")
    page.goto(platform.url(world.base() + "/agents/new"))  # typed by hand: refused in the API's words
    expect(page.get_by_test_id("refused-words")).to_contain_text("needs the Admin role")


def _scope(world: World) -> tuple[str, str, str]:
    return world.organization_id, world.project_id, world.key


def _png(width: int, height: int) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()
