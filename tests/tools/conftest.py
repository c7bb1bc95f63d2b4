"""Fixtures: tool endpoints on 127.0.0.1, stopped after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.tools.servers import Behaviour, HttpToolServer, WebSocketToolServer, WsBehaviour


@pytest.fixture
def http_tool() -> Iterator[Callable[[Behaviour], HttpToolServer]]:
    servers: list[HttpToolServer] = []

    def start(behaviour: Behaviour) -> HttpToolServer:
        server = HttpToolServer(behaviour).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def ws_tool() -> Iterator[Callable[..., WebSocketToolServer]]:
    servers: list[WebSocketToolServer] = []

    def start(behaviour: WsBehaviour, **options: bool) -> WebSocketToolServer:
        server = WebSocketToolServer(behaviour, **options).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
