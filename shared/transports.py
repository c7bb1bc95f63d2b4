"""Which transport carries a session's events: its channel's.

``websocket`` and ``webrtc`` sessions are the same Web PubSub socket (``SessionConnection``); ``sip``
sessions are phone calls (``shared.phone.transport``). The pipeline above never asks which it serves.
"""

from __future__ import annotations

from typing import Any, Protocol

from shared.platform import Platform

PHONE_CHANNELS = frozenset({"sip"})


class SessionTransport(Protocol):
    def send(self, session_id: str, frames: list[dict[str, Any]]) -> None: ...

    def close(self, session_id: str, reason: str) -> None: ...


def transport_for(platform: Platform, channel_type: str | None) -> SessionTransport:
    if channel_type in PHONE_CHANNELS:
        return platform.phone_transport
    return platform.session_connection
