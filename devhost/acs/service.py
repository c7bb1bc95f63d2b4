"""The ACS stand-in, mounted on the devhost's aiohttp app: the Call Automation REST API under
``/calling/``, the callback signing keys, the control API under ``/devhost/acs/``, and event delivery."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from aiohttp import web

from . import events
from .callback_tokens import CallbackSigner
from .calls import Call, CallBook
from .config import AcsStandInConfig
from .control import ControlApi
from .media import MediaEngine
from .rest import CallAutomationApi

log = logging.getLogger("devhost.acs")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class AcsStandIn:
    def __init__(
        self,
        config: AcsStandInConfig,
        base_url: str,
        require_key: Callable[[Handler], Handler],
        webhook_key: str = "",
    ) -> None:
        self.config = config
        self.base_url = base_url.rstrip("/")
        self._require_key = require_key  # the control API's guard (the host's master key)
        self._webhook_key = webhook_key  # the eventgrid_extension key, for a webhook on this host
        self.signer = CallbackSigner(config.signing_key_pem, config.resource_id)
        self.deliverer = events.Deliverer(self.signer)
        self.media = MediaEngine(self._emit)
        self.book = CallBook(self._emit, self._announce, self.media.stop)

    def register(self, app: web.Application) -> None:
        CallAutomationApi(self).register(app.router)
        ControlApi(self, self._require_key).register(app.router)
        app.on_startup.append(self._on_startup)
        app.on_cleanup.append(self._on_cleanup)

    async def _on_startup(self, _app: web.Application) -> None:
        await self.deliverer.start()

    async def _on_cleanup(self, _app: web.Application) -> None:
        await self.deliverer.close()

    def incoming_call_url(self) -> str | None:
        """Where IncomingCall goes; a path on this host gets the Event Grid webhook's key as ``code``,
        as the subscription's endpoint URL carries it on Azure."""
        url = self.config.incoming_call_url
        if not url:
            return None
        if url.startswith(("http://", "https://")):
            return url
        url = f"{self.base_url}/{url.lstrip('/')}"
        if self._webhook_key and "code=" not in url:
            url += ("&" if "?" in url else "?") + f"code={quote(self._webhook_key, safe='')}"
        return url

    def _announce(self, call: Call) -> None:
        url = self.incoming_call_url()
        event = events.incoming_call_event(
            call.caller,
            call.callee,
            call.server_call_id,
            call.caller_display_name,
            call.incoming_call_context,
            call.correlation_id,
        )
        record: dict[str, Any] = {"type": event["eventType"], "url": url, "status": None}
        call.events.append(record)
        if url is None:
            record["error"] = "DEVHOST_ACS_INCOMING_CALL_URL is empty: the event goes nowhere"
            return
        self.deliverer.send(call.id, events.Outgoing(url, [event], event_grid=True, record=record))

    def _emit(self, call: Call, event: str, fields: dict[str, Any], callback_url: str | None) -> None:
        url = callback_url or call.callback_url
        cloud_event = events.callback_event(
            event, call.id, call.server_call_id, call.correlation_id, call.api_version, fields
        )
        record: dict[str, Any] = {"type": cloud_event["type"], "url": url, "status": None}
        call.events.append(record)
        if url is None:
            record["error"] = "the call has no callback URL"
            return
        log.info("ACS stand-in: %s for call %s", cloud_event["type"], call.id)
        self.deliverer.send(call.id, events.Outgoing(url, [cloud_event], event_grid=False, record=record))
