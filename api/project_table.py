"""One table of a project's resources, as the CRUD endpoints of a resource reach it.

``ProjectTable`` names the table, its record model, the route parameter of one resource and the
words of its errors once, so each endpoint module reads, lists, updates and deletes the same way
(404 ``<code>NotFound``, If-Match checked, listing oldest first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel

from api.endpoint import RequestContext
from shared.catalog.references import load
from shared.concurrency import delete_condition, update_with_retry
from shared.platform import get_platform
from shared.storage import Stored, TableRepository

RecordT = TypeVar("RecordT", bound=BaseModel)


class Created(Protocol):
    id: str
    created: int
    created_ns: int


ListedT = TypeVar("ListedT", bound=Created)


def oldest_first(records: Iterable[ListedT]) -> list[ListedT]:
    """The listing order: creation time (ns within a second), then id."""
    return sorted(records, key=lambda r: (r.created, r.created_ns, r.id))


@dataclass(frozen=True)
class ProjectTable(Generic[RecordT]):
    table: str
    record: type[RecordT]
    route_param: str  # the route's id parameter: ``sipAgentId``
    code: str  # the 404 code's resource: ``SipAgent`` -> ``SipAgentNotFound``
    label: str  # in messages: ``SIP agent``

    def repository(self) -> TableRepository[RecordT]:
        return get_platform().repository(self.table, self.record)

    def load(self, ctx: RequestContext) -> Stored[RecordT]:
        """The resource the route names, in the caller's project, or 404."""
        return load(self.repository(), ctx.api_key.project_id, ctx.route(self.route_param), self.code)

    def list_all(self, ctx: RequestContext) -> list[RecordT]:
        return list(self.repository().list_all(ctx.api_key.project_id))

    def update(
        self, ctx: RequestContext, change: Callable[[RecordT], RecordT], if_match: str | None
    ) -> Stored[RecordT]:
        """``change`` applied to the route's resource, retried on a racing write (412 on a stale
        ``if_match``)."""
        return update_with_retry(
            self.repository(), ctx.api_key.project_id, if_match, lambda: self.load(ctx), change, self.label
        )

    def delete(self, ctx: RequestContext) -> None:
        """Removes the route's resource (404 if missing; 412 on a stale If-Match)."""
        stored = self.load(ctx)
        condition = delete_condition(ctx.if_match, stored.etag)
        self.repository().delete(ctx.api_key.project_id, ctx.route(self.route_param), condition)
