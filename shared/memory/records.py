"""The stored shapes of memory: one ``ClientMemory`` per companion and end user, one ``PhoneLink``
per phone number linked to an end user. Both live in a project's partition (partition = project id),
and their row keys start with the companion id, so memory never crosses projects or companions.

Every list and text is bounded here, by validators that clip (never refuse): whatever a model writes,
a stored memory stays small enough for one table entity and one prompt section.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

MEMORIES_TABLE = "clientmemories"
PHONE_LINKS_TABLE = "clientphonelinks"

EXTERNAL_CLIENT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
E164_PATTERN = r"^\+[1-9]\d{6,14}$"
_EXTERNAL_CLIENT_ID = re.compile(EXTERNAL_CLIENT_ID_PATTERN)
_E164 = re.compile(E164_PATTERN)
# Companion ids are ours (``comp_…``, ``comp_stock_…``): no '.', which separates the row key's parts.
_COMPANION_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")

MAX_SUMMARY_LENGTH = 2000
MAX_FACTS = 20
MAX_FACT_LENGTH = 300
MAX_EXCHANGES = 6
MAX_EXCHANGE_LENGTH = 500
MAX_FOLDED_SESSIONS = 20
MAX_PHONE_NUMBERS = 10

Role = Literal["user", "assistant"]


def is_external_client_id(value: str) -> bool:
    return bool(_EXTERNAL_CLIENT_ID.match(value))


def is_phone_number(value: str) -> bool:
    """E.164: ``+`` then 7 to 15 digits, not starting with 0."""
    return bool(_E164.match(value))


def check_owner(companion_id: str, external_client_id: str) -> None:
    """Raise ``ValueError`` unless both ids can key a memory."""
    if not _COMPANION_ID.match(companion_id):
        raise ValueError(f"Invalid companion id {companion_id!r}.")
    if not is_external_client_id(external_client_id):
        raise ValueError(
            f"Invalid externalClientId {external_client_id!r}: it must match {EXTERNAL_CLIENT_ID_PATTERN}."
        )


def memory_row(companion_id: str, external_client_id: str) -> str:
    """``<companionId>.<externalClientId>`` (both checked)."""
    check_owner(companion_id, external_client_id)
    return f"{companion_id}.{external_client_id}"


def phone_row(companion_id: str, phone_number: str) -> str:
    """``<companionId>.phone.<E.164 number>`` (both checked)."""
    if not _COMPANION_ID.match(companion_id):
        raise ValueError(f"Invalid companion id {companion_id!r}.")
    if not is_phone_number(phone_number):
        raise ValueError(f"Invalid phone number {phone_number!r}: use E.164 (+ and 7 to 15 digits).")
    return f"{companion_id}.phone.{phone_number}"


def clip(text: str, limit: int) -> str:
    """Whitespace collapsed, at most ``limit`` characters (an ellipsis marks a cut)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def utc_now() -> datetime:
    return datetime.now(UTC)


class Exchange(BaseModel):
    """One line of a past conversation."""

    role: Role
    text: str

    @field_validator("text")
    @classmethod
    def _bounded(cls, value: str) -> str:
        return clip(value, MAX_EXCHANGE_LENGTH)


class ClientMemory(BaseModel):
    """What is remembered of one end user of one companion (table MEMORIES_TABLE, partition = project
    id, ``id`` = ``memory_row(companion_id, external_client_id)``)."""

    id: str
    companion_id: str
    external_client_id: str
    summary: str = ""
    facts: list[str] = Field(default_factory=list)
    last_exchanges: list[Exchange] = Field(default_factory=list)
    updated_at: datetime
    sessions_count: int = 0
    # Sessions already folded in: folding the same session again (a retried activity) changes nothing.
    folded_sessions: list[str] = Field(default_factory=list)

    @classmethod
    def empty(cls, companion_id: str, external_client_id: str, now: datetime) -> ClientMemory:
        return cls(
            id=memory_row(companion_id, external_client_id),
            companion_id=companion_id,
            external_client_id=external_client_id,
            updated_at=now,
        )

    @property
    def is_empty(self) -> bool:
        return not (self.summary or self.facts or self.last_exchanges)

    @field_validator("summary")
    @classmethod
    def _bounded_summary(cls, value: str) -> str:
        return clip(value, MAX_SUMMARY_LENGTH)

    @field_validator("facts")
    @classmethod
    def _bounded_facts(cls, value: list[str]) -> list[str]:
        kept: list[str] = []
        seen: set[str] = set()
        for fact in value:
            text = clip(fact, MAX_FACT_LENGTH)
            if text and text.casefold() not in seen:
                seen.add(text.casefold())
                kept.append(text)
        return kept[:MAX_FACTS]

    @field_validator("last_exchanges")
    @classmethod
    def _bounded_exchanges(cls, value: list[Exchange]) -> list[Exchange]:
        return value[-MAX_EXCHANGES:]

    @field_validator("folded_sessions")
    @classmethod
    def _bounded_sessions(cls, value: list[str]) -> list[str]:
        return value[-MAX_FOLDED_SESSIONS:]


class PhoneLink(BaseModel):
    """A phone number linked to an end user of a companion (table PHONE_LINKS_TABLE, partition =
    project id, ``id`` = ``phone_row(companion_id, phone_number)``)."""

    id: str
    companion_id: str
    phone_number: str
    external_client_id: str
    linked_at: datetime
