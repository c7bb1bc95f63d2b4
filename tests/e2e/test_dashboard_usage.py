"""The dashboard's Sessions and Usage pages (/dashboard) in real headless Chromium, over the real app:
sessions run through the API first (a WebSocket client; the scripted OpenAI fake as the model, with
an implicit tool the client answers and a knowledge collection the answer cites), then an Admin finds
them in the sessions list with its filters (status, channel, end user, agent, creation window, tags),
opens one for its transcript with its citation, tool call, billed minutes, cost and price, and sees
its minutes in the project's and the organization's usage: in the chart (stacked bars drawn in the
dimension's colour) and in the table, with both dimensions' prices. A Member sees the project's
sessions and usage but not the organization's billing: no navigation entry, and the API's own
refusal when they open its URL.

Everything shown is checked against the API's answers. Screenshots go to ``artifacts_dir``
(dashboard-usage-*.png)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.e2e.builders import new_agent, new_weather_function
from tests.e2e.session_client import SessionClient, open_connection
from tests.e2e.test_knowledge_files import new_collection, upload_file, wait_until_done
from tests.fakes.scripted_openai import RecordedRequest, TextReply, ToolCall, ToolCallsReply
from tests.knowledge.documents import HANDBOOK, make_markdown
from tests.management.manage_client import Caller, fresh_email

QUESTION = "What is the weather in Paris?"
WEATHER_ANSWER = "It is sunny in Paris today."
DELIVERY_QUESTION = "How long does delivery to Canada take?"
DELIVERY_ANSWER = "Delivery to Canada takes seven to ten business days [1]."
FORECAST = {"forecast": "sunny", "celsius": 21}
T = 30
BYO_COLOUR = (0x24, 0x57, 0xD6)  # pages/usage/types.ts: byo_llm_minutes
HOSTED_COLOUR = (0xE0, 0x7A, 0x1F)  # hosted_llm_minutes


@dataclass(frozen=True)
class _KeyHeaders:
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Api-Key": self.key}


@dataclass(frozen=True)
class World:
    admin_email: str
    member_email: str
    organization_id: str
    project_id: str
    key: _KeyHeaders
    agent_id: str
    answered: dict[str, Any]  # the session with a conversation and a tool call (closed)
    unconnected: dict[str, Any]  # a session whose client never connected (failed)

    def page_of(self, area: str) -> str:
        return f"/dashboard/orgs/{self.organization_id}/projects/{self.project_id}/{area}"


def _model_answers(request: RecordedRequest) -> TextReply | ToolCallsReply:
    last = request.messages[-1] if request.messages else {}
    if last.get("role") == "tool":
        return TextReply(WEATHER_ANSWER)
    said = str(last.get("content") or "").lower()
    if "weather" in said:
        return ToolCallsReply((ToolCall("get_weather", {"city": "Paris"}, id="call_weather_1"),))
    if "delivery" in said:
        return TextReply(DELIVERY_ANSWER)  # cites the first passage of the prompt (the handbook's)
    return TextReply("Hello!")


def _session(platform, key: _KeyHeaders, session_id: str) -> dict[str, Any]:
    response = requests.get(platform.url(f"/public/sessions/{session_id}"), headers=key.headers, timeout=T)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.fixture
def world(platform, user_token, model) -> World:
    model.respond_with(_model_answers)
    admin_email, member_email = fresh_email("admin"), fresh_email("member")
    admin = Caller(platform, user_token(admin_email))
    org = admin.ok("POST", "/manage/organizations", 201, json={"name": "Bistro Nine"})["id"]
    admin.ok(
        "POST", f"/manage/organizations/{org}/members", 201, json={"email": member_email, "role": "member"}
    )
    project = admin.ok("POST", f"/manage/organizations/{org}/projects", 201, json={"name": "Website"})
    provider = {"type": "openai-compatible", "baseUrl": model.base_url, "model": "gpt-scripted"}

    def new_key(name: str) -> _KeyHeaders:  # connections: 1 per 5 s per key (published)
        created = admin.ok(
            "POST",
            f"/manage/projects/{project['id']}/api-keys",
            201,
            json={"name": name, "provider": provider},
        )
        return _KeyHeaders(created["key"])

    key, second_key = new_key("Scripted"), new_key("Second")
    function = new_weather_function(platform, key)
    handbook = new_collection(platform, key)
    upload = upload_file(platform, key, handbook, "handbook.md", make_markdown(HANDBOOK))
    assert upload.status_code == 201, upload.text
    assert wait_until_done(platform, key, handbook, upload.json()["id"])[0]["status"] == "ready"
    agent = new_agent(platform, key, name="Host", functions=[function["id"]], knowledgeBaseId=handbook)

    opened = open_connection(
        platform, key, agent["id"], externalClientId="guest-42", tags={"table": "7"}, modality="text"
    )
    with SessionClient(opened) as client:
        client.receive_until("avatar_state_changed", state="ready")
        client.say(QUESTION)
        called = client.receive_until("function_implicitly_called")[-1]["data"]
        assert (called["call_id"], called["name"]) == ("call_weather_1", "get_weather")
        client.command("send_function_output", call_id=called["call_id"], output=FORECAST)
        assert client.reply()["content"] == WEATHER_ANSWER
        client.say(DELIVERY_QUESTION)
        assert client.reply()["citations"]
        assert client.end()["reason"] == "client"
    answered = _session(platform, key, client.session_id)

    never = open_connection(platform, second_key, agent["id"], externalClientId="guest-7")["connection"]["id"]
    ended = requests.post(
        platform.url(f"/public/sessions/{never}/end"), headers=second_key.headers, timeout=T
    )
    assert ended.status_code == 202, ended.text
    unconnected = _session(platform, key, never)
    for _ in range(100):  # the end is recorded by the session's orchestration
        if unconnected["status"] == "failed":
            break
        time.sleep(0.1)
        unconnected = _session(platform, key, never)
    assert (answered["status"], unconnected["status"]) == ("closed", "failed")
    return World(admin_email, member_email, org, project["id"], key, agent["id"], answered, unconnected)


def _shot(page: Page, directory: Path, name: str) -> None:
    page.screenshot(path=str(directory / f"dashboard-usage-{name}.png"), full_page=True)


def _signed_in(chromium: Browser, platform, email: str, name: str) -> Page:
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(platform.url("/dashboard"))
    page.get_by_test_id("local-email").fill(email)
    page.get_by_test_id("local-name").fill(name)
    page.get_by_test_id("local-submit").click()
    expect(page.get_by_test_id("who-email")).to_have_text(email.lower())
    return page


def _money(amount: float) -> str:
    """As the page writes dollars (Intl, 2 to 6 decimals)."""
    text = f"{amount:.6f}".rstrip("0")
    whole, _, cents = text.partition(".")
    return f"${whole}.{cents.ljust(2, '0')}"


def _expect_listed(page: Page, ids: list[str]) -> None:
    """The list shows exactly these sessions, in this order (waiting for the page to load them)."""
    if ids:
        expect(page.get_by_test_id("session-link")).to_have_text(ids)
    else:
        expect(page.get_by_test_id("sessions-empty")).to_be_visible()
        expect(page.get_by_test_id("session-link")).to_have_count(0)


def _filter(page: Page, ids: list[str], **fields: str) -> None:
    """Clear the filters, set ``fields``, apply: the list shows ``ids``."""
    page.get_by_test_id("filter-clear").click()
    for name, value in fields.items():
        control = page.get_by_test_id(f"filter-{name}")
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    with page.expect_response(lambda r: "/public/sessions?" in r.url):
        page.get_by_test_id("filter-apply").click()
    _expect_listed(page, ids)


def _colour_pixels(page: Page, test_id: str, colour: tuple[int, int, int]) -> int:
    """How many pixels of the canvas are drawn in exactly ``colour`` (the bars and the legend box)."""
    count: int = page.get_by_test_id(test_id).evaluate(
        """(canvas, [r, g, b]) => {
            const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            let n = 0;
            for (let i = 0; i < data.length; i += 4) {
                if (data[i] === r && data[i + 1] === g && data[i + 2] === b && data[i + 3] === 255) n += 1;
            }
            return n;
        }""",
        list(colour),
    )
    return count


def _check_usage_page(page: Page, usage: dict[str, Any]) -> None:
    """The page shows the answer ``usage``: prices, totals, the used buckets' rows, bars drawn."""
    expect(page.get_by_test_id("price-byo_llm_minutes")).to_have_text("$0.01 per active minute")
    expect(page.get_by_test_id("price-hosted_llm_minutes")).to_have_text("$0.058 per active minute")
    expect(page.get_by_test_id("usage-row")).to_have_count(len(usage["buckets"]))
    used = [b for b in usage["buckets"] if b["minutes"] > 0]
    assert used, usage
    for bucket in used:
        row = page.locator(f'[data-testid="usage-row"][data-start="{bucket["start"]}"]')
        byo = next(d for d in bucket["dimensions"] if d["dimension"] == "byo_llm_minutes")
        shown = float(row.get_by_test_id("row-byo_llm_minutes").inner_text())
        assert shown == pytest.approx(byo["minutes"], abs=1e-4) and shown > 0
        assert float(row.get_by_test_id("row-hosted_llm_minutes").inner_text()) == 0
        expect(row.get_by_test_id("row-cost")).to_have_text(_money(bucket["cost"]))
    expect(page.get_by_test_id("usage-total")).to_contain_text(_money(usage["cost"]))
    # The chart drew the minutes: bars in the byo colour, far more of it than the legend's box that
    # the unused hosted dimension has alone.
    byo_pixels = _colour_pixels(page, "usage-chart", BYO_COLOUR)
    hosted_pixels = _colour_pixels(page, "usage-chart", HOSTED_COLOUR)
    assert 0 < hosted_pixels < 1000, hosted_pixels  # the legend box only
    assert byo_pixels > 3 * hosted_pixels + 1000, (byo_pixels, hosted_pixels)


def test_an_admin_finds_a_session_its_transcript_and_cost_and_its_minutes_in_the_usage(
    platform, user_token, world: World, chromium, artifacts_dir
):
    answered, unconnected = world.answered, world.unconnected
    page = _signed_in(chromium, platform, world.admin_email, "Ada Admin")
    page.goto(platform.url(f"/dashboard/orgs/{world.organization_id}/projects/{world.project_id}"))
    page.get_by_test_id("nav-sessions").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Sessions")
    _expect_listed(page, [unconnected["id"], answered["id"]])  # newest first
    expect(page.get_by_test_id("sessions-position")).to_contain_text("of 2 · page 1 of 1")
    _shot(page, artifacts_dir, "01-sessions")

    a_id, b_id = answered["id"], unconnected["id"]
    _filter(page, [a_id], status="closed")
    _filter(page, [b_id], status="failed")
    _filter(page, [a_id], client="guest-42")
    _filter(page, [b_id, a_id], channel="websocket", agent=world.agent_id)
    _filter(page, [], channel="webrtc")
    expect(page.get_by_test_id("sessions-empty")).to_contain_text("No session matches these filters")
    _filter(page, [a_id], tags="table:7")
    _filter(page, [], **{"from": "2000-01-01", "to": "2000-01-31"})
    day = datetime.fromtimestamp(answered["createdAt"], UTC).date().isoformat()
    _filter(page, [a_id], status="closed", **{"from": day, "to": day})
    _shot(page, artifacts_dir, "02-sessions-filtered")
    # A filter the API refuses is named beside the filters, which keep what was typed.
    page.get_by_test_id("filter-clear").click()
    page.get_by_test_id("filter-tags").fill(":x")
    page.get_by_test_id("filter-apply").click()
    expect(page.get_by_test_id("filter-error")).to_contain_text("tags")
    expect(page.get_by_test_id("filter-tags")).to_have_value(":x")
    expect(page.get_by_test_id("sessions-empty")).to_contain_text("the filters above were refused")
    _shot(page, artifacts_dir, "03-sessions-refused-filter")

    # The session's page: transcript, tool call, duration, billed minutes, cost at its price.
    page.get_by_test_id("filter-clear").click()
    page.get_by_test_id("filter-apply").click()
    page.locator(f'[data-testid="session-link"]:has-text("{answered["id"]}")').click()
    expect(page.get_by_test_id("session-id")).to_have_text(answered["id"])
    expect(page.get_by_test_id("transcript-user").get_by_test_id("transcript-text")).to_have_text(
        [QUESTION, DELIVERY_QUESTION]
    )
    agent_lines = [i["text"] for i in answered["conversation"]["items"] if i["role"] == "agent"]
    assert agent_lines[-2:] == [WEATHER_ANSWER, DELIVERY_ANSWER]
    expect(page.get_by_test_id("transcript-agent")).to_have_count(len(agent_lines))
    expect(page.get_by_test_id("transcript-agent").nth(-2)).to_contain_text(WEATHER_ANSWER)
    # The cited passage under the answer that cites it, and under no other.
    [cited] = [i for i in answered["conversation"]["items"] if i["citations"]]
    assert cited["text"] == DELIVERY_ANSWER and cited["citations"][0]["title"] == "Shipping"
    delivery = page.get_by_test_id("transcript-agent").last
    expect(delivery).to_contain_text(DELIVERY_ANSWER)
    expect(page.get_by_test_id("citation")).to_have_count(len(cited["citations"]))
    expect(delivery.get_by_test_id("citation").first).to_contain_text("Shipping")
    expect(delivery.get_by_test_id("citation").first).to_contain_text("seven to ten business days")
    [call] = answered["toolCalls"]
    assert call["name"] == "get_weather"
    expect(page.get_by_test_id("tool-call")).to_have_count(1)
    expect(page.get_by_test_id("tool-call")).to_contain_text("get_weather")
    expect(page.get_by_test_id("tool-call")).to_contain_text("Paris")
    expect(page.get_by_test_id("tool-call-result")).to_contain_text('"forecast": "sunny"')
    assert answered["billedMinutes"] == 1 and answered["dimension"] == "byo_llm_minutes"
    expect(page.get_by_test_id("session-billed-minutes")).to_have_text("1")
    expect(page.get_by_test_id("session-cost-value")).to_have_text(_money(answered["cost"]))
    expect(page.get_by_test_id("session-price")).to_have_text("$0.01 per active minute")
    expect(page.get_by_test_id("session-dimension")).to_contain_text("byo_llm_minutes")
    seconds = answered["closedAt"] - answered["startedAt"]
    expect(page.get_by_test_id("session-duration")).to_have_text(f"{seconds} s")
    expect(page.get_by_test_id("session-client")).to_have_text("guest-42")
    _shot(page, artifacts_dir, "04-session")

    # The project's usage: the session's minutes in the chart and the table, both prices.
    project_usage = requests.get(platform.url("/public/usage"), headers=world.key.headers, timeout=T).json()
    byo_total = next(t for t in project_usage["totals"] if t["dimension"] == "byo_llm_minutes")
    spent = answered["cost"] + (unconnected["cost"] or 0)  # the project's only sessions
    assert byo_total["minutes"] > 0 and byo_total["cost"] == pytest.approx(spent, abs=2e-6)
    page.get_by_test_id("nav-usage").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Usage of Website")
    _check_usage_page(page, project_usage)
    _shot(page, artifacts_dir, "05-project-usage")

    # By hour: 24 buckets, the session's hour in the table.
    page.get_by_test_id("usage-granularity").select_option("hour")
    page.get_by_test_id("usage-apply").click()
    expect(page.get_by_test_id("usage-row")).to_have_count(24)
    by_hour = requests.get(
        platform.url("/public/usage"), params={"granularity": "hour"}, headers=world.key.headers, timeout=T
    ).json()
    _check_usage_page(page, by_hour)
    _shot(page, artifacts_dir, "06-project-usage-by-hour")

    # The organization's usage (billing: the Admin's): the same minutes, every project.
    page.get_by_test_id("nav-billing").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Usage and billing of Bistro Nine")
    admin = Caller(platform, user_token(world.admin_email))
    organization_usage = admin.ok("GET", f"/manage/organizations/{world.organization_id}/usage")
    assert organization_usage["minutes"] == pytest.approx(project_usage["minutes"], abs=1e-6)
    _check_usage_page(page, organization_usage)
    _shot(page, artifacts_dir, "07-organization-usage")


def test_a_member_sees_the_project_usage_but_not_the_organization_billing(
    platform, world: World, chromium, artifacts_dir
):
    page = _signed_in(chromium, platform, world.member_email, "Max Member")
    page.goto(platform.url(world.page_of("sessions")))
    expect(page.get_by_test_id("role")).to_have_text("Your role: Member")
    _expect_listed(page, [world.unconnected["id"], world.answered["id"]])
    expect(page.get_by_test_id("nav-billing")).to_have_count(0)
    page.get_by_test_id("nav-usage").click()
    expect(page.get_by_test_id("price-byo_llm_minutes")).to_have_text("$0.01 per active minute")
    _shot(page, artifacts_dir, "08-member-project-usage")

    page.goto(platform.url(f"/dashboard/orgs/{world.organization_id}/usage"))
    expect(page.get_by_test_id("refused-words")).to_have_text(
        "Your role in this organization (member) does not allow you to view the organization's billing "
        "and usage: that needs the Admin role."
    )
    expect(page.get_by_test_id("usage-chart")).to_have_count(0)
    expect(page.get_by_test_id("nav-billing")).to_have_count(0)
    _shot(page, artifacts_dir, "09-member-organization-usage-refused")
