"""FAQ collections: ``/public/faqs`` (the published path; developers.napster.com/docs/building-your-agent/
knowledge/faqs and the add-knowledge skill). Published: create (optionally seeded with ``faqs``) and
``POST …/{faqCollectionId}/items``; list, read, rename, delete and the item read/update/delete are the
natural rest of the resource, which the docs do not show (docs/omniagent-public-api.md section 4).
"""

from __future__ import annotations

import time

import azure.functions as func

from api.endpoint import Reply, RequestContext, endpoint
from shared.api_errors import not_found
from shared.catalog.references import load, refuse_if_channels_use
from shared.catalog.tables import FAQ_COLLECTIONS
from shared.catalog.usage import refuse_if_in_use
from shared.concurrency import delete_condition, update_with_retry
from shared.faqs.models import (
    FAQ_ITEMS,
    FaqCollection,
    FaqCollectionCreate,
    FaqCollectionList,
    FaqCollectionRecord,
    FaqCollectionUpdate,
    FaqItem,
    FaqItemRecord,
    FaqItemUpdate,
    FaqPair,
    collection_of,
)
from shared.ids import new_id
from shared.listing import ListQuery, paginate
from shared.platform import get_platform
from shared.storage import Stored, TableRepository

bp = func.Blueprint()
TAG = "FAQ collections"
COLLECTION = "public/faqs/{faqCollectionId}"
ITEM = "public/faqs/{faqCollectionId}/items/{itemId}"


def _collections() -> TableRepository[FaqCollectionRecord]:
    return get_platform().repository(FAQ_COLLECTIONS, FaqCollectionRecord)


def _items() -> TableRepository[FaqItemRecord]:
    return get_platform().repository(FAQ_ITEMS, FaqItemRecord)


def _items_of(project_id: str, collection_id: str) -> list[FaqItemRecord]:
    return _items().list_all(project_id, "collection_id eq @collection", {"collection": collection_id})


def _new_item(collection_id: str, pair: FaqPair, now: int) -> FaqItemRecord:
    return FaqItemRecord(
        id=new_id("faq_item"),
        collection_id=collection_id,
        question=pair.question,
        answer=pair.answer,
        created_at=now,
        sequence=time.time_ns(),
    )


def _collection(ctx: RequestContext) -> Stored[FaqCollectionRecord]:
    return load(_collections(), ctx.api_key.project_id, ctx.route("faqCollectionId"), "FaqCollection")


def _item(ctx: RequestContext) -> Stored[FaqItemRecord]:
    collection = _collection(ctx)
    item_id = ctx.route("itemId")
    stored = load(_items(), ctx.api_key.project_id, item_id, "FaqItem")
    if stored.entity.collection_id != collection.entity.id:
        raise not_found("FaqItem", item_id)
    return stored


@endpoint(
    bp,
    "POST",
    "public/faqs",
    summary="Create a FAQ collection",
    tag=TAG,
    auth="api_key",
    body=FaqCollectionCreate,
    response=FaqCollection,
    status=201,
    description="Creates a collection, optionally seeded with question and answer pairs (`faqs`). "
    "Published: developers.napster.com/docs/building-your-agent/knowledge/faqs.",
)
def create_faq_collection(ctx: RequestContext) -> Reply:
    body = ctx.body(FaqCollectionCreate)
    project_id, now = ctx.api_key.project_id, int(time.time())
    record = FaqCollectionRecord(id=new_id("faq"), name=body.name, created=now, created_ns=time.time_ns())
    items = [_new_item(record.id, pair, now) for pair in body.faqs]
    # Items first: until the collection exists they are invisible, so a failure leaves no half collection.
    for item in items:
        _items().create(project_id, item)
    stored = _collections().create(project_id, record)
    return Reply(collection_of(record, items), status=201, etag=stored.etag)


@endpoint(
    bp,
    "GET",
    "public/faqs",
    summary="List FAQ collections",
    tag=TAG,
    auth="api_key",
    query=ListQuery,
    response=FaqCollectionList,
    description="The project's collections with their items, oldest first; `search` matches names.",
)
def list_faq_collections(ctx: RequestContext) -> Reply:
    query = ctx.query(ListQuery)
    project_id = ctx.api_key.project_id
    records = sorted(_collections().list_all(project_id), key=lambda r: (r.created, r.created_ns, r.id))
    page = paginate(records, query, lambda r: r.name)
    shown = {record.id for record in page["items"]}
    items: dict[str, list[FaqItemRecord]] = {id: [] for id in shown}
    if shown:
        for item in _items().list_all(project_id):
            if item.collection_id in shown:
                items[item.collection_id].append(item)
    page["items"] = [collection_of(record, items[record.id]) for record in page["items"]]
    return Reply(FaqCollectionList(**page))


@endpoint(
    bp,
    "GET",
    COLLECTION,
    summary="Get a FAQ collection",
    tag=TAG,
    auth="api_key",
    response=FaqCollection,
    errors=(404,),
)
def get_faq_collection(ctx: RequestContext) -> Reply:
    stored = _collection(ctx)
    items = _items_of(ctx.api_key.project_id, stored.entity.id)
    return Reply(collection_of(stored.entity, items), etag=stored.etag)


@endpoint(
    bp,
    "PATCH",
    COLLECTION,
    summary="Rename a FAQ collection",
    tag=TAG,
    auth="api_key",
    body=FaqCollectionUpdate,
    response=FaqCollection,
    errors=(404, 412),
    description="Items are managed through `/public/faqs/{faqCollectionId}/items`.",
)
def update_faq_collection(ctx: RequestContext) -> Reply:
    body = ctx.body(FaqCollectionUpdate)
    written = update_with_retry(
        _collections(),
        ctx.api_key.project_id,
        ctx.if_match,
        lambda: _collection(ctx),
        lambda current: current.model_copy(update={"name": body.name}),
        "FAQ collection",
    )
    items = _items_of(ctx.api_key.project_id, written.entity.id)
    return Reply(collection_of(written.entity, items), etag=written.etag)


@endpoint(
    bp,
    "DELETE",
    COLLECTION,
    summary="Delete a FAQ collection",
    tag=TAG,
    auth="api_key",
    status=204,
    errors=(404, 409, 412),
    description="Refused (409 `FaqCollectionInUse`, naming the agents) while an agent uses the collection.",
)
def delete_faq_collection(ctx: RequestContext) -> Reply:
    stored = _collection(ctx)
    project_id, collection_id = ctx.api_key.project_id, stored.entity.id
    tables = get_platform().tables
    refuse_if_in_use(tables, project_id, "faqCollection", collection_id)
    refuse_if_channels_use(tables, project_id, "faqCollection", collection_id)
    _collections().delete(project_id, collection_id, delete_condition(ctx.if_match, stored.etag))
    for item in _items_of(project_id, collection_id):
        _items().delete(project_id, item.id)
    return Reply(None, status=204)


@endpoint(
    bp,
    "POST",
    "public/faqs/{faqCollectionId}/items",
    summary="Add a question and answer to a FAQ collection",
    tag=TAG,
    auth="api_key",
    body=FaqPair,
    response=FaqItem,
    status=201,
    errors=(404,),
    description="Published: the add-knowledge skill (`POST /public/faqs/{id}/items`).",
)
def add_faq_item(ctx: RequestContext) -> Reply:
    body = ctx.body(FaqPair)
    collection = _collection(ctx)
    item = _new_item(collection.entity.id, body, int(time.time()))
    stored = _items().create(ctx.api_key.project_id, item)
    return Reply(item.to_wire(), status=201, etag=stored.etag)


@endpoint(bp, "GET", ITEM, summary="Get a FAQ item", tag=TAG, auth="api_key", response=FaqItem, errors=(404,))
def get_faq_item(ctx: RequestContext) -> Reply:
    stored = _item(ctx)
    return Reply(stored.entity.to_wire(), etag=stored.etag)


@endpoint(
    bp,
    "PATCH",
    ITEM,
    summary="Update a FAQ item",
    tag=TAG,
    auth="api_key",
    body=FaqItemUpdate,
    response=FaqItem,
    errors=(404, 412),
    description="Changes the fields sent; `updatedAt` becomes now.",
)
def update_faq_item(ctx: RequestContext) -> Reply:
    changes = ctx.body(FaqItemUpdate).model_dump(exclude_none=True)
    written = update_with_retry(
        _items(),
        ctx.api_key.project_id,
        ctx.if_match,
        lambda: _item(ctx),
        lambda current: current.model_copy(update={**changes, "updated_at": int(time.time())}),
        "FAQ item",
    )
    return Reply(written.entity.to_wire(), etag=written.etag)


@endpoint(
    bp,
    "DELETE",
    ITEM,
    summary="Delete a FAQ item",
    tag=TAG,
    auth="api_key",
    status=204,
    errors=(404, 412),
)
def delete_faq_item(ctx: RequestContext) -> Reply:
    stored = _item(ctx)
    _items().delete(ctx.api_key.project_id, stored.entity.id, delete_condition(ctx.if_match, stored.etag))
    return Reply(None, status=204)
