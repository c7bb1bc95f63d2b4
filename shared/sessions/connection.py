"""The session's WebSocket side, through Azure Web PubSub (locally, the devhost's stand-in).

Every client of a session joins the group ``session.<id>`` (its access token says so), so the
platform sends to the group and never tracks connection ids.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.messaging.webpubsubservice import WebPubSubServiceClient

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
            settings.webpubsub_connection_string, hub=settings.webpubsub_hub
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
    the next deltas, speech) while each frame travels. ``drain`` waits for all of them and raises the
    first failure; after a failure the frames behind it are not sent (the stream is broken)."""

    def __init__(self, send: Callable[[list[dict[str, Any]]], None]) -> None:
        self._send = send
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []
        self._failed = False

    def __call__(self, frames: list[dict[str, Any]]) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="session-send")
        self._pending.append(self._pool.submit(self._one, frames))

    def _one(self, frames: list[dict[str, Any]]) -> None:
        if self._failed:
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
