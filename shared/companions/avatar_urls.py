"""Where a browser reads a companion's avatar images (the Web SDK draws them into a canvas).

Uploaded avatars are blobs, read through short-lived SAS URLs (the blob service answers CORS for any
origin, set where the platform opens Blob storage, so a canvas that draws them is not tainted). Stock
companions' images ship with the app and are served by it at
``/static/stock-avatars/{file}``, so their URLs are built from the caller's origin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from shared.companions.models import STOCK_PREFIX, CompanionRecord
from shared.companions.store import avatars

# Long enough for a page to load the images of a connection it has just opened, short enough that a
# leaked link soon stops working. A reconnect gets fresh links.
AVATAR_URL_LIFETIME = timedelta(hours=1)
STOCK_AVATAR_ROUTE = "static/stock-avatars"


@dataclass(frozen=True)
class AvatarUrls:
    image_url: str | None  # the avatar image (uploaded: a read SAS URL; stock: app-served PNG)
    silhouette_url: str | None  # PNG with alpha (cut out at upload, or the uploaded PNG's own alpha)


def stock_avatar_file(companion_id: str, silhouette: bool = False) -> str | None:
    """The file name of a stock companion's built-in image, or None for a non-stock id."""
    if not companion_id.startswith(STOCK_PREFIX):
        return None
    slug = companion_id[len(STOCK_PREFIX) :]
    return f"{slug}-silhouette.png" if silhouette else f"{slug}.png"


def stock_avatar_url(app_base_url: str, file_name: str) -> str:
    return f"{app_base_url.rstrip('/')}/{STOCK_AVATAR_ROUTE}/{file_name}"


def avatar_urls(record: CompanionRecord, app_base_url: str) -> AvatarUrls:
    """Both images of a companion as URLs a browser can read cross-origin; None where there is none."""
    if record.is_stock:
        image = stock_avatar_file(record.id)
        silhouette = stock_avatar_file(record.id, silhouette=True)
        return AvatarUrls(
            image_url=stock_avatar_url(app_base_url, image) if image else None,
            silhouette_url=stock_avatar_url(app_base_url, silhouette) if silhouette else None,
        )
    avatar = record.avatar
    if avatar is None:
        return AvatarUrls(image_url=None, silhouette_url=None)
    store = avatars()
    silhouette = avatar.silhouette_blob_name
    return AvatarUrls(
        image_url=store.read_url(avatar.blob_name, AVATAR_URL_LIFETIME),
        silhouette_url=store.read_url(silhouette, AVATAR_URL_LIFETIME) if silhouette else None,
    )
