"""Knowledge collections: ``/public/knowledge-bases`` (developers.napster.com/docs/building-your-omniagent/
knowledge/files; docs/omniagent-public-api.md section 5). The collection resource; its files and search
are ``api/knowledge_files.py``. Deleting a collection deletes its files and their chunks.

Published: ``POST`` ``{name, provider}`` → ``{id, name, provider, created}``; list, read, rename (PATCH)
and delete are not shown in the docs and follow the same shape."""

from __future__ import annotations

import time

import azure.functions as func

from api.endpoint import Reply, RequestContext, endpoint
from shared.catalog.references import load, refuse_if_channels_use
from shared.catalog.tables import KNOWLEDGE_BASES
from shared.catalog.usage import refuse_if_in_use
from shared.concurrency import delete_condition, update_with_retry
from shared.ids import new_id
from shared.knowledge.models import (
    KnowledgeBase,
    KnowledgeBaseCreate,
    KnowledgeBaseList,
    KnowledgeBaseRecord,
    KnowledgeBaseUpdate,
    provider_for_key,
)
from shared.knowledge.removal import remove_collection_files
from shared.listing import ListQuery, paginate
from shared.platform import get_platform
from shared.storage import Stored, TableRepository

bp = func.Blueprint()
TAG = "Knowledge bases"
ONE = "public/knowledge-bases/{knowledgeBaseId}"


def _repository() -> TableRepository[KnowledgeBaseRecord]:
    return get_platform().repository(KNOWLEDGE_BASES, KnowledgeBaseRecord)


def _wire(record: KnowledgeBaseRecord) -> KnowledgeBase:
    return KnowledgeBase.model_validate(record.model_dump(exclude={"created_ns", "key_id"}))


def _load(ctx: RequestContext) -> Stored[KnowledgeBaseRecord]:
    return load(_repository(), ctx.api_key.project_id, ctx.route("knowledgeBaseId"), "KnowledgeBase")


@endpoint(
    bp,
    "POST",
    "public/knowledge-bases",
    summary="Create a knowledge collection",
    tag=TAG,
    auth="api_key",
    body=KnowledgeBaseCreate,
    response=KnowledgeBase,
    status=201,
    description="Published: developers.napster.com/docs/building-your-omniagent/knowledge/files.",
)
def create_knowledge_base(ctx: RequestContext) -> Reply:
    body = ctx.body(KnowledgeBaseCreate)
    record = KnowledgeBaseRecord(
        id=new_id("kb"),
        name=body.name,
        provider=body.provider or provider_for_key(ctx.api_key.provider_type),
        created=int(time.time()),
        created_ns=time.time_ns(),
        key_id=ctx.api_key.key_id,
    )
    stored = _repository().create(ctx.api_key.project_id, record)
    return Reply(_wire(record), status=201, etag=stored.etag)


@endpoint(
    bp,
    "GET",
    "public/knowledge-bases",
    summary="List knowledge collections",
    tag=TAG,
    auth="api_key",
    query=ListQuery,
    response=KnowledgeBaseList,
    description="The project's collections, oldest first; `search` matches names.",
)
def list_knowledge_bases(ctx: RequestContext) -> Reply:
    query = ctx.query(ListQuery)
    records = sorted(
        _repository().list_all(ctx.api_key.project_id), key=lambda r: (r.created, r.created_ns, r.id)
    )
    page = paginate([_wire(r) for r in records], query, lambda kb: kb.name)
    return Reply(KnowledgeBaseList(**page))


@endpoint(
    bp,
    "GET",
    ONE,
    summary="Get a knowledge collection",
    tag=TAG,
    auth="api_key",
    response=KnowledgeBase,
    errors=(404,),
)
def get_knowledge_base(ctx: RequestContext) -> Reply:
    stored = _load(ctx)
    return Reply(_wire(stored.entity), etag=stored.etag)


@endpoint(
    bp,
    "PATCH",
    ONE,
    summary="Rename a knowledge collection",
    tag=TAG,
    auth="api_key",
    body=KnowledgeBaseUpdate,
    response=KnowledgeBase,
    errors=(404, 412),
    description="Extension: changes the collection's `name` (its files and provider stay). With "
    "`If-Match`, only if the collection still has that ETag (else 412).",
)
def rename_knowledge_base(ctx: RequestContext) -> Reply:
    body = ctx.body(KnowledgeBaseUpdate)
    written = update_with_retry(
        _repository(),
        ctx.api_key.project_id,
        ctx.if_match,
        lambda: _load(ctx),
        lambda current: current.model_copy(update={"name": body.name}),
        "knowledge collection",
    )
    return Reply(_wire(written.entity), etag=written.etag)


@endpoint(
    bp,
    "DELETE",
    ONE,
    summary="Delete a knowledge collection",
    tag=TAG,
    auth="api_key",
    status=204,
    errors=(404, 409, 412),
    description="Refused (409 `KnowledgeBaseInUse`, naming the agents) while an agent uses the collection.",
)
def delete_knowledge_base(ctx: RequestContext) -> Reply:
    stored = _load(ctx)
    project_id, kb_id = ctx.api_key.project_id, stored.entity.id
    tables = get_platform().tables
    refuse_if_in_use(tables, project_id, "knowledgeBase", kb_id)
    refuse_if_channels_use(tables, project_id, "knowledgeBase", kb_id)
    condition = delete_condition(ctx.if_match, stored.etag)  # a stale If-Match: 412, nothing removed
    remove_collection_files(get_platform(), project_id, kb_id)
    _repository().delete(project_id, kb_id, condition)
    return Reply(None, status=204)
