"""Human handoff on a phone call (issue 15, item 4), on the local stack: the SIP channel config's
``humanHandoff`` gives the model ``transfer_to_human``; calling it says a short line and transfers the
call through the ACS stand-in, which records the transfer. An accepted transfer ends the session
(``transferred``); a failed one (a call placed with ``transfers: "fail"``) is spoken and the
conversation goes on."""

from __future__ import annotations

from typing import Any

import pytest

from shared.phone.handoff import TRANSFER_FAILED_LINE, TRANSFER_LINE, TRANSFER_TOOL_NAME
from tests.devhost.acs_world import AcsControl
from tests.e2e.phone_calls import bound_agent, free_number, heard, session_detail, the_sip_session, wait_until

CALLER = "+15551230077"
GREETING = "Hello, this is the bakery."
DESK = "+14445559200"
HANDOFF: dict[str, Any] = {
    "enabled": True,
    "transferExtension": DESK,
    "transferDescription": "the caller asks for a person",
}


@pytest.fixture
def acs(platform) -> AcsControl:
    return AcsControl(platform.host)


def _transfer_tool(request: Any) -> dict[str, Any]:
    tools = [tool["function"] for tool in request.body.get("tools") or []]
    return next(tool for tool in tools if tool["name"] == TRANSFER_TOOL_NAME)


def test_the_agent_transfers_the_call_and_the_session_ends_transferred(platform, model_key, model, acs):
    number = free_number()
    agent = bound_agent(platform, model_key, number, channel={"humanHandoff": HANDOFF}, greeting=GREETING)
    model.reply_tool_calls([{"name": TRANSFER_TOOL_NAME, "arguments": {"reason": "wants a person"}}])
    placed = acs.place(CALLER, number)
    acs.wait_for_call(placed["id"], lambda r: GREETING in heard(r), "the greeting")

    acs.say(placed["id"], "Can I talk to a person, please?")
    record = acs.wait_for_call(placed["id"], lambda r: r["state"] == "disconnected", "the transfer")
    targets = [request["targetParticipant"]["phoneNumber"]["value"] for request in record["transferRequests"]]
    assert targets == [DESK]
    assert heard(record) == [GREETING, TRANSFER_LINE]
    tool = _transfer_tool(model.requests[0])
    assert "the caller asks for a person" in tool["description"]

    session = the_sip_session(platform, model_key, agent["id"])
    detail = wait_until(
        lambda: session_detail(platform, model_key, session["id"]),
        lambda d: d["status"] == "closed",
        "the session's end",
    )
    assert detail["closeReason"] == "transferred"
    assert detail["billedMinutes"] == 1


def test_a_failed_transfer_is_spoken_and_the_conversation_goes_on(platform, model_key, model, acs):
    number = free_number()
    agent = bound_agent(platform, model_key, number, channel={"humanHandoff": HANDOFF}, greeting=GREETING)
    model.reply_tool_calls([{"name": TRANSFER_TOOL_NAME, "arguments": {}}])
    model.reply_text("")  # the round after the tool: nothing more to say while the transfer runs
    placed = acs.place(CALLER, number, transfers="fail")
    acs.wait_for_call(placed["id"], lambda r: GREETING in heard(r), "the greeting")

    acs.say(placed["id"], "Put me through to someone.")
    record = acs.wait_for_call(
        placed["id"], lambda r: TRANSFER_FAILED_LINE in heard(r), "the failed transfer's line"
    )
    assert len(record["transferRequests"]) == 1
    assert record["state"] == "connected"

    model.reply_text("Our bread is fresh every morning.")
    acs.say(placed["id"], "Then tell me about your bread.")
    record = acs.wait_for_call(
        placed["id"], lambda r: "Our bread is fresh every morning." in heard(r), "the next reply"
    )
    last = model.requests[-1].messages
    assert last[-1] == {"role": "user", "content": "Then tell me about your bread."}
    assert any("transfer to a person failed" in str(m.get("content")) for m in last)
    session = the_sip_session(platform, model_key, agent["id"])
    assert session_detail(platform, model_key, session["id"])["status"] == "started"
    acs.act(placed["id"], "hang-up")
