"""``/public/companions``: a project's companions (face and personality), the stock catalog, avatars.

Published pages: developers.napster.com/docs/api-reference/companions/get and
developers.napster.com/docs/building-your-omniagent/companion (docs/omniagent-public-api.md section 1).
There is no avatar video generation on this platform: a companion is `pending` until its avatar image
is uploaded (``PUT /public/companions/{companionId}/avatar``, our additive extension) and then
`readyToUse`; ``videoLoopUrl`` is always null.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import azure.durable_functions as df
from pydantic import Field, RootModel

from api.endpoint import Reply, RequestContext, endpoint
from shared import durable_names as names
from shared.api_errors import invalid_field
from shared.body_limits import AVATAR_BODY_BYTES
from shared.catalog.usage import refuse_if_in_use
from shared.companions.avatar import ACCEPTED_CONTENT_TYPES, MAX_AVATAR_BYTES, check_avatar
from shared.companions.avatar_preparation import instance_id_for, new_job, silhouette_blob_name
from shared.companions.catalog import ETHNICITIES, STOCK_COMPANIONS, canonical_ethnicity
from shared.companions.listing import filter_companions, searchable_text
from shared.companions.models import (
    AvatarRecord,
    Companion,
    CompanionCreate,
    CompanionListQuery,
    CompanionPage,
    CompanionRecord,
    CompanionUpdate,
    EthnicityList,
)
from shared.companions.silhouette import own_alpha_silhouette
from shared.companions.store import (
    avatars,
    companions,
    get_companion,
    to_wire,
    update_companion,
)
from shared.concurrency import matching_etag
from shared.ids import new_id
from shared.listing import paginate
from shared.platform import get_platform
from shared.request_json import reset_nulls
from shared.storage import project_blob_name

bp = df.Blueprint()
TAG = "Companions"
ROUTE = "public/companions"
ITEM_ROUTE = "public/companions/{companionId}"


class AvatarUpload(RootModel[bytes]):
    """The raw bytes of a JPEG, PNG or WebP image (judged by content), 16:9 (±2%), at least 1280x720,
    at most 10 MB."""

    root: bytes = Field(description="Image file bytes.")


def _ethnicity(value: str | None) -> str | None:
    if value is None:
        return None
    canonical = canonical_ethnicity(value)
    if canonical is None:
        raise invalid_field(
            "ethnicity", f"'{value}' is not supported; use one of GET /public/companions/ethnicities"
        )
    return canonical


def _base_url(ctx: RequestContext) -> str:
    """The app's origin as the caller reached it (stock avatar images are served from it)."""
    parts = urlsplit(ctx.request.url)
    return f"{parts.scheme}://{parts.netloc}"


def _page(
    ctx: RequestContext, records: Sequence[CompanionRecord], query: CompanionListQuery
) -> dict[str, Any]:
    ordered = sorted(records, key=lambda r: (r.created, r.id))
    page = paginate(filter_companions(ordered, query), query, searchable_text)
    page["totalCount"] = len(records)  # the count before any filter; filteredCount is after
    base_url = _base_url(ctx)
    page["items"] = [to_wire(record, base_url) for record in page["items"]]
    return page


@endpoint(
    bp,
    "POST",
    ROUTE,
    summary="Create a companion",
    tag=TAG,
    auth="api_key",
    body=CompanionCreate,
    response=Companion,
    status=201,
    description="Creates a custom companion in the key's project. `description` (the personality) is "
    "required. The companion is `pending` until an avatar image is uploaded with "
    "`PUT /public/companions/{companionId}/avatar` (no avatar is generated from `pictureUrl`).",
)
def create_companion(ctx: RequestContext) -> Reply:
    body = ctx.body(CompanionCreate)
    record = CompanionRecord(
        id=new_id("comp"),
        description=body.description,
        first_name=body.first_name,
        last_name=body.last_name,
        picture_url=body.picture_url,
        video_url=body.video_url,
        version=body.version,
        gender=body.gender,
        ethnicity=_ethnicity(body.ethnicity),
        tags=body.tags or {},
        instructions=body.instructions,
        default_view=body.default_view,
    )
    stored = companions().create(ctx.api_key.project_id, record)
    return Reply(
        to_wire(stored.entity, _base_url(ctx)),
        status=201,
        etag=stored.etag,
        headers={"Location": f"/{ROUTE}/{record.id}"},
    )


@endpoint(
    bp,
    "GET",
    ROUTE,
    summary="List the project's companions",
    tag=TAG,
    auth="api_key",
    query=CompanionListQuery,
    response=CompanionPage,
    description="The project's own companions (not the stock ones) in creation order, in the published "
    "list envelope. `totalCount` counts all of them; `filteredCount` those matching the filters and "
    "`search`.",
)
def list_companions(ctx: RequestContext) -> dict[str, Any]:
    query = ctx.query(CompanionListQuery)
    return _page(ctx, companions().list_all(ctx.api_key.project_id), query)


def _stock_page(ctx: RequestContext) -> dict[str, Any]:
    return _page(ctx, STOCK_COMPANIONS, ctx.query(CompanionListQuery))


@endpoint(
    bp,
    "GET",
    "public/companions/napster-stock",
    summary="List the stock companions",
    tag=TAG,
    auth="api_key",
    query=CompanionListQuery,
    response=CompanionPage,
    description="Our small built-in catalog, usable by every project as `companionId` and not editable; "
    "same item shape and envelope as the project's list.",
)
def list_stock_companions(ctx: RequestContext) -> dict[str, Any]:
    return _stock_page(ctx)


@endpoint(
    bp,
    "GET",
    "public/napster-companions",
    summary="List the stock companions (older path)",
    tag=TAG,
    auth="api_key",
    query=CompanionListQuery,
    response=CompanionPage,
    description="The older published name of GET /public/companions/napster-stock; same answer.",
)
def list_stock_companions_legacy(ctx: RequestContext) -> dict[str, Any]:
    return _stock_page(ctx)


@endpoint(
    bp,
    "GET",
    "public/companions/ethnicities",
    summary="List the accepted ethnicities",
    tag=TAG,
    auth="api_key",
    response=EthnicityList,
    description="The values `ethnicity` accepts (matched case-insensitively). The published answer's "
    "shape is not documented: ours is `{items: [string]}`.",
)
def list_ethnicities(ctx: RequestContext) -> EthnicityList:
    return EthnicityList(items=list(ETHNICITIES))


@endpoint(
    bp,
    "GET",
    ITEM_ROUTE,
    summary="Get a companion",
    tag=TAG,
    auth="api_key",
    response=Companion,
    errors=(404,),
    description="A companion of the key's project (with its `ETag`) or a stock one.",
)
def get_companion_by_id(ctx: RequestContext) -> Reply:
    companion_id = ctx.route("companionId")
    stock = next((c for c in STOCK_COMPANIONS if c.id == companion_id), None)
    if stock is not None:
        return Reply(to_wire(stock, _base_url(ctx)))
    stored = get_companion(ctx.api_key.project_id, companion_id)
    return Reply(to_wire(stored.entity, _base_url(ctx)), etag=stored.etag)


@endpoint(
    bp,
    "PATCH",
    ITEM_ROUTE,
    summary="Update a companion",
    tag=TAG,
    auth="api_key",
    body=CompanionUpdate,
    response=Companion,
    errors=(404, 412),
    description="Changes only the fields sent (`headline` is set here). With `If-Match`, only if the "
    "companion still has that ETag (else 412). Unlike the published service, there is no status in "
    "which a companion cannot be edited (nothing is being generated).",
)
def patch_companion(ctx: RequestContext) -> Reply:
    body = ctx.body(CompanionUpdate)
    changes = reset_nulls({name: getattr(body, name) for name in body.model_fields_set}, CompanionRecord)
    if "ethnicity" in changes:
        changes["ethnicity"] = _ethnicity(changes["ethnicity"])
    changes["updated"] = datetime.now(UTC)

    def change(record: CompanionRecord) -> CompanionRecord:
        return record.model_copy(update=changes)

    stored = update_companion(ctx.api_key.project_id, ctx.route("companionId"), ctx.if_match, change)
    return Reply(to_wire(stored.entity, _base_url(ctx)), etag=stored.etag)


@endpoint(
    bp,
    "DELETE",
    ITEM_ROUTE,
    summary="Delete a companion",
    tag=TAG,
    auth="api_key",
    status=204,
    errors=(404, 409, 412),
    description="Deletes the companion, its avatar image and its silhouette. 409 while an agent uses it.",
)
def delete_companion(ctx: RequestContext) -> Reply:
    project_id, companion_id = ctx.api_key.project_id, ctx.route("companionId")
    stored = get_companion(project_id, companion_id)
    matching_etag(ctx.if_match, stored.etag, "companion")
    refuse_if_in_use(get_platform().tables, project_id, "companion", companion_id)
    companions().delete(project_id, companion_id, stored.etag)
    avatar = stored.entity.avatar
    if avatar is not None:
        avatars().delete(avatar.blob_name)
        # A cut-out still running finds the companion gone and removes its own output.
        if avatar.silhouette_blob_name:
            avatars().delete(avatar.silhouette_blob_name)
    return Reply(status=204)


@endpoint(
    bp,
    "PUT",
    "public/companions/{companionId}/avatar",
    summary="Upload a companion's avatar image",
    tag=TAG,
    auth="api_key",
    body=AvatarUpload,
    body_content_types=ACCEPTED_CONTENT_TYPES,
    response=Companion,
    errors=(404, 412, 413, 415),
    durable_client=True,
    max_body_bytes=AVATAR_BODY_BYTES,
    description="Extension. The body is the raw image: JPEG, PNG or WebP, judged by its bytes (not the "
    f"file name or Content-Type), at most {MAX_AVATAR_BYTES} bytes (413), 16:9 within ±2% and at "
    "least 1280x720 (400 naming the measured size). Replaces any previous avatar and its silhouette. "
    "The silhouette (the person without background, a PNG with alpha, for the Web SDK's `silhouette` "
    "view) is the image's own alpha when it has transparency (the companion is `readyToUse` at once), "
    "else it is cut out in the background: `avatar.silhouette` is `preparing` and the companion "
    "`pending` until it is done (about a second), then `readyToUse` with `cutOut`, or `none` when no "
    "person is found. A refused upload changes nothing.",
)
def put_avatar(ctx: RequestContext) -> Reply:
    project_id, companion_id = ctx.api_key.project_id, ctx.route("companionId")
    current = get_companion(project_id, companion_id)
    matching_etag(ctx.if_match, current.etag, "companion")
    data = ctx.request.get_body()
    image = check_avatar(data)  # before any write
    blob_name = project_blob_name(project_id, companion_id, f"avatar.{image.extension}")
    store = avatars()
    store.put(blob_name, data, image.content_type)
    now = datetime.now(UTC)
    own_alpha = own_alpha_silhouette(data)  # cheap: no segmentation, so done here
    silhouette_name = silhouette_blob_name(project_id, companion_id, now) if own_alpha else None
    if own_alpha is not None and silhouette_name is not None:
        store.put(silhouette_name, own_alpha, "image/png")
    avatar = AvatarRecord(
        blob_name=blob_name,
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        size_bytes=image.size_bytes,
        uploaded=now,
        silhouette_blob_name=silhouette_name,
        silhouette_source="alphaChannel" if own_alpha else "preparing",
    )
    replaced: list[str] = []

    def change(record: CompanionRecord) -> CompanionRecord:
        old = record.avatar
        replaced[:] = [name for name in (old.blob_name, old.silhouette_blob_name) if name] if old else []
        return record.model_copy(update={"avatar": avatar, "updated": now})

    try:
        stored = update_companion(project_id, companion_id, ctx.if_match, change)
    except Exception:
        if current.entity.avatar is None or current.entity.avatar.blob_name != blob_name:
            store.delete(blob_name)  # nothing references the new blob
        if silhouette_name:
            store.delete(silhouette_name)
        raise
    for old_name in replaced:
        if old_name not in (blob_name, silhouette_name):
            store.delete(old_name)  # the previous avatar had another format, or its own silhouette
    if own_alpha is None:
        job = new_job(project_id, companion_id, avatar)
        assert ctx.durable is not None
        ctx.durable.start_new(names.PREPARE_AVATAR_SILHOUETTE, instance_id_for(job), job)
    return Reply(to_wire(stored.entity, _base_url(ctx)), etag=stored.etag)
