"""Tools in a session: explicit HTTP and WebSocket endpoints that verify our signature, an implicit
tool the client never answers, and the audit of every call."""

from __future__ import annotations

import json

import requests

from tests.e2e.builders import create, new_agent
from tests.e2e.session_client import SessionClient, events_named, message_of, open_connection
from tests.tools.servers import HttpToolServer, Received, WebSocketToolServer, json_answer

T = 30


def _function(platform, key, name: str, flow: str, url: str | None = None) -> dict:
    body = {
        "data": {
            "name": name,
            "description": f"The {name} tool.",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        },
        "flow": flow,
    }
    if url:
        body["url"] = url
    return create(platform, key, "/public/functions", body)


def _ask(platform, key, agent_id: str, text: str) -> tuple[str, list[dict]]:
    with SessionClient(open_connection(platform, key, agent_id)) as client:
        client.receive_until("avatar_state_changed", state="ready")
        client.say(text)
        frames = client.receive_until("message_received", role="assistant", action="completed")
        client.end()
    return client.session_id, frames


def _audit(platform, key, session_id: str) -> list[dict]:
    session = requests.get(platform.url(f"/public/sessions/{session_id}"), headers=key.headers, timeout=T)
    return session.json()["toolCalls"]


def test_an_explicit_http_tool_gets_a_signed_post_and_its_answer_reaches_the_model(
    platform, model, model_key
):
    secrets: dict[str, str] = {}

    def behaviour(received: Received):
        if not received.signed_by(secrets["secret"]):
            return json_answer(401, {"error": "bad signature"})
        return json_answer(200, {"stock": 7, "asked": received.json["arguments"]["q"]})

    tool = HttpToolServer(behaviour).start()
    try:
        function = _function(platform, model_key, "check_stock", "explicit", tool.url())
        secrets["secret"] = function["signingSecret"]
        agent = new_agent(platform, model_key, functions=[function["id"]])
        model.reply_tool_calls([{"name": "check_stock", "arguments": {"q": "boots"}, "id": "call_s"}])
        model.reply_text("We have 7 pairs.")
        session_id, frames = _ask(platform, model_key, agent["id"], "Any boots left?")
    finally:
        tool.stop()

    assert message_of(frames[-1])["content"] == "We have 7 pairs."
    assert not events_named(frames, "function_implicitly_called")  # explicit tools never reach the client
    posted = tool.received[0].json
    assert (posted["callId"], posted["sessionId"], posted["agentId"], posted["name"]) == (
        "call_s",
        session_id,
        agent["id"],
        "check_stock",
    )
    assert json.loads(model.chat_requests[-1].messages[-1]["content"]) == {"stock": 7, "asked": "boots"}
    [audit] = _audit(platform, model_key, session_id)
    assert (audit["name"], audit["result"], audit["error"], audit["attempts"]) == (
        "check_stock",
        {"stock": 7, "asked": "boots"},
        None,
        1,
    )


def test_an_explicit_websocket_tool_answers_one_frame_with_the_call_id(platform, model, model_key):
    def behaviour(connection, received: Received):
        frame = received.json  # with the tool-socket worker: the session's socket, `initialize` first
        if frame.get("type") == "initialize":
            frame = json.loads(connection.recv(timeout=20))
        connection.send(json.dumps({"callId": frame["callId"], "result": {"open": True}}))

    tool = WebSocketToolServer(behaviour).start()
    try:
        function = _function(platform, model_key, "is_open", "explicit", tool.url())
        agent = new_agent(platform, model_key, functions=[function["id"]])
        model.reply_tool_calls([{"name": "is_open", "arguments": {"q": "today"}, "id": "call_w"}])
        model.reply_text("Yes, we are open.")
        session_id, frames = _ask(platform, model_key, agent["id"], "Open today?")
    finally:
        tool.stop()

    assert message_of(frames[-1])["content"] == "Yes, we are open."
    assert tool.received[0].signed_by(function["signingSecret"])
    assert _audit(platform, model_key, session_id)[0]["result"] == {"open": True}


def test_a_tool_that_fails_or_times_out_is_an_error_for_the_model_and_the_session_goes_on(
    platform, model, model_key
):
    broken = HttpToolServer(lambda received: json_answer(404, {"error": "no such route"})).start()
    try:
        explicit = _function(platform, model_key, "broken_tool", "explicit", broken.url())
        implicit = _function(platform, model_key, "ask_the_app", "implicit")
        agent = new_agent(platform, model_key, functions=[explicit["id"], implicit["id"]])
        model.reply_tool_calls(
            [
                {"name": "broken_tool", "arguments": {"q": "a"}, "id": "call_b"},
                {"name": "ask_the_app", "arguments": {"q": "b"}, "id": "call_i"},
            ]
        )
        model.reply_text("Sorry, I could not check that.")
        with SessionClient(open_connection(platform, model_key, agent["id"])) as client:
            client.receive_until("avatar_state_changed", state="ready")
            client.say("Check both")
            called = client.receive_until("function_implicitly_called")[-1]["data"]
            assert (called["call_id"], called["name"]) == ("call_i", "ask_the_app")
            # The client never answers: after the tool timeout the client and the model hear of it.
            frames = client.receive_until("message_received", role="assistant", action="completed")
            assert message_of(frames[-1])["content"] == "Sorry, I could not check that."
            [timeout] = events_named(frames, "function_call_timeout")
            assert timeout["data"] == {"call_id": "call_i", "name": "ask_the_app"}
            client.end()
    finally:
        broken.stop()

    results = {
        m["tool_call_id"]: json.loads(m["content"])
        for m in model.chat_requests[-1].messages
        if m["role"] == "tool"
    }
    assert "404" in results["call_b"]["error"]
    assert "timed out" in results["call_i"]["error"]
    audit = {a["name"]: a for a in _audit(platform, model_key, client.session_id)}
    assert audit["broken_tool"]["error"] and audit["ask_the_app"]["error"].startswith("timed out")
