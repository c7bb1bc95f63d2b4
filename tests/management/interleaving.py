"""A real table repository (on Azurite) that lets a test slip a concurrent write in before an update."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.storage import Stored, TableRepository


class InterleavingRepository(TableRepository[Any]):
    before_next_update: Callable[[], None] | None = None

    def update(self, partition: str, entity: Any, etag: str) -> Stored[Any]:
        hook, self.before_next_update = self.before_next_update, None
        if hook is not None:
            hook()  # another request's write lands between our read and our write
        return super().update(partition, entity, etag)
