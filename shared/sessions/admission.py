"""Who may open a session's socket: one live socket per session (issue 16, defect 8).

A session's connection token opens a socket only while the session has none. The first connect takes
the session's one slot; while that socket lives, the token alone (a leaked URL) opens nothing else
(409 ``SessionConnected``). When it closes, a ``websocket`` session ends (as published), so its token
opens nothing ever again; a ``webrtc`` session waits out its reconnect grace, during which the same
token opens one new socket, and after which the session has ended.

A ``webrtc`` socket's holder is also sent a reconnect key (``reconnect_key`` event, a new one on every
connection): a connect with the token and that key (``&reconnect_key=`` on the URL) takes the slot
even while the old socket still looks open (a network change the service has not noticed yet) and
closes it. Only the socket's holder ever sees the key; it is kept as a SHA-256 digest.

"Live" is asked of Web PubSub, not only read from the stored list: a ``disconnected`` event the
service could not deliver (the app was down, or the devhost crashed with its stand-in) would otherwise
keep a dead connection's slot forever.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shared.api_errors import ApiError, conflict

SESSION_CONNECTED = "SessionConnected"
RECONNECT_KEY_PARAMETER = "reconnect_key"  # the URL query parameter a reconnect carries its key in


def session_connected(session_id: str) -> ApiError:
    return conflict(
        SESSION_CONNECTED,
        f"Session '{session_id}' already has a live connection: a session takes one socket at a time "
        "(reconnect once it has closed, or with its reconnect key).",
    )


@dataclass(frozen=True)
class Admission:
    connections: list[str]  # the session's connections from now on: the one admitted
    displaced: list[str]  # open connections it replaces (their holder reconnected): to be closed


def new_reconnect_key() -> tuple[str, str]:
    """A reconnect key (sent to the socket's holder) and its digest (stored)."""
    key = secrets.token_urlsafe(32)
    return key, key_digest(key)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def admit(
    session_id: str,
    counted: Sequence[str],
    connection_id: str,
    still_open: Callable[[str], bool],
    stored_digest: str = "",
    offered_key: str = "",
) -> Admission:
    """``connection_id`` takes the slot: refused (409) while another counted connection is still open,
    unless it offers the session's current reconnect key. Counted ones the service no longer knows
    are dropped."""
    live = [c for c in counted if c != connection_id and still_open(c)]
    holder = bool(offered_key and stored_digest) and hmac.compare_digest(
        key_digest(offered_key), stored_digest
    )
    if live and not holder:
        raise session_connected(session_id)
    return Admission([connection_id], live)
