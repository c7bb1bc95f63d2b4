"""A loopback proxy in front of Azurite that counts the storage operations passing through it.

Tests and benchmarks point the app at it (``connection_string``) to count what a conversation turn
costs in Table and Blob operations (requests, by service and table or container), against the real
emulator behind it: the answers are Azurite's own.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import aiohttp
import requests
from aiohttp import web
from yarl import URL

from tests.azurite import DEV_ACCOUNT, DEV_KEY, Azurite
from tests.fakes.loopback import LoopbackServer

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class _Forwarder(LoopbackServer):
    thread_name = "storage-counter"

    def __init__(
        self, service: str, target_port: int, counts: Counter[tuple[str, str]], lock: threading.Lock
    ) -> None:
        super().__init__()
        self._service, self._target, self._counts, self._lock = service, target_port, counts, lock
        self._session: aiohttp.ClientSession | None = None

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{tail:.*}", self._forward)

    async def _forward(self, request: web.Request) -> web.Response:
        if self._session is None:
            self._session = aiohttp.ClientSession(auto_decompress=False)
        parts = request.path.split("/")  # /<account>/<table or container>[/...]
        resource = parts[2].split("(")[0] if len(parts) > 2 else ""
        with self._lock:
            self._counts[(self._service, resource)] += 1
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        async with self._session.request(
            request.method,
            URL(f"http://127.0.0.1:{self._target}{request.raw_path}", encoded=True),  # signed as sent
            headers=headers,
            data=await request.read() or None,
            skip_auto_headers=("Content-Type", "User-Agent", "Accept-Encoding"),  # they are signed
        ) as answer:
            body = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP}
            return web.Response(status=answer.status, headers=kept, body=body)

    async def before_stop(self) -> None:
        if self._session is not None:
            await self._session.close()


class StorageCounter:
    """``with StorageCounter(azurite) as counter:`` then ``counter.connection_string`` for the app;
    ``counter.snapshot()`` and ``counter.since(snapshot)`` count operations."""

    def __init__(self, azurite: Azurite) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()
        self._tables = _Forwarder("table", azurite.table_port, self._counts, self._lock)
        self._blobs = _Forwarder("blob", azurite.blob_port, self._counts, self._lock)
        self._queue_port = azurite.queue_port

    def __enter__(self) -> StorageCounter:
        self._tables.start()
        self._blobs.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._tables.stop()
        self._blobs.stop()

    @property
    def connection_string(self) -> str:
        base = f"http://127.0.0.1:{{}}/{DEV_ACCOUNT}"
        return (
            f"DefaultEndpointsProtocol=http;AccountName={DEV_ACCOUNT};AccountKey={DEV_KEY};"
            f"BlobEndpoint={base.format(self._blobs.port)};QueueEndpoint={base.format(self._queue_port)};"
            f"TableEndpoint={base.format(self._tables.port)};"
        )

    def snapshot(self) -> Counter[tuple[str, str]]:
        with self._lock:
            return Counter(self._counts)

    def since(self, before: Counter[tuple[str, str]]) -> Counter[tuple[str, str]]:
        now = self.snapshot()
        now.subtract(before)
        return +now


def episodes_of(host: Any, session_id: str, figure: str = "episodes") -> int:
    """The devhost's count of the session orchestrator's episodes (work items, each one checkpoint)
    since it started, or, with ``figure="invocations"``, of its orchestrator function's runs."""
    answer = requests.get(
        host.url(f"/admin/durable/instances/{session_id}/replays"), headers=host.admin_headers(), timeout=30
    )
    return int(answer.json()[figure]) if answer.status_code == 200 else 0


def settled(host: Any, session_id: str, counter: StorageCounter) -> tuple[int, Counter[tuple[str, str]]]:
    """Episodes and storage counts once a turn's last episode has finished (both stop moving)."""
    last: tuple[int, Counter[tuple[str, str]]] = (-1, Counter())
    while True:
        now = (episodes_of(host, session_id), counter.snapshot())
        if now == last:
            return now
        last = now
        time.sleep(0.2)
