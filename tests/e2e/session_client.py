"""A plain WebSocket client of a session, using nothing but the connection answer's token."""

from __future__ import annotations

import base64
import json
import time
from contextlib import ExitStack
from typing import Any

import requests
from websockets.sync.client import ClientConnection, connect

from tests.e2e.conftest import ProjectKey

TIMEOUT = 30


def open_connection(platform: Any, key: ProjectKey, agent_id: str, **body: Any) -> dict[str, Any]:
    response = requests.post(
        platform.url(f"/public/agents/{agent_id}/connections"),
        json={"channelType": "websocket", **body},
        headers=key.headers,
        timeout=TIMEOUT,
    )
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def token_of(answer: dict[str, Any]) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.b64decode(answer["token"]))
    return decoded


class SessionClient:
    def __init__(self, answer: dict[str, Any], bearer: bool = False) -> None:
        token = token_of(answer)
        self.session_id: str = answer["connection"]["id"]
        if bearer:  # the {url, authToken} form: the URL without its token, the token as a header
            url = token["url"].split("?", 1)[0]
            opening = connect(url, additional_headers={"Authorization": f"Bearer {token['authToken']}"})
        else:
            opening = connect(token["url"])
        self._stack = ExitStack()
        self.ws: ClientConnection = self._stack.enter_context(opening)
        self.seen: list[dict[str, Any]] = []

    def send(self, frame: dict[str, Any] | str) -> None:
        self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    def command(self, name: str, **data: Any) -> None:
        """A published client command: ``{"type": name, "data": {...}}``."""
        self.send({"type": name, "data": data})

    def say(self, text: str, **options: Any) -> None:
        self.command("send_message", role="user", text=text, **options)

    def end(self) -> dict[str, Any]:
        """End the session (extension command) and answer its ``session_ended`` event's data."""
        self.command("end_session")
        return self.receive_until("session_ended")[-1]["data"]

    def receive(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(self.ws.recv(timeout=timeout))
        self.seen.append(frame)
        return frame

    def receive_until(self, event: str, timeout: float = TIMEOUT, **match: Any) -> list[dict[str, Any]]:
        """Events up to and including the first ``event`` whose data (or ``data.message``, for
        ``message_received``) has the fields in ``match``."""
        deadline = time.monotonic() + timeout
        events = []
        while True:
            frame = self.receive(max(0.1, deadline - time.monotonic()))
            events.append(frame)
            if frame["event"] == event and all(fields_of(frame).get(k) == v for k, v in match.items()):
                return events

    def reply(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        """Events up to the assistant's completed message; answers that message (``data.message``)."""
        return message_of(
            self.receive_until("message_received", timeout, role="assistant", action="completed")[-1]
        )

    def ask(self, text: str, **options: Any) -> str:
        """Send a user message and answer the text of the reply."""
        self.say(text, **options)
        return str(self.reply()["content"])

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> SessionClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def fields_of(frame: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = frame.get("data") or {}
    return message_of(frame) if frame.get("event") == "message_received" else data


def message_of(frame: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = frame["data"]["message"]
    return message


def events_named(frames: list[dict[str, Any]], event: str) -> list[dict[str, Any]]:
    return [frame for frame in frames if frame["event"] == event]
