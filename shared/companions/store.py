"""Where companions live: the project's partition of the COMPANIONS table, avatars in Blob storage.

``find_companion`` answers a project's own companion or a built-in stock one, for other resources
(agents, sessions) that reference companions.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import timedelta

from shared.api_errors import not_found, precondition_failed
from shared.catalog.tables import COMPANIONS
from shared.companions.catalog import stock_companion
from shared.companions.models import AvatarInfo, Companion, CompanionRecord
from shared.platform import get_platform
from shared.storage import BlobStore, ConcurrencyConflict, NotFound, Stored, TableRepository

AVATARS_CONTAINER = "avatars"
PREVIEW_URL_LIFETIME = timedelta(minutes=15)
_UPDATE_ATTEMPTS = 20  # each lost race means another request's write landed


def companions() -> TableRepository[CompanionRecord]:
    return get_platform().repository(COMPANIONS, CompanionRecord)


def avatars() -> BlobStore:
    return get_platform().blob_store(AVATARS_CONTAINER)


def get_companion(project_id: str, companion_id: str) -> Stored[CompanionRecord]:
    """The project's companion and its ETag; 404 for an unknown id or another project's."""
    try:
        return companions().get(project_id, companion_id)
    except (NotFound, ValueError):  # ValueError: an id that can never be a table key
        raise not_found("Companion", companion_id) from None


def find_companion(project_id: str, companion_id: str) -> CompanionRecord | None:
    """The project's companion or a stock one with this id, else None."""
    stock = stock_companion(companion_id)
    if stock is not None:
        return stock
    try:
        return companions().get(project_id, companion_id).entity
    except (NotFound, ValueError):
        return None


def update_companion(
    project_id: str,
    companion_id: str,
    if_match: str | None,
    change: Callable[[CompanionRecord], CompanionRecord],
) -> Stored[CompanionRecord]:
    """Apply ``change`` to the stored companion with an ETag-conditional write.

    With ``If-Match``, the stored ETag must equal it (else 412) and a concurrent write in between is a
    412 too. Without it, a concurrent write makes us read again and re-apply ``change``: either way no
    other request's update is ever overwritten.
    """
    for attempt in range(_UPDATE_ATTEMPTS):
        if attempt:
            time.sleep(random.uniform(0, 0.01 * attempt))  # spread out retries of racing writers
        stored = get_companion(project_id, companion_id)
        if if_match and if_match != "*" and if_match != stored.etag:
            raise precondition_failed("The companion was changed since you read it: read it again (ETag).")
        try:
            return companions().update(project_id, change(stored.entity), stored.etag)
        except ConcurrencyConflict:
            if if_match:
                raise precondition_failed(
                    "The companion was changed by another request: read it again (ETag)."
                ) from None
        except NotFound:
            raise not_found("Companion", companion_id) from None
    raise precondition_failed("The companion is being changed by other requests: try again.")


def to_wire(record: CompanionRecord) -> Companion:
    """The answer for a companion; ``previewUrl`` is a fresh short-lived read URL of its avatar."""
    avatar = record.avatar
    return Companion(
        id=record.id,
        first_name=record.first_name,
        last_name=record.last_name,
        preview_url=avatars().read_url(avatar.blob_name, PREVIEW_URL_LIFETIME) if avatar else None,
        video_loop_url=None,
        ethnicity=record.ethnicity,
        gender=record.gender,
        headline=record.headline,
        tags=record.tags,
        status=record.status,
        description=record.description,
        instructions=record.instructions,
        picture_url=record.picture_url,
        video_url=record.video_url,
        default_view=record.default_view,  # type: ignore[arg-type]  # stored from a validated value
        avatar=AvatarInfo(
            content_type=avatar.content_type,
            width=avatar.width,
            height=avatar.height,
            size_bytes=avatar.size_bytes,
        )
        if avatar
        else None,
        is_stock=record.is_stock,
        created=int(record.created.timestamp()),
    )
