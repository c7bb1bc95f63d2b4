"""Conditional writes: ``If-Match`` against stored ETags, and read-change-write that never loses an
update. One way to do it for every resource.

With ``If-Match`` (RFC 9110: a list of tags, or ``*``) the write happens only on the version the
caller read: a stale tag, or losing the race to another writer, is 412. Without it, losing the race
reads again and re-applies the change, a few times at most: either way no other request's update is
overwritten.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel

from shared.api_errors import ApiError, conflict, precondition_failed
from shared.storage import ConcurrencyConflict, Stored, TableRepository

T = TypeVar("T", bound=BaseModel)

# Each lost race means another request's write landed, so the system progresses; the bound only caps
# how long one request keeps trying under heavy contention.
UPDATE_ATTEMPTS = 20


def etag_matches(if_match: str, current: str) -> bool:
    wanted = [tag.strip() for tag in if_match.split(",") if tag.strip()]
    # A list of tags splits on commas; Azure's ETags hold none, so this never cuts one in two.
    return "*" in wanted or current in wanted


def stale(resource: str) -> ApiError:
    return precondition_failed(f"The {resource} was changed since you read it: read it again (ETag).")


def busy(resource: str) -> ApiError:
    """Still losing the race after every attempt: a conflict, not a failed precondition (none was sent)."""
    return conflict("ConcurrentUpdate", f"The {resource} is being changed by other requests: try again.")


def matching_etag(if_match: str | None, current_etag: str, resource: str = "resource") -> str:
    """The ETag to write with: the stored one, after checking ``If-Match`` (412 when it is stale)."""
    if if_match is not None and not etag_matches(if_match, current_etag):
        raise stale(resource)
    return current_etag


def delete_condition(if_match: str | None, current_etag: str, resource: str = "resource") -> str | None:
    """The ETag a delete is conditional on: only when the caller sent ``If-Match`` (checked here)."""
    return matching_etag(if_match, current_etag, resource) if if_match is not None else None


def pause_before_retry(attempt: int) -> None:
    if attempt:
        time.sleep(random.uniform(0, 0.01 * attempt))  # spread out the retries of racing writers


def update_with_retry(
    repository: TableRepository[T],
    partition: str,
    if_match: str | None,
    read: Callable[[], Stored[T]],
    change: Callable[[T], T],
    resource: str = "resource",
) -> Stored[T]:
    """Read, change and write back with the ETag read; answers the record as written, new ETag."""
    for attempt in range(UPDATE_ATTEMPTS):
        pause_before_retry(attempt)
        stored = read()
        etag = matching_etag(if_match, stored.etag, resource)
        record = change(stored.entity)
        try:
            written = repository.update(partition, record, etag)
        except ConcurrencyConflict:
            if if_match is not None:
                raise stale(resource) from None  # the version the caller pinned is gone
            continue
        return Stored(record, written.etag)
    raise busy(resource)
