"""The session's WebSocket side, through Azure Web PubSub (locally, the devhost's stand-in).

Every client of a session joins the group ``session.<id>`` (its access token says so), so the
platform sends to the group and never tracks connection ids.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.messaging.webpubsubservice import WebPubSubServiceClient

from shared.http_transport import sdk_transport_options
from shared.sessions import protocol
from shared.settings import Settings, SettingsError

TOKEN_LIFETIME_MINUTES = 60


def session_group(session_id: str) -> str:
    return f"session.{session_id}"


class SessionConnection:
    def __init__(self, settings: Settings) -> None:
        if not settings.webpubsub_connection_string:
            raise SettingsError(
                "WEBPUBSUB_CONNECTION_STRING is not set: the WebSocket channel needs Azure Web PubSub "
                "(locally the devhost provides it)."
            )
        self._client = WebPubSubServiceClient.from_connection_string(
            settings.webpubsub_connection_string, hub=settings.webpubsub_hub, **sdk_transport_options()
        )

    def client_token(self, session_id: str) -> dict[str, Any]:
        """What a client needs to connect: ``url`` (token embedded), ``token`` and its expiry."""
        access = self._client.get_client_access_token(
            user_id=session_id, groups=[session_group(session_id)], minutes_to_expire=TOKEN_LIFETIME_MINUTES
        )
        expires = datetime.now(UTC) + timedelta(minutes=TOKEN_LIFETIME_MINUTES)
        return {"url": access["url"], "token": access["token"], "expiresAt": expires.isoformat()}

    def send(self, session_id: str, frames: list[dict[str, Any]]) -> None:
        for frame in frames:
            # A mapping is sent as JSON by the SDK (a str would be JSON-encoded once more).
            self._client.send_to_group(session_group(session_id), frame, content_type="application/json")

    def close(self, session_id: str, reason: str) -> None:
        self._client.close_group_connections(session_group(session_id), reason=reason)

    def send_to_connection(self, connection_id: str, frame: dict[str, Any]) -> None:
        self._client.send_to_connection(connection_id, frame, content_type="application/json")

    def is_open(self, connection_id: str) -> bool:
        """Whether the service still holds this client connection."""
        return bool(self._client.connection_exists(connection_id))

    def close_connection(self, connection_id: str, reason: str) -> None:
        self._client.close_connection(connection_id, reason=reason)


class OrderedSends:
    """A round's frames sent in order on a thread of their own, so the round goes on (the model call,
    the next deltas, speech) while each frame travels. Deltas of one message that queued up while an
    earlier frame travelled go as one (``protocol.joined_deltas``): a busy host sends fewer, longer
    deltas instead of falling further behind. ``drain`` waits for all of them and raises the first
    failure; after a failure the frames behind it are not sent (the stream is broken)."""

    def __init__(self, send: Callable[[list[dict[str, Any]]], None]) -> None:
        self._send = send
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []
        self._queue: deque[list[dict[str, Any]]] = deque()
        self._lock = threading.Lock()
        self._failed = False

    def __call__(self, frames: list[dict[str, Any]]) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="session-send")
        with self._lock:
            self._queue.append(frames)
        self._pending.append(self._pool.submit(self._one))

    def _next(self) -> list[dict[str, Any]] | None:
        """The next call's frames, with the single deltas queued behind a single delta joined to it;
        None when an earlier run took this call's frames along."""
        with self._lock:
            if not self._queue:
                return None
            frames = self._queue.popleft()
            while len(frames) == 1 and self._queue and len(self._queue[0]) == 1:
                joined = protocol.joined_deltas(frames[0], self._queue[0][0])
                if joined is None:
                    break
                self._queue.popleft()
                frames = [joined]
            return frames

    def _one(self) -> None:
        frames = self._next()
        if frames is None or self._failed:
            return
        try:
            self._send(frames)
        except BaseException:
            self._failed = True
            raise

    def drain(self) -> None:
        pending, self._pending = self._pending, []
        failures = [future.exception() for future in pending]  # waits for each
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        first = next((failure for failure in failures if failure is not None), None)
        if first is not None:
            raise first
