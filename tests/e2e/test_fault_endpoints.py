"""Customer endpoints that misbehave in a session, over the devhost: an explicit HTTP tool that never
answers, and a model endpoint that resets every connection. The turn goes on with an error (to the
model, or to the client as an ``error`` event), the session goes on, the host stays up."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest
import requests

from tests.e2e.builders import create, new_agent
from tests.e2e.session_client import SessionClient, events_named, message_of, open_connection
from tests.tools.servers import HttpToolServer, Received, json_answer

T = 30


def test_a_tool_endpoint_that_hangs_is_a_timed_out_error_for_the_model_and_the_turn_goes_on(
    platform, model, model_key
):
    def hang(received: Received):
        tool.release.wait(60)  # past the tool timeout (3 s on the tests' host); set when the server stops
        return json_answer(200, {"late": True})

    tool = HttpToolServer(hang).start()
    try:
        function = create(
            platform,
            model_key,
            "/public/functions",
            {
                "data": {
                    "name": "slow_lookup",
                    "description": "Looks things up.",
                    "parameters": {"type": "object"},
                },
                "flow": "explicit",
                "url": tool.url(),
            },
        )
        agent = new_agent(platform, model_key, functions=[function["id"]])
        model.reply_tool_calls([{"name": "slow_lookup", "arguments": {}, "id": "call_slow"}])
        model.reply_text("The lookup did not answer in time.")
        with SessionClient(open_connection(platform, model_key, agent["id"])) as client:
            client.receive_until("avatar_state_changed", state="ready")
            client.say("Look it up")
            frames = client.receive_until("message_received", role="assistant", action="completed")
            assert message_of(frames[-1])["content"] == "The lookup did not answer in time."
            model.reply_text("Still here.")
            assert client.ask("Are you there?") == "Still here."
            client.end()
    finally:
        tool.stop()

    assert len(tool.received) == 1  # called once, not retried past its budget
    [tool_result] = [m for m in model.chat_requests[1].messages if m["role"] == "tool"]
    assert tool_result["tool_call_id"] == "call_slow" and "timed out" in tool_result["content"]


class ResettingServer:
    """Accepts TCP connections on loopback and resets each at once (SO_LINGER 0: an RST, no answer)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.accepted = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/v1"

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return  # closed
            self.accepted += 1
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()

    def __enter__(self) -> ResettingServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.listener.close()


@pytest.fixture
def resetting_model() -> Iterator[ResettingServer]:
    with ResettingServer() as server:
        yield server


def test_a_model_endpoint_that_resets_connections_is_an_error_event_and_the_session_goes_on(
    platform, project_key_factory, resetting_model
):
    key = project_key_factory(
        provider={"type": "openai-compatible", "baseUrl": resetting_model.base_url, "model": "gpt-reset"}
    )
    agent = new_agent(platform, key)
    with SessionClient(open_connection(platform, key, agent["id"])) as client:
        client.receive_until("avatar_state_changed", state="ready")
        codes = []
        for text in ("Hello?", "Hello again?"):  # the session takes the next message after the first failure
            client.say(text)
            frames = client.receive_until("error")
            codes.append(frames[-1]["data"]["code"])
            assert frames[-1]["data"]["message"], frames[-1]
        assert codes[0] == codes[1] and codes[0].startswith("model_"), codes
        failed = [
            m
            for m in map(message_of, events_named(client.seen, "message_received"))
            if m.get("role") == "assistant"
        ]
        assert [m["action"] for m in failed] == ["failed", "failed"], failed
        assert client.end()["reason"] == "client"
    assert resetting_model.accepted >= 2
    assert requests.get(platform.url("/health"), timeout=T).status_code == 200
