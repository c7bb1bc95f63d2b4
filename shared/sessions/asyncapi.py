"""The AsyncAPI 3.0 document of the live session protocol, generated from ``shared/sessions/protocol.py``.

The same pydantic models parse the commands and build the events, so the document cannot drift from
the code. Commands are what the server ``receive``s, events what it ``send``s (AsyncAPI 3 describes the
application: here, the session server). Extensions beyond the published protocol carry
``x-omniagent-extension: true``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from shared.sessions.protocol import COMMANDS, EVENTS, EXTENSION_COMMANDS, EXTENSION_EVENTS, _Data

EXTENSION_MARK = "x-omniagent-extension"
_SCHEMA_REF = "#/components/schemas/{model}"

DESCRIPTION = """\
The live session protocol of Omniagent: one WebSocket per session, JSON text frames both ways.

**Envelopes.** Client commands are `{"type": NAME, "data": {...}}`; server events are
`{"event": NAME, "data": {...}}`. A command the server refuses is answered with an `error` event
(`{code, message}`) and the session goes on.

**Connecting.** `POST /public/agents/{agentId}/connections` (or `POST /public/ws-connections`) answers
`{"token": ..., "connection": {"id": ...}}`. The token is base64 of JSON: decode it and open a
WebSocket to its `url` (the access token is embedded; `authToken` is the same token for clients that
send `Authorization: Bearer`). On the first connection the server sends `avatar_state_changed
{state: preparing}`, the session marker (`message_received` with `message.type = session`),
`avatar_state_changed {state: ready}`, then the agent's greeting if it has one. A later connection
(a reconnect) gets `avatar_state_changed {state: ready}` only: no marker, no greeting again.
A session takes one live socket at a time: while one is open, another connect with the token is
refused (HTTP 409, error body code `SessionConnected`) and hears nothing; once it has closed, a
`webrtc` session takes one new socket with the same token during its reconnect grace. A `webrtc`
socket is sent `reconnect_key {key}`: the token's URL with `&reconnect_key=<key>` takes the session
back at once, even while the old socket still looks open (which is then closed).

**Audio.** `send_audio` and `audio_received` carry base64 PCM16 (signed 16-bit little endian),
16 kHz, mono. The microphone is a continuous stream in chunks of any size with no end marker: keep
sending (silence too) after speech. The server detects turns (voice activity detection; the agent's
`providerSettings.turnDetection` `{threshold, prefix_padding_ms, silence_duration_ms}`, default
0.5/300/500): it sends `speech_started` when the user starts speaking (a reply in progress is then
cancelled, `reason: turn_detected`), and after `silence_duration_ms` of silence the utterance is
transcribed (a user `completed` message) and answered.

**Ending.** Closing the socket ends a `websocket` session (reason `client`); so does the `end_session`
command. A `webrtc` session whose last socket closed waits for a new one with the same token (its
reconnect grace, 20 s by default) and goes on; if none comes it ends with reason `connection_lost`.
Events and commands marked `x-omniagent-extension` go beyond the published protocol."""

_NOTES = {
    "send_message": "`system`: silent context; `trigger_response: false`: absorbed, no reply; `delay: true`: "
    "does not interrupt a reply in progress, answered after it.",
    "send_audio": "The microphone stream (base64 PCM16, 16 kHz, mono), any chunk size, no end marker.",
    "message_received": "`data.message`: a user `completed` message (typed text or a transcript); "
    "assistant `delta` pieces then `completed` (whole text), or `cancelled` (`reason: turn_detected`), "
    "or `failed` (`error`, then an `error` event); `type: session` is the session marker.",
    "talk_state_changed": "Around a reply the session speaks: `preparing`, `started`, `ended`.",
    "audio_received": "One sentence of the reply's speech: base64 PCM16, 16 kHz, mono.",
}


def asyncapi_document(server_url_hint: str | None = None, version: str = "1.0.0") -> dict[str, Any]:
    """The document; ``server_url_hint`` (the WebSocket service's client URL, without a token) adds a
    ``servers`` entry, else the address is only the token's ``url``."""
    pairs: list[tuple[type[BaseModel], JsonSchemaMode]] = [(m, "validation") for m in COMMANDS.values()]
    pairs += [(m, "serialization") for m in EVENTS.values() if m is not _Data]
    refs, definitions = models_json_schema(pairs, ref_template=_SCHEMA_REF)

    messages: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for kind, table, extensions in (
        ("type", COMMANDS, EXTENSION_COMMANDS),
        ("event", EVENTS, EXTENSION_EVENTS),
    ):
        is_command = kind == "type"
        for name, model in table.items():
            mode: JsonSchemaMode = "validation" if is_command else "serialization"
            data_schema = (
                {"description": "Free-form: what the agent's UI function passed."}
                if model is _Data
                else refs[(model, mode)]
            )
            message: dict[str, Any] = {
                "name": name,
                "title": name,
                "summary": _summary(model, name, is_command),
                "contentType": "application/json",
                "payload": {
                    "type": "object",
                    "required": [kind, "data"],
                    "properties": {kind: {"const": name}, "data": data_schema},
                },
            }
            action = "receive" if is_command else "send"
            operation: dict[str, Any] = {
                "action": action,
                "channel": {"$ref": "#/channels/session"},
                "summary": ("The client sends the `%s` command." if is_command else "The server sends `%s`.")
                % name,
                "messages": [{"$ref": f"#/channels/session/messages/{name}"}],
            }
            if name in _NOTES:
                message["description"] = _NOTES[name]
            if name in extensions:
                note = "Omniagent extension: not part of the published protocol (same envelope)."
                message[EXTENSION_MARK] = operation[EXTENSION_MARK] = True
                message["description"] = operation["description"] = note
            messages[name] = message
            operations[action + _camel(name)] = operation

    document: dict[str, Any] = {
        "asyncapi": "3.0.0",
        "info": {"title": "Omniagent live session protocol", "version": version, "description": DESCRIPTION},
        "defaultContentType": "application/json",
        "channels": {
            "session": {
                "address": None,
                "title": "A live session",
                "description": "The WebSocket at the decoded connection token's `url` (one per session).",
                "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in messages},
                "bindings": {"ws": {"method": "GET", "bindingVersion": "0.1.0"}},
            }
        },
        "operations": operations,
        "components": {"messages": messages, "schemas": definitions.get("$defs", {})},
    }
    if server_url_hint:
        parts = urlsplit(server_url_hint)
        document["servers"] = {
            "session": {
                "host": parts.netloc,
                "protocol": parts.scheme or "wss",
                "pathname": parts.path or "/",
                "description": "The WebSocket service: connect to the token's `url` (with its access token).",
            }
        }
    return document


def _summary(model: type[BaseModel], name: str, is_command: bool) -> str:
    doc = (model.__doc__ or "").strip().split("\n\n")[0]
    if doc and model is not _Data:
        return " ".join(doc.split())
    return f"The `{name}` {'command' if is_command else 'event'}."


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[_.]", name))
