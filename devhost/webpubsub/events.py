"""Delivery of events to the app's event handler, as Azure Web PubSub does it over HTTP.

Binary-mode CloudEvents: the event is the POST body; its attributes are ``ce-*`` headers
(``ce-specversion``, ``ce-id``, ``ce-source`` = ``/hubs/{hub}/client/{connectionId}``, ``ce-type`` =
``azure.webpubsub.sys.<event>`` or ``azure.webpubsub.user.<event>``, ``ce-time``, ``ce-awpsversion``,
``ce-hub``, ``ce-connectionId``, ``ce-userId``, ``ce-eventName``, ``ce-signature`` =
``sha256=<hex HMAC-SHA256(AccessKey, connectionId)>``, ``ce-subprotocol``, ``ce-connectionState``),
plus ``WebHook-Request-Origin``. Before the first delivery to a handler URL, the CloudEvents abuse
protection handshake: ``OPTIONS`` with ``WebHook-Request-Origin``, to be answered with a 2xx and
``WebHook-Allowed-Origin`` naming that origin or ``*``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

import aiohttp

if TYPE_CHECKING:
    from .service import Connection

log = logging.getLogger("devhost.webpubsub")

AWPS_VERSION = "1.0"
HANDLER_TIMEOUT_S = 100.0
VALIDATION_TIMEOUT_S = 10.0
RETRY_FAILED_VALIDATION_AFTER_S = 2.0
SYSTEM_EVENTS = frozenset({"connect", "connected", "disconnected"})
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


class DeliveryError(Exception):
    """The event could not be handed to the handler (refused origin, unreachable, timed out)."""


@dataclass(frozen=True)
class HandlerAnswer:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def signature(access_key: str, connection_id: str) -> str:
    digest = hmac.new(access_key.encode(), connection_id.encode(), hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def event_type(event_name: str) -> str:
    kind = "sys" if event_name in SYSTEM_EVENTS else "user"
    return f"azure.webpubsub.{kind}.{event_name}"


@dataclass
class _Validation:
    allowed: bool = False
    checked_at: float = float("-inf")
    lock: asyncio.Lock | None = None


class EventHandlerClient:
    """Posts events to the handler URL template (``{hub}`` and ``{event}`` placeholders)."""

    def __init__(self, template: str, base_url: str, access_key: str, origin: str) -> None:
        self.template = template
        self.base_url = base_url.rstrip("/")
        self.access_key = access_key
        self.origin = origin
        self._validations: dict[str, _Validation] = {}
        self._session: aiohttp.ClientSession | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.template)

    def url(self, hub: str, event_name: str | None = None) -> str:
        """The handler URL for ``hub`` and ``event_name`` (None leaves ``{event}`` as it is)."""
        resolved = self.template.replace("{hub}", quote(hub, safe=""))
        if event_name is not None:
            resolved = resolved.replace("{event}", quote(event_name, safe=""))
        if resolved.startswith(("http://", "https://")):
            return resolved
        return f"{self.base_url}/{resolved.lstrip('/')}"

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(auto_decompress=True)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- abuse protection ----------------------------------------------------------------------

    async def _allowed(self, hub: str) -> bool:
        url = self.url(hub, "validate")
        state = self._validations.setdefault(url, _Validation(lock=asyncio.Lock()))
        assert state.lock is not None
        async with state.lock:
            if state.allowed:
                return True
            if time.monotonic() - state.checked_at < RETRY_FAILED_VALIDATION_AFTER_S:
                return False
            state.allowed = await self._validate(url)
            state.checked_at = time.monotonic()
            return state.allowed

    async def _validate(self, url: str) -> bool:
        assert self._session is not None
        headers = {"WebHook-Request-Origin": self.origin, "ce-awpsversion": AWPS_VERSION}
        try:
            async with self._session.options(
                url, headers=headers, timeout=aiohttp.ClientTimeout(total=VALIDATION_TIMEOUT_S)
            ) as response:
                await response.read()
                allowed_origins = [
                    origin.strip()
                    for value in response.headers.getall("WebHook-Allowed-Origin", [])
                    for origin in value.split(",")
                ]
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning(
                "Web PubSub: abuse protection OPTIONS %s failed (%r); events are not delivered", url, error
            )
            return False
        if not 200 <= status < 300:
            log.warning(
                "Web PubSub: abuse protection OPTIONS %s answered %s; events are not delivered", url, status
            )
            return False
        if not any(o == "*" or o.lower() == self.origin.lower() for o in allowed_origins):
            log.warning(
                "Web PubSub: abuse protection OPTIONS %s answered WebHook-Allowed-Origin %r, which allows "
                "neither %r nor '*'; events are not delivered",
                url,
                allowed_origins,
                self.origin,
            )
            return False
        log.info("Web PubSub: event handler %s allows origin %r", url, self.origin)
        return True

    # -- events --------------------------------------------------------------------------------

    async def deliver(
        self, connection: Connection, event_name: str, body: bytes, content_type: str
    ) -> HandlerAnswer:
        if self._session is None:
            raise DeliveryError("the event handler client is not started")
        if not await self._allowed(connection.hub):
            raise DeliveryError(f"the event handler for hub '{connection.hub}' did not pass abuse protection")
        headers = {
            "Content-Type": content_type,
            "WebHook-Request-Origin": self.origin,
            "ce-specversion": "1.0",
            "ce-id": str(connection.next_event_id()),
            "ce-source": f"/hubs/{connection.hub}/client/{connection.id}",
            "ce-type": event_type(event_name),
            "ce-time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "ce-awpsversion": AWPS_VERSION,
            "ce-hub": connection.hub,
            "ce-connectionId": connection.id,
            "ce-eventName": event_name,
            "ce-signature": signature(self.access_key, connection.id),
        }
        if connection.user_id:
            headers["ce-userId"] = connection.user_id
        if connection.subprotocol:
            headers["ce-subprotocol"] = connection.subprotocol
        if connection.state is not None:
            headers["ce-connectionState"] = connection.state
        url = self.url(connection.hub, event_name)
        try:
            async with self._session.post(
                url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=HANDLER_TIMEOUT_S)
            ) as response:
                answer = HandlerAnswer(
                    status=response.status,
                    headers={k.lower(): v for k, v in response.headers.items()},
                    body=await response.read(),
                )
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DeliveryError(f"POST {url} failed: {error!r}") from error
        if answer.ok and event_name not in ("connected", "disconnected"):
            # Only blocking events (connect, user events) may set the connection state.
            state = answer.headers.get("ce-connectionstate")
            if state is not None:
                connection.state = state
        return answer
