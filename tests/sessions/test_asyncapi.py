"""The AsyncAPI 3.0 document of the live protocol: its structure (no PyPI package ships the official
AsyncAPI 3.0.0 JSON Schema, so the rules that matter are checked here), every command and event, and
frames the protocol itself builds and parses validate against their message payloads."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from jsonschema import Draft7Validator

from shared.sessions import protocol
from shared.sessions.asyncapi import EXTENSION_MARK, asyncapi_document

DOCUMENT = asyncapi_document()
COMPONENT_KEY = re.compile(r"^[a-zA-Z0-9.\-_]+$")


def _resolve(pointer: str, document: dict[str, Any] = DOCUMENT) -> Any:
    assert pointer.startswith("#/"), pointer
    node: Any = document
    for step in pointer[2:].split("/"):
        step = step.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and step in node, f"{pointer} does not resolve"
        node = node[step]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _payload_validator(name: str) -> Draft7Validator:
    """AsyncAPI's default schema format is a superset of JSON Schema draft 07."""
    payload = DOCUMENT["components"]["messages"][name]["payload"]
    schema = {**payload, "components": DOCUMENT["components"]}
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def _operations(action: str) -> dict[str, str]:
    """Message name -> operation id, for the operations with this action."""
    found = {}
    for operation_id, operation in DOCUMENT["operations"].items():
        if operation["action"] == action:
            for ref in operation["messages"]:
                found[_resolve(ref["$ref"])["$ref"].rsplit("/", 1)[1]] = operation_id
    return found


def test_the_document_has_the_asyncapi_3_structure():
    assert DOCUMENT["asyncapi"] == "3.0.0"
    assert set(DOCUMENT["info"]) == {"title", "version", "description"}
    description = DOCUMENT["info"]["description"]
    for needle in ('{"type": NAME', '{"event": NAME', "PCM16", "16 kHz", "mono", "`url`", "speech_started"):
        assert needle in description
    assert set(DOCUMENT) == {"asyncapi", "info", "defaultContentType", "channels", "operations", "components"}
    channel = DOCUMENT["channels"]["session"]
    assert channel["address"] is None and "`url`" in channel["description"]
    assert channel["bindings"] == {"ws": {"method": "GET", "bindingVersion": "0.1.0"}}
    for section in ("messages", "schemas"):
        assert all(COMPONENT_KEY.match(key) for key in DOCUMENT["components"][section])
    assert all(re.match(r"^(send|receive)[A-Z]", op) for op in DOCUMENT["operations"])


def test_every_ref_resolves_and_no_pydantic_defs_are_left():
    refs = _refs(DOCUMENT)
    assert len(refs) > 2 * (len(protocol.COMMANDS) + len(protocol.EVENTS))
    for ref in refs:
        _resolve(ref)
    assert "$defs" not in json.dumps(DOCUMENT)
    assert {"SendMessage", "ConversationItem", "TurnDetection"} <= set(DOCUMENT["components"]["schemas"])


def test_each_operation_uses_its_channel_and_only_that_channels_messages():
    for operation_id, operation in DOCUMENT["operations"].items():
        assert operation["channel"] == {"$ref": "#/channels/session"}, operation_id
        for ref in operation["messages"]:
            assert ref["$ref"].startswith("#/channels/session/messages/"), operation_id


def test_every_command_is_received_and_every_event_is_sent():
    assert set(_operations("receive")) == set(protocol.COMMANDS)
    assert set(_operations("send")) == set(protocol.EVENTS)
    assert _operations("receive")["send_message"] == "receiveSendMessage"
    assert _operations("send")["message_received"] == "sendMessageReceived"
    channel_messages = DOCUMENT["channels"]["session"]["messages"]
    assert len(channel_messages) == len(protocol.COMMANDS) + len(protocol.EVENTS)


def test_extensions_are_marked_and_described_and_nothing_else_is():
    messages = DOCUMENT["components"]["messages"]
    marked = {name for name, message in messages.items() if message.get(EXTENSION_MARK)}
    assert marked == protocol.EXTENSION_COMMANDS | protocol.EXTENSION_EVENTS
    for name in marked:
        assert "extension" in messages[name]["description"]
    marked_operations = {
        op for op, operation in DOCUMENT["operations"].items() if operation.get(EXTENSION_MARK)
    }
    assert marked_operations == {
        "receiveEndSession",
        "sendInactivityWarning",
        "sendSessionEnded",
        "sendReconnectKey",
        "sendError",
    }


BUILT_EVENTS = [
    protocol.avatar_state("preparing"),
    protocol.session_marker("sess_1", "2025-01-01T00:00:00Z"),
    protocol.talk_state("started"),
    protocol.message(
        protocol.ConversationItem(role="user", action="completed", content="Hi", item_id="i1", timestamp="t")
    ),
    protocol.message(
        protocol.ConversationItem(role="assistant", action="delta", content="He", response_id="r1")
    ),
    protocol.message(
        protocol.ConversationItem(
            role="assistant",
            action="completed",
            content="Hello",
            citations=[{"index": 1, "documentId": "d", "title": "T", "chunk": 0, "text": "x"}],
        )
    ),
    protocol.message(protocol.ConversationItem(role="assistant", action="cancelled", reason="turn_detected")),
    protocol.audio("AAAA", response_id="r1", item_id="i2"),
    protocol.speech_started(),
    protocol.function_called("c1", "lookup", {"q": 1}),
    protocol.function_timeout("c1", "lookup"),
    protocol.ui_update({"panel": "open"}),
    protocol.inactivity_warning(30),
    protocol.reconnect_key("k3y"),
    protocol.session_ended("client", 1),
    protocol.error("UnknownCommand", "no such command"),
]


@pytest.mark.parametrize("frame", BUILT_EVENTS, ids=lambda frame: frame["event"])
def test_a_built_event_validates_against_its_message_payload(frame):
    errors = list(_payload_validator(frame["event"]).iter_errors(json.loads(json.dumps(frame))))
    assert errors == []


COMMAND_FRAMES = [
    {"type": "send_message", "data": {"role": "user", "text": "Hi", "trigger_response": False}},
    {"type": "send_audio", "data": {"audio": "AAAA"}},
    {"type": "send_function_output", "data": {"call_id": "c1", "output": {"ok": 1}, "delay": True}},
    {"type": "set_settings", "data": {"temperature": 0.2, "turn_detection": {"silence_duration_ms": 800}}},
    {"type": "end_session", "data": {}},
]


@pytest.mark.parametrize("frame", COMMAND_FRAMES, ids=lambda frame: frame["type"])
def test_a_command_the_protocol_parses_validates_against_its_message_payload(frame):
    assert type(protocol.parse_command(json.dumps(frame))) is protocol.COMMANDS[frame["type"]]
    assert list(_payload_validator(frame["type"]).iter_errors(frame)) == []


@pytest.mark.parametrize(
    ("name", "frame"),
    [
        ("send_message", {"type": "send_message", "data": {"role": "user"}}),
        ("send_message", {"type": "send_message", "data": {"role": "robot", "text": "Hi"}}),
        ("send_message", {"type": "send_audio", "data": {"role": "user", "text": "Hi"}}),
        ("session_ended", {"event": "session_ended", "data": {"reason": "client"}}),
        ("avatar_state_changed", {"event": "avatar_state_changed", "data": {"state": "asleep"}}),
        ("error", {"type": "error", "data": {"code": "X", "message": "m"}}),
    ],
)
def test_a_frame_the_protocol_would_refuse_or_never_build_does_not_validate(name, frame):
    assert list(_payload_validator(name).iter_errors(frame)) != []


def test_a_server_url_hint_adds_the_websocket_server():
    document = asyncapi_document("wss://hub.webpubsub.azure.com/client/hubs/omniagent", version="2.0.0")
    assert document["servers"] == {
        "session": {
            "host": "hub.webpubsub.azure.com",
            "protocol": "wss",
            "pathname": "/client/hubs/omniagent",
            "description": document["servers"]["session"]["description"],
        }
    }
    assert document["info"]["version"] == "2.0.0"
    assert "servers" not in DOCUMENT
