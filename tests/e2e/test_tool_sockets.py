"""WebSocket tool servers over the tool-socket worker: one socket per session opened at its start
(``initialize`` with the session id, the functions and the connection's metadata), calls and answers on
it, pushes (``ui_update`` to the client, ``context_update`` into the conversation), the conversation
streamed (``receiveMessages``), ``connectionBehavior.abortOnFailure``, and the socket closing at the end."""

from __future__ import annotations

import json
import socket
from typing import Any

from tests.e2e.builders import create, new_agent
from tests.e2e.session_client import SessionClient, events_named, open_connection
from tests.fakes.session_tool_server import SessionToolServer

READY = {"state": "ready"}


def _ws_function(platform, key, name: str, url: str, **fields: Any) -> dict:
    body = {
        "data": {
            "name": name,
            "description": f"The {name} tool.",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        },
        "flow": "explicit",
        "url": url,
        **fields,
    }
    return create(platform, key, "/public/functions", body)


def _refused_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"ws://127.0.0.1:{port}/gone"


def test_initialize_then_calls_on_the_same_socket_and_ui_update_reaches_the_client(
    platform, model, model_key
):
    with SessionToolServer(lambda frame: {"stock": 3, "q": frame["arguments"]["q"]}) as tool:
        function = _ws_function(
            platform,
            model_key,
            "check_stock",
            tool.url(),
            headers={"X-Tool-Key": "k1"},
            connectionBehavior={"waitBeforeStart": True},
        )
        agent = new_agent(platform, model_key, functions=[function["id"]])
        answer = open_connection(
            platform, model_key, agent["id"], externalClientId="user_7", tags={"plan": "gold"}
        )
        with SessionClient(answer) as client:
            client.receive_until("avatar_state_changed", **READY)
            [initialize] = tool.wait_for(lambda t: t.frames_of("initialize"))
            assert initialize["data"]["session_id"] == client.session_id
            assert [f["name"] for f in initialize["data"]["functions"]] == ["check_stock"]
            assert initialize["data"]["metadata"] == {
                "external_client_id": "user_7",
                "tags": {"plan": "gold"},
            }
            assert tool.handshakes[0]["x-tool-key"] == "k1"

            model.reply_tool_calls([{"name": "check_stock", "arguments": {"q": "boots"}, "id": "call_a"}])
            model.reply_text("Three pairs left.")
            model.reply_tool_calls([{"name": "check_stock", "arguments": {"q": "hats"}, "id": "call_b"}])
            model.reply_text("Three hats too.")
            assert client.ask("Any boots?") == "Three pairs left."
            assert client.ask("And hats?") == "Three hats too."
            assert len(tool.handshakes) == 1  # both calls on the session's one socket
            assert [f["callId"] for f in tool.frames if "callId" in f] == ["call_a", "call_b"]
            tool_message = json.loads(model.chat_requests[1].messages[-1]["content"])
            assert tool_message == {"stock": 3, "q": "boots"}

            tool.push("ui_update", {"card": "cart", "items": [{"sku": "B1"}]})
            [update] = client.receive_until("ui_update")[-1:]
            assert update == {"event": "ui_update", "data": {"card": "cart", "items": [{"sku": "B1"}]}}
            client.end()
        tool.wait_for(lambda t: t.closed == 1)  # the session's end closed its socket


def test_context_update_with_and_without_trigger_response(platform, model, model_key):
    with SessionToolServer() as tool:
        function = _ws_function(
            platform, model_key, "slow_job", tool.url(), connectionBehavior={"waitBeforeStart": True}
        )
        agent = new_agent(platform, model_key, functions=[function["id"]])
        with SessionClient(open_connection(platform, model_key, agent["id"])) as client:
            client.receive_until("avatar_state_changed", **READY)
            tool.wait_for(lambda t: t.frames_of("initialize"))

            model.reply_text("Your report is ready.")
            tool.push(
                "context_update",
                {"content": "The report finished.", "role": "system", "trigger_response": True},
            )
            assert client.reply()["content"] == "Your report is ready."
            assert "The report finished." in json.dumps(model.chat_requests[-1].messages)

            silent_before = len(model.chat_requests)
            tool.push(
                "context_update",
                {
                    "content": "The courier is Bob.",
                    "role": "system",
                    "trigger_response": False,
                    "previous_item_id": None,
                },
            )
            # pushes are relayed in order, each delivered before the next: once this ui_update is
            # here, the silent update is in the session's inbox
            tool.push("ui_update", {"step": "after-silent-update"})
            client.receive_until("ui_update")
            model.reply_text("Bob brings it.")
            assert client.ask("Who delivers?") == "Bob brings it."
            assert len(model.chat_requests) == silent_before + 1  # the silent update got no reply of its own
            assert "The courier is Bob." in json.dumps(model.chat_requests[-1].messages)
            client.end()


def test_receive_messages_streams_completed_user_and_assistant_items(platform, model, model_key):
    with SessionToolServer() as tool:
        function = _ws_function(
            platform,
            model_key,
            "listener",
            tool.url(),
            receiveMessages=True,
            connectionBehavior={"waitBeforeStart": True},
        )
        agent = new_agent(platform, model_key, functions=[function["id"]])
        with SessionClient(open_connection(platform, model_key, agent["id"])) as client:
            client.receive_until("avatar_state_changed", **READY)
            model.reply_text("Hello back.")
            assert client.ask("Hello there") == "Hello back."
            streamed = tool.wait_for(
                lambda t: len(t.frames_of("message_received")) >= 2 and t.frames_of("message_received")
            )
            messages = [f["data"]["message"] for f in streamed]
            assert [(m["role"], m["action"], m["content"]) for m in messages] == [
                ("user", "completed", "Hello there"),
                ("assistant", "completed", "Hello back."),
            ]
            client.end()


def test_an_unreachable_tool_server_with_abort_on_failure_ends_the_session_with_error(
    platform, model, model_key
):
    function = _ws_function(
        platform,
        model_key,
        "must_have",
        _refused_url(),
        connectionBehavior={"waitBeforeStart": True, "abortOnFailure": True},
    )
    agent = new_agent(platform, model_key, functions=[function["id"]])
    with SessionClient(open_connection(platform, model_key, agent["id"])) as client:
        frames = client.receive_until("session_ended")
    assert frames[-1]["data"]["reason"] == "error"
    assert [e["data"]["code"] for e in events_named(frames, "error")] == ["ToolServerUnavailable"]


def test_an_unreachable_tool_server_without_abort_is_told_and_the_session_goes_on(platform, model, model_key):
    function = _ws_function(platform, model_key, "nice_to_have", _refused_url())
    agent = new_agent(platform, model_key, functions=[function["id"]])
    with SessionClient(open_connection(platform, model_key, agent["id"])) as client:
        frames = client.receive_until("error", code="ToolServerUnavailable")
        assert "nice_to_have" in frames[-1]["data"]["message"]
        model.reply_text("Still here.")
        assert client.ask("Are you there?") == "Still here."
        assert client.end()["reason"] == "client"
