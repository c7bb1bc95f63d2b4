"""A typed repository over one Azure table: pydantic models in, pydantic models out.

PartitionKey is the partition the caller names (the project id, so each project's data is its own
partition and listing one never reads another's); RowKey is the entity's id. Writes that can race use the
entity's ETag: ``update`` only succeeds if the entity is unchanged since it was read.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, NoReturn, TypeVar, cast

from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.core.paging import PageIterator
from azure.data.tables import TableClient, TableEntity, TableServiceClient, UpdateMode
from pydantic import BaseModel

from shared.storage.entities import check_model, from_entity, to_entity
from shared.storage.errors import AlreadyExists, ConcurrencyConflict, InvalidCursor, NotFound
from shared.storage.names import check_key, check_table_name

T = TypeVar("T", bound=BaseModel)

MAX_PAGE_SIZE = 1000  # the service returns at most 1000 entities per request
# The partition goes into the filter as this parameter, so its value is quoted by the SDK, not by us.
_PARTITION_PARAMETER = "__partition"


@dataclass(frozen=True)
class Stored(Generic[T]):
    """An entity as stored, with the ETag to pass back to ``update``/``delete``."""

    entity: T
    etag: str


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing; ``next_cursor`` is None on the last page."""

    items: list[T]
    next_cursor: str | None


class TableRepository(Generic[T]):
    """Entities of one pydantic model in one table (created on first use)."""

    def __init__(
        self, service: TableServiceClient, table_name: str, model: type[T], *, id_field: str = "id"
    ) -> None:
        check_model(model, id_field)
        self.table_name = check_table_name(table_name)
        self.model = model
        self.id_field = id_field
        self._service = service
        self._table: TableClient | None = None
        self._lock = threading.Lock()

    def create(self, partition: str, entity: T) -> Stored[T]:
        """Insert a new entity; raises ``AlreadyExists`` if the id is taken in this partition."""
        body = to_entity(entity, partition, self.id_field)
        try:
            written = self._client().create_entity(body)
        except HttpResponseError as error:
            self._raise(error, partition, body["RowKey"])
        return Stored(entity, written["etag"])

    def get(self, partition: str, id: str) -> Stored[T]:
        """The stored entity and its ETag; raises ``NotFound``."""
        check_key(partition, "partition")
        check_key(id, "id")
        try:
            found = self._client().get_entity(partition, id)
        except HttpResponseError as error:
            self._raise(error, partition, id)
        return Stored(self._restore(found), found.metadata["etag"] or "")

    def update(self, partition: str, entity: T, etag: str) -> Stored[T]:
        """Replace the entity if it is unchanged since it was read with ``etag``.

        Raises ``ConcurrencyConflict`` if someone else changed it (the stored entity is left as is) and
        ``NotFound`` if it no longer exists.
        """
        body = to_entity(entity, partition, self.id_field)
        try:
            written = self._client().update_entity(
                body, mode=UpdateMode.REPLACE, etag=etag, match_condition=MatchConditions.IfNotModified
            )
        except HttpResponseError as error:
            self._raise(error, partition, body["RowKey"])
        return Stored(entity, written["etag"])

    def upsert(self, partition: str, entity: T) -> Stored[T]:
        """Insert or replace the entity, whatever is stored (last writer wins)."""
        body = to_entity(entity, partition, self.id_field)
        try:
            written = self._client().upsert_entity(body, mode=UpdateMode.REPLACE)
        except HttpResponseError as error:
            self._raise(error, partition, body["RowKey"])
        return Stored(entity, written["etag"])

    def upsert_all(self, partition: str, entities: Sequence[T]) -> None:
        """Insert or replace entities of one partition in transactions of at most 100 (the service's
        limit): a handful of rows cost one storage operation and are written all or none."""
        for start in range(0, len(entities), 100):
            operations = [
                ("upsert", to_entity(entity, partition, self.id_field), {"mode": UpdateMode.REPLACE})
                for entity in entities[start : start + 100]
            ]
            try:
                self._client().submit_transaction(operations)
            except HttpResponseError as error:
                self._raise(error, partition, None)

    def delete(self, partition: str, id: str, etag: str | None = None) -> None:
        """Delete the entity; with ``etag``, only if unchanged (else ``ConcurrencyConflict``).

        Deleting an entity that does not exist is not an error (the SDK treats it as done).
        """
        check_key(partition, "partition")
        check_key(id, "id")
        condition = MatchConditions.IfNotModified if etag else MatchConditions.Unconditionally
        try:
            self._client().delete_entity(partition, id, etag=etag, match_condition=condition)
        except HttpResponseError as error:
            self._raise(error, partition, id)

    def list_page(
        self,
        partition: str,
        page_size: int,
        cursor: str | None = None,
        filter: str | None = None,
        parameters: Mapping[str, Any] | None = None,
    ) -> Page[T]:
        """One page of the partition's entities in RowKey order.

        ``cursor`` is the previous page's ``next_cursor``. ``filter`` is an OData filter over the model's
        field names (native fields only), with ``@name`` placeholders filled from ``parameters``,
        e.g. ``filter="status eq @status", parameters={"status": "active"}``.
        """
        check_key(partition, "partition")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, not {page_size}.")
        if parameters and _PARTITION_PARAMETER in parameters:
            raise ValueError(f"The filter parameter name {_PARTITION_PARAMETER!r} is reserved.")
        query = f"PartitionKey eq @{_PARTITION_PARAMETER}"
        if filter:
            # Spaces around the user's filter: the SDK only substitutes '@name' standing as its own word.
            query += f" and ( {filter} )"
        token = decode_cursor(cursor, partition) if cursor else None
        entities = self._client().query_entities(
            query,
            results_per_page=page_size,
            parameters={**(parameters or {}), _PARTITION_PARAMETER: partition},
        )
        # Tables' continuation token is a dict (next PartitionKey/RowKey), though azure-core types it str.
        pages = cast(PageIterator[TableEntity], entities.by_page(continuation_token=cast(Any, token)))
        try:
            items = [self._restore(found) for found in next(pages, [])]
        except HttpResponseError as error:
            self._raise(error, partition, None)
        next_token = cast(Mapping[str, Any] | None, pages.continuation_token)
        return Page(items, encode_cursor(next_token, partition) if next_token else None)

    def list_all(
        self, partition: str, filter: str | None = None, parameters: Mapping[str, Any] | None = None
    ) -> list[T]:
        """Every entity of the partition (a project's collection), in RowKey order."""
        items: list[T] = []
        cursor: str | None = None
        while True:
            page = self.list_page(partition, MAX_PAGE_SIZE, cursor, filter, parameters)
            items.extend(page.items)
            if page.next_cursor is None:
                return items
            cursor = page.next_cursor

    def _client(self) -> TableClient:
        table = self._table
        if table is None:
            with self._lock:
                table = self._table
                if table is None:
                    table = self._service.get_table_client(self.table_name)
                    with contextlib.suppress(ResourceExistsError):
                        table.create_table()
                    self._table = table
        return table

    def _restore(self, found: Mapping[str, Any]) -> T:
        restored: T = from_entity(self.model, found, self.id_field)
        return restored

    def _raise(self, error: HttpResponseError, partition: str, id: str | None) -> NoReturn:
        where = f"partition {partition!r} of table {self.table_name!r}"
        if id is not None:
            where = f"{self.model.__name__} {id!r} in {where}"
        match error.status_code:
            case 404:
                raise NotFound(f"{where} does not exist.") from error
            case 409:
                raise AlreadyExists(f"{where} already exists.") from error
            case 412:
                raise ConcurrencyConflict(f"{where} was changed since it was read.") from error
        raise error


def encode_cursor(token: Mapping[str, Any], partition: str) -> str:
    """The SDK's continuation token (next PartitionKey/RowKey) as url-safe base64 JSON."""
    payload = {"p": partition, "npk": token.get("PartitionKey"), "nrk": token.get("RowKey")}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, partition: str) -> dict[str, str | None]:
    """The continuation token in ``cursor``; raises ``InvalidCursor`` unless it is one of ours for
    this partition (a cursor from another project's listing must not steer this one)."""
    try:
        # validate=True: refuse stray characters instead of silently skipping them.
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        payload = json.loads(raw)
    except (binascii.Error, ValueError) as error:  # ValueError covers bad UTF-8 and bad JSON
        raise InvalidCursor("The page cursor is malformed.") from error
    if (
        not isinstance(payload, dict)
        or set(payload) != {"p", "npk", "nrk"}
        or not all(value is None or isinstance(value, str) for value in payload.values())
        or payload["npk"] is None
    ):
        raise InvalidCursor("The page cursor is malformed.")
    if payload["p"] != partition:
        raise InvalidCursor("The page cursor belongs to another listing.")
    return {"PartitionKey": payload["npk"], "RowKey": payload["nrk"]}
