"""A phone call's state, beside its session: table ``phonecalls``, partition = row = the session id.

Written when the call is answered (who called which number, the per-call secret's digest, the voice
and the end-of-speech silence the session's replies are spoken and heard with), then changed with its
ETag as ACS reports the call: connected (its ``callConnectionId``), closing (the session ended, a
goodbye plays, the call is hung up), ended (``CallDisconnected``). Callbacks for an ended or unknown
call change nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel

from shared.concurrency import update_with_retry
from shared.storage import AlreadyExists, NotFound, TableRepository

PHONE_CALLS_TABLE = "phonecalls"
# One row per IncomingCall taken (partition = row = its correlationId): Event Grid delivers at least
# once, and a call delivered again must not open a second session.
INCOMING_CALLS_TABLE = "phoneincomingcalls"
# The published advice for phone calls: 800 ms of silence ends the caller's turn.
DEFAULT_END_SILENCE_MS = 800

CallState = Literal["answering", "connected", "closing", "ended"]


class PhoneCall(BaseModel):
    id: str  # the session id
    project_id: str
    caller: str  # the caller's number (E.164) or raw id
    called: str  # the number called
    secret_digest: str  # SHA-256 of the per-call secret in the callback URL
    voice_name: str  # the Azure voice replies are spoken with
    end_silence_ms: int = DEFAULT_END_SILENCE_MS
    call_connection_id: str | None = None
    state: CallState = "answering"
    busy: bool = False  # answered only to say that no agent is free, then hung up (no session)
    answered_at: datetime


class IncomingCallTaken(BaseModel):
    id: str  # the IncomingCall's correlationId
    taken_at: datetime


def new_call_secret() -> tuple[str, str]:
    """A per-call secret (for the callback URL) and its digest (what is stored)."""
    secret = secrets.token_urlsafe(24)
    return secret, secret_digest(secret)


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(call: PhoneCall, offered: str | None) -> bool:
    return bool(offered) and hmac.compare_digest(call.secret_digest, secret_digest(offered or ""))


class PhoneCalls:
    def __init__(
        self, repository: TableRepository[PhoneCall], incoming: TableRepository[IncomingCallTaken]
    ) -> None:
        self._repository = repository
        self._incoming = incoming

    def take_incoming(self, correlation_id: str) -> bool:
        """Whether this IncomingCall is new (and now taken); False for a delivery seen before."""
        try:
            self._incoming.create(
                correlation_id, IncomingCallTaken(id=correlation_id, taken_at=datetime.now(UTC))
            )
        except AlreadyExists:
            return False
        return True

    def give_back_incoming(self, correlation_id: str) -> None:
        """Taking it failed: a delivery again may try once more."""
        with contextlib.suppress(NotFound):
            self._incoming.delete(correlation_id, correlation_id)

    def add(self, call: PhoneCall) -> None:
        self._repository.create(call.id, call)

    def find(self, session_id: str) -> PhoneCall | None:
        try:
            return self._repository.get(session_id, session_id).entity
        except (NotFound, ValueError):
            return None

    def change(self, session_id: str, change: Callable[[PhoneCall], PhoneCall]) -> PhoneCall:
        return update_with_retry(
            self._repository,
            session_id,
            None,
            lambda: self._repository.get(session_id, session_id),
            change,
            "phone call",
        ).entity

    def move(self, session_id: str, state: CallState, **fields: object) -> PhoneCall:
        return self.change(session_id, lambda call: call.model_copy(update={"state": state, **fields}))
