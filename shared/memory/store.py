"""Where memory lives: tables MEMORIES_TABLE and PHONE_LINKS_TABLE, partition = project id, rows keyed
by companion id first (``<companionId>.<externalClientId>``, ``<companionId>.phone.<E.164>``), so a
lookup can only ever reach its own project's and companion's rows.

Writes are conditional on the ETag read (a concurrent fold is re-applied on a fresh read, never
lost); ``forget`` deletes the row itself. Phone links are one row per number: linking one that is
already another client's fails atomically (the insert is refused), and a refused set changes nothing.

``memory_store()`` is the app's store (the platform's tables); tests build one with
``MemoryStore.on(table_service(settings))``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from azure.data.tables import TableServiceClient

from shared.concurrency import UPDATE_ATTEMPTS, busy, delete_condition, pause_before_retry
from shared.memory.folding import Line, Summarizer, fold
from shared.memory.records import (
    MAX_PHONE_NUMBERS,
    MEMORIES_TABLE,
    PHONE_LINKS_TABLE,
    ClientMemory,
    PhoneLink,
    check_owner,
    is_phone_number,
    memory_row,
    phone_row,
    utc_now,
)
from shared.platform import get_platform
from shared.storage import AlreadyExists, ConcurrencyConflict, NotFound, Stored, TableRepository

__all__ = [
    "ClientMemory",
    "MemoryStore",
    "PhoneLink",
    "PhoneNumberTaken",
    "client_for_phone",
    "forget_memory",
    "link_phones",
    "load_memory",
    "memory_store",
    "phone_numbers_of",
    "save_folded",
]


class PhoneNumberTaken(Exception):
    """The number is already linked to another end user of the same companion."""

    def __init__(self, phone_number: str) -> None:
        super().__init__(f"{phone_number} is already linked to another client of this companion.")
        self.phone_number = phone_number


@dataclass
class MemoryStore:
    memories: TableRepository[ClientMemory]
    phone_links: TableRepository[PhoneLink]
    clock: Callable[[], datetime] = field(default=utc_now)

    @classmethod
    def on(cls, service: TableServiceClient) -> MemoryStore:
        return cls(
            TableRepository(service, MEMORIES_TABLE, ClientMemory),
            TableRepository(service, PHONE_LINKS_TABLE, PhoneLink),
        )

    # --- memory ---------------------------------------------------------------------------------

    def read(
        self, project_id: str, companion_id: str, external_client_id: str
    ) -> Stored[ClientMemory] | None:
        """The stored memory and its ETag, or None. Raises ``ValueError`` for ids that cannot key one."""
        try:
            return self.memories.get(project_id, memory_row(companion_id, external_client_id))
        except NotFound:
            return None

    def load(self, project_id: str, companion_id: str, external_client_id: str) -> ClientMemory | None:
        stored = self.read(project_id, companion_id, external_client_id)
        return stored.entity if stored else None

    def write(self, project_id: str, memory: ClientMemory) -> Stored[ClientMemory]:
        """Store ``memory`` as it is, whatever was there (seeding, imports)."""
        check_owner(memory.companion_id, memory.external_client_id)
        if memory.id != memory_row(memory.companion_id, memory.external_client_id):
            raise ValueError("The memory's id does not match its companion and client.")
        return self.memories.upsert(project_id, memory)

    def save_folded(
        self,
        project_id: str,
        companion_id: str,
        external_client_id: str,
        transcript: Sequence[Line],
        summarizer: Summarizer | None,
        *,
        session_id: str | None = None,
    ) -> ClientMemory | None:
        """Fold the conversation into the stored memory (``folding.fold``) and write it back with the
        ETag read; a concurrent write makes it read and fold again. Answers the memory as written, or
        None when there was none and nothing was said. Passing ``session_id`` makes it idempotent."""
        for attempt in range(UPDATE_ATTEMPTS):
            pause_before_retry(attempt)
            stored = self.read(project_id, companion_id, external_client_id)
            current = stored.entity if stored else None
            folded = fold(
                current,
                transcript,
                summarizer,
                companion_id=companion_id,
                external_client_id=external_client_id,
                session_id=session_id,
                now=self.clock(),
            )
            if folded is current or (current is None and folded.is_empty):
                return current  # nothing to remember, or this session is already in
            try:
                if stored is None:
                    self.memories.create(project_id, folded)
                else:
                    self.memories.update(project_id, folded, stored.etag)
            except (AlreadyExists, ConcurrencyConflict, NotFound):
                continue  # another fold or a forget landed in between: start from what is stored now
            return folded
        raise busy("memory")

    def forget(
        self, project_id: str, companion_id: str, external_client_id: str, if_match: str | None = None
    ) -> bool:
        """Delete the memory row (it is gone from storage); False when nothing was remembered. With
        ``if_match``, only that version (else 412 via ``shared.concurrency``)."""
        stored = self.read(project_id, companion_id, external_client_id)
        if stored is None:
            return False
        condition = delete_condition(if_match, stored.etag, "memory")
        self.memories.delete(project_id, stored.entity.id, condition)
        return True

    # --- phone links ----------------------------------------------------------------------------

    def phone_numbers(self, project_id: str, companion_id: str, external_client_id: str) -> list[str]:
        """The numbers linked to this end user of this companion, sorted."""
        check_owner(companion_id, external_client_id)
        links = self.phone_links.list_all(
            project_id,
            "companion_id eq @companion and external_client_id eq @client",
            {"companion": companion_id, "client": external_client_id},
        )
        return sorted(link.phone_number for link in links)

    def client_for_phone(self, project_id: str, companion_id: str, phone_number: str) -> str | None:
        """The ``externalClientId`` this number is linked to for this companion, or None."""
        if not is_phone_number(phone_number):
            return None
        try:
            link = self.phone_links.get(project_id, phone_row(companion_id, phone_number))
        except (NotFound, ValueError):
            return None
        return link.entity.external_client_id

    def link_phones(
        self, project_id: str, companion_id: str, external_client_id: str, phone_numbers: Iterable[str]
    ) -> list[str]:
        """Make ``phone_numbers`` the client's whole set of linked numbers (sorted, duplicates once).

        Raises ``ValueError`` for a number that is not E.164 or too many numbers, and
        ``PhoneNumberTaken`` when one is another client's; then nothing changes.
        """
        check_owner(companion_id, external_client_id)
        wanted = sorted(set(phone_numbers))
        for number in wanted:
            if not is_phone_number(number):
                raise ValueError(f"Invalid phone number {number!r}: use E.164 (+ and 7 to 15 digits).")
        if len(wanted) > MAX_PHONE_NUMBERS:
            raise ValueError(f"At most {MAX_PHONE_NUMBERS} phone numbers can be linked to a client.")
        current = set(self.phone_numbers(project_id, companion_id, external_client_id))
        created: list[str] = []
        try:
            for number in [n for n in wanted if n not in current]:
                if self._claim(project_id, companion_id, external_client_id, number):
                    created.append(number)
        except PhoneNumberTaken:
            for number in created:  # leave the set as it was
                self._release(project_id, companion_id, external_client_id, number)
            raise
        for number in current - set(wanted):
            self._release(project_id, companion_id, external_client_id, number)
        return wanted

    def _claim(self, project_id: str, companion_id: str, external_client_id: str, number: str) -> bool:
        """Link the number; False when it already was this client's. Raises ``PhoneNumberTaken``."""
        link = PhoneLink(
            id=phone_row(companion_id, number),
            companion_id=companion_id,
            phone_number=number,
            external_client_id=external_client_id,
            linked_at=self.clock(),
        )
        for _ in range(UPDATE_ATTEMPTS):
            try:
                self.phone_links.create(project_id, link)
                return True
            except AlreadyExists:
                pass
            try:
                owner = self.phone_links.get(project_id, link.id).entity.external_client_id
            except NotFound:
                continue  # released in between: try again
            if owner != external_client_id:
                raise PhoneNumberTaken(number)
            return False
        raise busy("phone link")

    def _release(self, project_id: str, companion_id: str, external_client_id: str, number: str) -> None:
        """Unlink the number if (still) this client's."""
        row = phone_row(companion_id, number)
        try:
            stored = self.phone_links.get(project_id, row)
        except NotFound:
            return
        if stored.entity.external_client_id == external_client_id:
            with contextlib.suppress(ConcurrencyConflict, NotFound):
                self.phone_links.delete(project_id, row, stored.etag)


def memory_store() -> MemoryStore:
    """The app's store, over the platform's tables."""
    platform = get_platform()
    return MemoryStore(
        platform.repository(MEMORIES_TABLE, ClientMemory),
        platform.repository(PHONE_LINKS_TABLE, PhoneLink),
    )


# The session's entry points, over the app's store.


def load_memory(project_id: str, companion_id: str, external_client_id: str) -> ClientMemory | None:
    """What is remembered of this end user of this companion (None: nothing, or ids that cannot key
    a memory)."""
    try:
        return memory_store().load(project_id, companion_id, external_client_id)
    except ValueError:
        return None


def save_folded(
    project_id: str,
    companion_id: str,
    external_client_id: str,
    transcript: Sequence[Line],
    summarizer: Summarizer | None,
    *,
    session_id: str | None = None,
) -> ClientMemory | None:
    """Fold a finished session's conversation into the end user's memory (``MemoryStore.save_folded``)."""
    return memory_store().save_folded(
        project_id, companion_id, external_client_id, transcript, summarizer, session_id=session_id
    )


def forget_memory(project_id: str, companion_id: str, external_client_id: str) -> bool:
    return memory_store().forget(project_id, companion_id, external_client_id)


def link_phones(
    project_id: str, companion_id: str, external_client_id: str, phone_numbers: Iterable[str]
) -> list[str]:
    return memory_store().link_phones(project_id, companion_id, external_client_id, phone_numbers)


def phone_numbers_of(project_id: str, companion_id: str, external_client_id: str) -> list[str]:
    return memory_store().phone_numbers(project_id, companion_id, external_client_id)


def client_for_phone(project_id: str, companion_id: str, phone_number: str) -> str | None:
    """The ``externalClientId`` a caller's number is linked to for this companion, or None."""
    return memory_store().client_for_phone(project_id, companion_id, phone_number)
