"""Where companions live: the project's partition of the COMPANIONS table, avatars in Blob storage.

``find_companion`` answers a project's own companion or a built-in stock one, for other resources
(agents, sessions) that reference companions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from shared.api_errors import not_found
from shared.catalog.tables import COMPANIONS
from shared.companions.catalog import stock_companion
from shared.companions.models import AvatarInfo, Companion, CompanionRecord
from shared.concurrency import update_with_retry
from shared.platform import get_platform
from shared.storage import BlobStore, NotFound, Stored, TableRepository

AVATARS_CONTAINER = "avatars"
PREVIEW_URL_LIFETIME = timedelta(minutes=15)


def companions() -> TableRepository[CompanionRecord]:
    return get_platform().repository(COMPANIONS, CompanionRecord)


def avatars() -> BlobStore:
    store = get_platform().blob_store(AVATARS_CONTAINER)
    store.allow_browser_reads()  # the Web SDK draws avatars into a canvas (once per store)
    return store


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
    """Apply ``change`` to the stored companion with an ETag-conditional write (``shared.concurrency``)."""
    return update_with_retry(
        companions(),
        project_id,
        if_match,
        lambda: get_companion(project_id, companion_id),
        change,
        "companion",
    )


def to_wire(record: CompanionRecord, app_base_url: str) -> Companion:
    """The answer for a companion; ``previewUrl`` is a fresh short-lived read URL of its avatar (stock
    companions: the app-served image under ``app_base_url``)."""
    from shared.companions.avatar_urls import stock_avatar_file, stock_avatar_url  # imports this module

    avatar = record.avatar
    store = avatars() if avatar else None
    if store is not None and avatar is not None:
        preview_url: str | None = store.read_url(avatar.blob_name, PREVIEW_URL_LIFETIME)
    else:
        stock_file = stock_avatar_file(record.id) if record.is_stock else None
        preview_url = stock_avatar_url(app_base_url, stock_file) if stock_file else None
    return Companion(
        id=record.id,
        first_name=record.first_name,
        last_name=record.last_name,
        preview_url=preview_url,
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
            silhouette=avatar.silhouette_source,  # type: ignore[arg-type]  # written from the Literal
            silhouette_url=store.read_url(avatar.silhouette_blob_name, PREVIEW_URL_LIFETIME)
            if avatar.silhouette_blob_name
            else None,
        )
        if avatar and store
        else None,
        is_stock=record.is_stock,
        created=int(record.created.timestamp()),
    )
