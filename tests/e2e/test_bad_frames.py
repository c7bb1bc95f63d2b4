"""WebSocket frames a client should never send, over the devhost's Web PubSub stand-in: each is answered
with an ``error`` event naming what is wrong (or, past the service's message size, refused by the
service), and the session goes on: the next message is answered. The common refusals (not JSON, a
deep list, an unknown type, bad data) are in test_sessions.py; these are the edges."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests
from websockets.exceptions import ConnectionClosed

from shared.sessions.protocol import MAX_FRAME_BYTES
from tests.e2e.builders import new_agent
from tests.e2e.session_client import SessionClient, open_connection

T = 30

REFUSED_FRAMES: list[tuple[str | bytes, str]] = [
    (
        json.dumps({"type": "send_message", "data": {"role": "user", "text": "x" * MAX_FRAME_BYTES}}),
        "FrameTooLarge",
    ),
    ('{"a": ' * 9_000, "InvalidJson"),  # a deep object that fits in a frame
    ("[" * 30_000 + "]" * 30_000, "InvalidJson"),  # deep but balanced
    (b"\xff\xfe\x00garbage", "InvalidJson"),  # a binary frame, not UTF-8
    ("42", "InvalidCommand"),
    ("null", "InvalidCommand"),
    ("[]", "InvalidCommand"),
    ('"send_message"', "InvalidCommand"),
    ('{"type": 5}', "InvalidCommand"),
    ('{"type": "send_message", "data": []}', "InvalidCommand"),
    ('{"type": "' + "x" * 60_000 + '"}', "UnknownCommand"),
    ('{"type": "send_message", "data": {"role": "user", "text": 1e999}}', "InvalidCommand"),  # infinity
]


def test_edge_frames_are_each_refused_with_an_error_event_and_the_session_goes_on(platform, project_key):
    agent = new_agent(platform, project_key)
    with SessionClient(open_connection(platform, project_key, agent["id"])) as client:
        client.receive_until("avatar_state_changed", state="ready")
        codes = []
        for frame, _ in REFUSED_FRAMES:
            client.ws.send(frame)
            codes.append(client.receive_until("error")[-1]["data"]["code"])
        assert codes == [code for _, code in REFUSED_FRAMES]
        assert client.ask("hello") != ""  # answered: no frame ended the session or the socket
        assert client.end()["reason"] == "client"


def test_frames_json_takes_but_python_finds_odd_leave_the_session_going(platform, project_key):
    """A lone surrogate (valid JSON, not encodable as UTF-8) and a repeated key: whatever the answer,
    the session goes on."""
    agent = new_agent(platform, project_key)
    with SessionClient(open_connection(platform, project_key, agent["id"])) as client:
        client.receive_until("avatar_state_changed", state="ready")
        client.ws.send('{"type": "send_message", "data": {"role": "user", "text": "\\ud800"}}')
        client.ws.send('{"type": "send_message", "type": "dance"}')
        client.say("hello")
        client.receive_until("message_received", role="user", content="hello")
        client.reply()
        assert client.end()["reason"] == "client"


def test_a_frame_over_the_services_message_size_closes_that_socket_only(
    platform, project_key, project_key_factory
):
    """Web PubSub takes client messages up to 1 MiB; the platform refuses a larger event before reading
    it, so the service closes that connection. The session ends as a closed websocket does (closed,
    not failed), and the agent takes the next session as usual."""
    agent = new_agent(platform, project_key)
    answer = open_connection(platform, project_key, agent["id"])
    with SessionClient(answer) as client:
        client.receive_until("avatar_state_changed", state="ready")
        client.ws.send("x" * (2 * 1024 * 1024))
        with pytest.raises(ConnectionClosed):
            client.receive_until("never")
    assert client.ws.close_code == 1011, client.ws.close_reason
    session_url = platform.url(f"/public/sessions/{answer['connection']['id']}")
    session = wait_until_closed(session_url, project_key.headers)
    assert session["status"] == "closed", session
    # Another key of the project: connections are limited to one per 5 s per key.
    other_key = project_key_factory(
        organization_id=project_key.organization_id, project_id=project_key.project_id
    )
    with SessionClient(open_connection(platform, other_key, agent["id"])) as client:
        client.receive_until("avatar_state_changed", state="ready")
        assert client.ask("hello") != ""
        assert client.end()["reason"] == "client"


def wait_until_closed(url: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + T
    while True:
        session: dict[str, Any] = requests.get(url, headers=headers, timeout=T).json()
        if session["status"] in ("closed", "failed") or time.monotonic() > deadline:
            return session
        time.sleep(0.2)
