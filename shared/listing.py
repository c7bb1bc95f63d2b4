"""The published list envelope: ``{items, filteredCount, totalCount, pageIndex, pageSize, search}``.

``pageIndex`` is zero-based; ``totalCount`` counts the collection, ``filteredCount`` what matches
``search`` (docs/omniagent-public-api.md section 0.3). A project's collections are small enough to
page in memory after one partition read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

ItemT = TypeVar("ItemT")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    pageIndex: int = Field(0, ge=0, description="Zero-based page number.")
    pageSize: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Items per page.")
    search: str | None = Field(None, max_length=200, description="Case-insensitive text to look for.")


class ListEnvelope(BaseModel, Generic[ItemT]):
    """One page of a collection (``pageIndex`` is zero-based)."""

    items: list[ItemT] = Field(description="The items of this page.")
    filteredCount: int = Field(description="How many items match `search` (all of them without it).")
    totalCount: int = Field(description="How many items the collection holds.")
    pageIndex: int = Field(description="Zero-based number of this page.")
    pageSize: int = Field(description="Items per page.")
    search: str | None = Field(None, description="The search text the list was filtered by.")


def paginate(items: Sequence[ItemT], query: ListQuery, searchable: Callable[[ItemT], str]) -> dict[str, Any]:
    """One page of ``items`` (already in their listing order) as the envelope's fields."""
    needle = (query.search or "").strip().lower()
    matching = [item for item in items if needle in searchable(item).lower()] if needle else list(items)
    start = query.pageIndex * query.pageSize
    return {
        "items": matching[start : start + query.pageSize],
        "filteredCount": len(matching),
        "totalCount": len(items),
        "pageIndex": query.pageIndex,
        "pageSize": query.pageSize,
        "search": query.search,
    }
