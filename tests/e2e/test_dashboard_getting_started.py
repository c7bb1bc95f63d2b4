"""The product's getting-started path, end to end, in ONE browser session, as a new person walks it with
only the dashboard and the Playground (headless Chromium over the real app): the local sign-in; an
organization; a project; an API key whose model is an OpenAI-compatible provider (the scripted OpenAI
fake's base URL, typed into the key form), shown once and copied; a companion with its avatar
(docs/samples/avatar.png) to readyToUse; a knowledge collection whose uploaded file's progress bar
reaches ready; a tool; an FAQ collection with a question; an agent using all of them; "Open in
Playground"; the greeting and an answer to a typed question (which the model could only give from the
uploaded document); the session ended; the session in the sessions list with its transcript, and its
minutes on the usage page.

Nothing is made through the API: it is only read back, with the key the page showed, to check that
what the pages show is what the API holds. Screenshots of each page go to ``artifacts_dir``
(getting-started-NN-<page>.png)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.test_dashboard_resources import AVATAR, TIMES, WAIT_MS, _drop_file
from tests.e2e.test_dashboard_shell import _open, _sign_in
from tests.e2e.test_dashboard_usage import _check_usage_page, _expect_listed
from tests.e2e.test_playground import GREETING, _connect, _end, _typed_turn
from tests.fakes.scripted_openai import RecordedRequest, TextReply
from tests.management.manage_client import Caller, fresh_email

ALLERGEN_GUIDE = (
    "# Allergens\n\nEvery dish on the Bistro Nine menu can be made gluten free on request.\n\n"
    "## Nuts\n\nThe pesto and the praline tart contain nuts."
)
GUIDE_FACT = "gluten free on request"  # in the document only: the answer proves the model read it
QUESTION = "Can you make the dishes gluten free?"
ANSWER = "Yes: every dish can be made gluten free on request [1]."
NOT_GROUNDED = "I cannot find that in my documents."
FAQ_QUESTION = "Do you take reservations?"
FAQ_ANSWER = "Yes, for tables of up to twelve people."
TOOL = "book_table"
T = 30


def _model_answers(request: RecordedRequest) -> TextReply:
    """The gluten answer only when the agent's knowledge passage is in the prompt it was sent."""
    said = str((request.messages[-1] if request.messages else {}).get("content") or "")
    if "gluten" in said.lower() and GUIDE_FACT in request.system_prompt:
        return TextReply(ANSWER)
    return TextReply(NOT_GROUNDED)


def _shot(page: Page, directory: Path, number: int, name: str) -> None:
    page.screenshot(path=str(directory / f"getting-started-{number:02d}-{name}.png"), full_page=True)


def _read(platform, key: str, path: str) -> dict:
    """The API's answer, read back with the key the dashboard showed."""
    response = requests.get(platform.url(path), headers={"X-Api-Key": key}, timeout=T)
    assert response.status_code == 200, response.text
    answer: dict = response.json()
    return answer


def test_a_new_person_walks_the_getting_started_path_in_one_browser_session(
    platform, user_token, chromium, artifacts_dir, model, tmp_path
):
    model.respond_with(_model_answers)
    email = fresh_email("newcomer")
    page = _open(chromium, platform)

    # Sign in (locally), an organization, a project.
    _shot(page, artifacts_dir, 1, "sign-in")
    _sign_in(page, email, "Nina Newcomer")
    expect(page.get_by_test_id("organizations-empty")).to_be_visible()
    page.get_by_test_id("organization-name").fill("Bistro Nine")
    page.get_by_test_id("create-organization-submit").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Projects of Bistro Nine")
    expect(page.get_by_test_id("role")).to_have_text("Your role: Admin")
    _shot(page, artifacts_dir, 2, "projects")
    page.get_by_test_id("new-project").click()
    page.get_by_test_id("project-name").fill("Website")
    page.get_by_test_id("create-project-submit").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Website")
    project_id = page.get_by_test_id("project-id").inner_text()
    manage = Caller(platform, user_token(email))  # reads /manage as the person signed in
    [organization] = manage.ok("GET", "/manage/organizations")["items"]
    assert (organization["name"], organization["role"]) == ("Bistro Nine", "admin")
    [project] = manage.ok("GET", f"/manage/organizations/{organization['id']}/projects")["items"]
    assert (project["id"], project["name"]) == (project_id, "Website")
    _shot(page, artifacts_dir, 3, "project")

    # An API key whose model is the scripted fake, as an OpenAI-compatible provider: shown once, copied.
    page.get_by_test_id("nav-api-keys").click()
    expect(page.get_by_test_id("keys-empty")).to_be_visible()
    page.get_by_test_id("key-name").fill("Website assistant")
    page.get_by_test_id("provider-openai-compatible").check()
    for field, value in (
        ("baseUrl", model.base_url),
        ("model", "gpt-scripted"),
        ("apiKey", "sk-scripted"),
        ("transcriptionModel", "whisper-1"),
        ("speechModel", "tts-1"),
        ("embeddingModel", "text-embedding-3-small"),
    ):
        page.get_by_test_id(f"provider-field-{field}").fill(value)
    page.get_by_test_id("create-key-submit").click()
    shown = page.get_by_test_id("created-key-value")
    expect(shown).to_have_value(re.compile(rf"^oa\.{project_id}\.key_\w+\..+"))
    page.get_by_test_id("copy-key").click()
    expect(page.get_by_test_id("copy-result")).to_have_text("Copied to the clipboard.")
    key = page.evaluate("navigator.clipboard.readText()")
    assert key == shown.input_value()
    _shot(page, artifacts_dir, 4, "api-key-shown-once")
    page.get_by_test_id("created-key-done").click()
    expect(page.get_by_test_id("key-masked")).to_have_text(f"••••••••••••{key[-4:]}")
    assert key not in page.content()
    [stored_key] = manage.ok("GET", f"/manage/projects/{project_id}/api-keys")["items"]
    assert stored_key["provider"]["baseUrl"] == model.base_url and "apiKey" not in stored_key["provider"]

    # A companion with its avatar (dropped on the zone), previewed, then prepared to readyToUse.
    page.get_by_test_id("nav-companions").click()
    expect(page.get_by_test_id("companions-empty")).to_be_visible()
    page.get_by_test_id("new-companion").click()
    expect(page.get_by_test_id("avatar-rules")).to_contain_text("16:9")
    page.get_by_test_id("companion-first-name").fill("Nora")
    page.get_by_test_id("companion-last-name").fill("Lind")
    page.get_by_test_id("companion-description").fill("A warm host who knows the Bistro Nine menu by heart.")
    _drop_file(page, '[data-testid="avatar-drop-zone"]', AVATAR, "image/png")
    expect(page.get_by_test_id("avatar-checked")).to_contain_text(f"1280{TIMES}720")
    _shot(page, artifacts_dir, 5, "new-companion")
    page.get_by_test_id("create-companion").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Nora Lind")
    status = page.get_by_test_id("companion-status")
    expect(status).to_have_attribute("data-status", "readyToUse", timeout=WAIT_MS)
    for view in ("round", "rectangle", "silhouette"):
        expect(page.get_by_test_id("avatar-preview").get_by_test_id(f"avatar-view-{view}")).to_have_attribute(
            "data-state", "drawn"
        )
    [companion] = _read(platform, key, "/public/companions")["items"]
    assert (companion["firstName"], companion["status"]) == ("Nora", "readyToUse")
    assert (companion["avatar"]["width"], companion["avatar"]["height"]) == (1280, 720)
    _shot(page, artifacts_dir, 6, "companion-ready")

    # Knowledge: a collection, a file chosen with the file picker, its progress bar to ready.
    page.get_by_test_id("nav-knowledge").click()
    expect(page.get_by_test_id("collections-empty")).to_be_visible()
    page.get_by_test_id("collection-name").fill("House guide")
    page.get_by_test_id("create-collection-submit").click()
    page.get_by_test_id("collection-link").click()
    expect(page.get_by_test_id("page-title")).to_have_text("House guide")
    document = tmp_path / "allergens.md"
    document.write_text(ALLERGEN_GUIDE, encoding="utf-8")
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("files-choose").click()
    chooser.value.set_files(str(document))
    expect(page.locator('[data-testid="upload-attempt"][data-state="accepted"]')).to_have_count(
        1, timeout=WAIT_MS
    )
    bar = page.get_by_test_id("files-row").filter(has_text="allergens.md").get_by_test_id("file-progress")
    expect(bar).to_have_attribute("data-status", "ready", timeout=WAIT_MS)
    expect(bar).to_have_attribute("data-progress", "100")
    expect(bar.get_by_test_id("file-status-words")).to_contain_text("Ready:")
    [collection] = _read(platform, key, "/public/knowledge-bases")["items"]
    [file] = _read(platform, key, f"/public/knowledge-bases/{collection['id']}/files")["items"]
    assert (file["originalName"], file["status"]) == ("allergens.md", "ready")
    _shot(page, artifacts_dir, 7, "knowledge-ready")

    # A tool (implicit: the connected client answers it) with the starter schema.
    page.get_by_test_id("nav-tools").click()
    expect(page.get_by_test_id("functions-empty")).to_be_visible()
    page.get_by_test_id("new-function").click()
    expect(page.get_by_test_id("schema-valid")).to_be_visible()
    page.get_by_test_id("function-name").fill(TOOL)
    page.get_by_test_id("function-description").fill("Books a table for a number of guests.")
    page.get_by_test_id("create-function").click()
    expect(page.get_by_test_id("function-created")).to_be_visible()
    _shot(page, artifacts_dir, 8, "tool")
    [function] = _read(platform, key, "/public/functions")["items"]
    assert (function["data"]["name"], function["flow"]) == (TOOL, "implicit")

    # An FAQ collection with a question.
    page.get_by_test_id("nav-faqs").click()
    page.get_by_test_id("faq-collection-name").fill("Reservations")
    page.get_by_test_id("create-faq-collection-submit").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Reservations")
    page.get_by_test_id("faq-question").fill(FAQ_QUESTION)
    page.get_by_test_id("faq-answer").fill(FAQ_ANSWER)
    page.get_by_test_id("faq-add").click()
    expect(page.get_by_test_id("faq-item-question")).to_have_text([FAQ_QUESTION])
    _shot(page, artifacts_dir, 9, "faqs")
    [faqs] = _read(platform, key, "/public/faqs")["items"]
    assert [(i["question"], i["answer"]) for i in faqs["items"]] == [(FAQ_QUESTION, FAQ_ANSWER)]

    # An agent using all of them.
    page.get_by_test_id("nav-agents").click()
    expect(page.get_by_test_id("agents-empty")).to_be_visible()
    page.get_by_test_id("new-agent").click()
    page.get_by_test_id("agent-name").fill("Bistro host")
    page.get_by_test_id("agent-companion").select_option(label="Nora Lind")
    page.get_by_test_id("agent-voice").select_option("coral")
    page.get_by_test_id("agent-greeting").fill(GREETING)
    page.get_by_test_id(f"agent-functions-{TOOL}").check()
    page.get_by_test_id("agent-faqs-Reservations").check()
    page.get_by_test_id("agent-knowledge").select_option(label="House guide")
    _shot(page, artifacts_dir, 10, "new-agent")
    page.get_by_test_id("create-agent").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Bistro host")
    [agent] = _read(platform, key, "/public/agents")["items"]
    assert (agent["companionId"], agent["voiceId"], agent["greeting"]) == (companion["id"], "coral", GREETING)
    assert (agent["functions"], agent["faqCollections"], agent["knowledgeBaseId"]) == (
        [function["id"]],
        [faqs["id"]],
        collection["id"],
    )
    _shot(page, artifacts_dir, 11, "agent")

    # The Playground, in one click: signed in, the agent chosen; the greeting, then a typed question
    # answered from the uploaded document.
    page.get_by_test_id("open-in-playground").click()
    expect(page).to_have_url(re.compile(r"/playground\?"))
    expect(page.get_by_label("Organization")).to_have_value(organization["id"])
    expect(page.get_by_label("Project", exact=True)).to_have_value(project_id)
    expect(page.get_by_label("Agent", exact=True)).to_have_value(agent["id"])
    _shot(page, artifacts_dir, 12, "playground")
    _connect(page)  # and the greeting in the transcript
    started = page.locator("#transcript li", has_text=re.compile(r"^Session sess_\w+ started$"))
    expect(started).to_have_count(1)
    session_id = started.inner_text().split()[1]
    _typed_turn(page, QUESTION, ANSWER)
    _shot(page, artifacts_dir, 13, "playground-answer")
    [asked] = [r for r in model.chat_requests if QUESTION in str(r.messages[-1].get("content"))]
    assert GUIDE_FACT in asked.system_prompt and FAQ_ANSWER in asked.system_prompt
    assert TOOL in [tool["function"]["name"] for tool in asked.body["tools"]]
    _end(page)
    _shot(page, artifacts_dir, 14, "playground-ended")

    # Back in the dashboard: the session in the sessions list, with what was said, and its minutes.
    page.go_back()
    expect(page.get_by_test_id("page-title")).to_have_text("Bistro host")
    page.get_by_test_id("nav-sessions").click()
    _expect_listed(page, [session_id])
    _shot(page, artifacts_dir, 15, "sessions")
    session = _read(platform, key, f"/public/sessions/{session_id}")
    assert (session["agentId"], session["sessionType"]) == (agent["id"], "webrtc")
    assert session["status"] == "closed"
    page.get_by_test_id("session-link").click()
    expect(page.get_by_test_id("session-id")).to_have_text(session_id)
    expect(page.get_by_test_id("transcript-user").get_by_test_id("transcript-text")).to_have_text([QUESTION])
    expect(page.get_by_test_id("transcript-agent").get_by_test_id("transcript-text")).to_have_text(
        [GREETING, ANSWER]
    )
    assert session["billedMinutes"] >= 1
    expect(page.get_by_test_id("session-billed-minutes")).to_have_text(str(session["billedMinutes"]))
    _shot(page, artifacts_dir, 16, "session")

    page.get_by_test_id("nav-usage").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Usage of Website")
    usage = _read(platform, key, "/public/usage")
    # The project's only session: its minutes are all the project's usage, at its cost.
    assert usage["minutes"] > 0, usage
    assert usage["cost"] == pytest.approx(session["cost"], abs=2e-6), (usage, session)
    _check_usage_page(page, usage)
    _shot(page, artifacts_dir, 17, "usage")
