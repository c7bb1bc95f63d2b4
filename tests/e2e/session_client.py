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

    def receive(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(self.ws.recv(timeout=timeout))
        self.seen.append(frame)
        return frame

    def receive_until(self, frame_type: str, timeout: float = TIMEOUT) -> list[dict[str, Any]]:
        """Frames up to and including the first of ``frame_type``."""
        deadline = time.monotonic() + timeout
        frames = []
        while True:
            frame = self.receive(max(0.1, deadline - time.monotonic()))
            frames.append(frame)
            if frame["type"] == frame_type:
                return frames

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> SessionClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
