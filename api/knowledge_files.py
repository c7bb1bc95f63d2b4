"""Files of a knowledge collection, and searching it (docs/omniagent-public-api.md section 5;
developers.napster.com/docs/building-your-omniagent/knowledge/files).

Published: ``POST /public/knowledge-bases/{kbId}/files`` ``{url}`` and ``PATCH …/files/{fileId}/summary``.
Extensions: multipart and JSON-text uploads, list/get/delete of files, ``POST …/search``. An upload
answers at once (``status: queued``); the ``ingest_knowledge_file`` orchestration does the work.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

import azure.durable_functions as df

from api.endpoint import Reply, RequestContext, endpoint
from orchestrators.knowledge_ingestion import instance_id_for
from shared import durable_names as names
from shared.api_errors import conflict, invalid_field, not_found, unsupported_media_type
from shared.body_limits import KNOWLEDGE_UPLOAD_BODY_BYTES, MAX_JSON_BODY_BYTES
from shared.catalog.references import load
from shared.catalog.tables import KNOWLEDGE_BASES
from shared.concurrency import delete_condition, update_with_retry
from shared.functions.addresses import UnsafeEndpoint
from shared.ids import new_id
from shared.knowledge.download import DownloadRule, check_download_url, filename_of
from shared.knowledge.extraction.detection import check_upload, content_type_for_name
from shared.knowledge.extraction.errors import DocumentError
from shared.knowledge.extraction.formats import SUPPORTED_TYPES
from shared.knowledge.files import (
    KNOWLEDGE_CONTAINER,
    MAX_FILES_PER_COLLECTION,
    KnowledgeFile,
    KnowledgeFileList,
    KnowledgeFileRecord,
    KnowledgeFileUrlUpload,
    MultipartUpload,
    SummaryUpdate,
    duplicate_of,
    files_of,
    knowledge_files,
    original_blob_name,
)
from shared.knowledge.models import (
    KnowledgeBaseRecord,
    KnowledgeSearch,
    KnowledgeSearchResult,
    KnowledgeSearchResults,
)
from shared.knowledge.removal import remove_file
from shared.knowledge.retrieval import search_collection
from shared.listing import ListQuery, paginate
from shared.platform import get_platform
from shared.storage import NotFound, Stored

bp = df.Blueprint()
TAG = "Knowledge bases"
FILES = "public/knowledge-bases/{knowledgeBaseId}/files"
ONE_FILE = FILES + "/{fileId}"


def _collection(ctx: RequestContext) -> KnowledgeBaseRecord:
    repository = get_platform().repository(KNOWLEDGE_BASES, KnowledgeBaseRecord)
    return load(repository, ctx.api_key.project_id, ctx.route("knowledgeBaseId"), "KnowledgeBase").entity


def _file(ctx: RequestContext) -> Stored[KnowledgeFileRecord]:
    collection = _collection(ctx)
    file_id = ctx.route("fileId")
    stored = load(knowledge_files(get_platform()), ctx.api_key.project_id, file_id, "KnowledgeFile")
    if stored.entity.knowledge_base_id != collection.id:
        raise not_found("KnowledgeFile", file_id)
    return stored


@dataclass(frozen=True)
class _Upload:
    """What the request brought: the bytes (multipart, text) or the URL to fetch later."""

    name: str
    data: bytes | None = None
    content_type: str | None = None
    url: str | None = None


def _read_upload(ctx: RequestContext) -> _Upload:
    media_type = (ctx.request.headers.get("Content-Type") or "application/json").split(";")[0].strip().lower()
    if media_type == "multipart/form-data":
        part = ctx.request.files.get("file")
        if part is None:
            raise invalid_field("file", "is required: send the document in the multipart part named `file`")
        data = part.read()
        name = (ctx.request.form.get("name") or part.filename or "document").strip()[:255] or "document"
        return _Upload(name=name, data=data, content_type=part.content_type or None)
    if media_type != "application/json":
        raise unsupported_media_type(
            'Send JSON (`{"url": …}` or `{"text": …}`) or multipart/form-data with the file in `file`.'
        )
    body = ctx.body(KnowledgeFileUrlUpload)
    if body.text is not None:
        return _Upload(name=body.name or "document.txt", data=body.text.encode("utf-8"), content_type=None)
    assert body.url is not None
    try:
        settings = get_platform().settings
        check_download_url(body.url, DownloadRule.of(settings.knowledge_allowed_hosts, settings.app_host))
    except UnsafeEndpoint as refused:
        raise invalid_field("url", f"cannot be fetched: {refused}") from None
    return _Upload(name=body.name or filename_of(body.url), url=body.url.strip())


@endpoint(
    bp,
    "POST",
    FILES,
    summary="Upload a file to a knowledge collection",
    tag=TAG,
    auth="api_key",
    body=KnowledgeFileUrlUpload,
    other_bodies={"multipart/form-data": MultipartUpload},
    response=KnowledgeFile,
    status=201,
    other_successes={200: "The same content is already in the collection: the existing file."},
    errors=(404, 409, 413, 415, 422),
    durable_client=True,
    max_body_bytes=KNOWLEDGE_UPLOAD_BODY_BYTES,
    description="Published: `{url}` (a public http(s) address; the address rules of tool endpoints "
    "apply). Extensions: `{text, name}`, or multipart/form-data with the document in the part `file` "
    "(and an optional `name`). PDF and Word files up to 50 MB, HTML, Markdown and text up to 10 MB "
    f"(413; the multipart body at most {KNOWLEDGE_UPLOAD_BODY_BYTES} bytes, a JSON body at most "
    f"{MAX_JSON_BODY_BYTES}: send larger text as a file), judged by content (415 for other types; "
    "422 `NoTextFound` for an empty file, `UnreadableDocument` for a damaged one); "
    "at most 30 files per collection (409 "
    "`TooManyFiles`). Answers 201 at once with `status: queued`; `progress` then moves to 100 and "
    "`status` to `ready` (or `failed`, with `error`). Content already in the collection answers 200 "
    "with the existing file.",
)
def upload_knowledge_file(ctx: RequestContext) -> Reply:
    platform = get_platform()
    project_id = ctx.api_key.project_id
    collection = _collection(ctx)
    upload = _read_upload(ctx)
    existing = files_of(platform, project_id, collection.id)
    # A URL's document is judged once fetched; until then its extension hints at the type.
    content_type = content_type_for_name(upload.name) or "application/octet-stream"
    sha256: str | None = None
    if upload.data is not None:
        try:
            kind = check_upload(upload.data, upload.content_type, upload.name)
        except DocumentError as refused:
            raise refused.api_error() from None
        content_type = SUPPORTED_TYPES[kind][0][0]
        sha256 = hashlib.sha256(upload.data).hexdigest()
        same = duplicate_of(existing, sha256)
        if same is not None:
            return Reply(same.wire(), status=200)
    if len(existing) >= MAX_FILES_PER_COLLECTION:
        raise conflict(
            "TooManyFiles",
            f"A collection holds at most {MAX_FILES_PER_COLLECTION} files; delete one first or use "
            "another collection.",
        )
    now = datetime.now(UTC)
    file_id = new_id("file")
    blob_name = None
    if upload.data is not None:
        blob_name = original_blob_name(project_id, collection.id, file_id)
        platform.blob_store(KNOWLEDGE_CONTAINER).put(
            blob_name, upload.data, upload.content_type or content_type
        )
    record = KnowledgeFileRecord(
        id=file_id,
        original_name=upload.name,
        content_type=content_type,
        created_at=now,
        updated_at=now,
        knowledge_base_id=collection.id,
        status="queued",
        progress=0,
        size_bytes=len(upload.data) if upload.data is not None else None,
        sha256=sha256,
        source_url=upload.url,
        blob_name=blob_name,
        key_id=ctx.api_key.key_id,
    )
    repository = knowledge_files(platform)
    stored = repository.create(project_id, record)
    job = {"projectId": project_id, "knowledgeBaseId": collection.id, "fileId": file_id}
    try:
        assert ctx.durable is not None
        ctx.durable.start_new(names.INGEST_KNOWLEDGE_FILE, instance_id_for(file_id), job)
    except Exception:
        remove_file(platform, project_id, record)  # no file that nothing will ever process
        raise
    return Reply(record.wire(), status=201, etag=stored.etag)


@endpoint(
    bp,
    "GET",
    FILES,
    summary="List a knowledge collection's files",
    tag=TAG,
    auth="api_key",
    query=ListQuery,
    response=KnowledgeFileList,
    errors=(404,),
    description="Extension. Oldest first, with each file's ingestion status; `search` matches names.",
)
def list_knowledge_files(ctx: RequestContext) -> Reply:
    query = ctx.query(ListQuery)
    collection = _collection(ctx)
    records = files_of(get_platform(), ctx.api_key.project_id, collection.id)
    page = paginate([r.wire() for r in records], query, lambda f: f.original_name)
    return Reply(KnowledgeFileList(**page))


@endpoint(
    bp,
    "GET",
    ONE_FILE,
    summary="Get a knowledge file",
    tag=TAG,
    auth="api_key",
    response=KnowledgeFile,
    errors=(404,),
    description="Extension. Poll it for `status` and `progress` while the file is ingested.",
)
def get_knowledge_file(ctx: RequestContext) -> Reply:
    stored = _file(ctx)
    return Reply(stored.entity.wire(), etag=stored.etag)


@endpoint(
    bp,
    "PATCH",
    ONE_FILE + "/summary",
    summary="Replace a knowledge file's summary",
    tag=TAG,
    auth="api_key",
    body=SummaryUpdate,
    response=KnowledgeFile,
    errors=(404, 412),
    description="Published. The summary generated from the text is replaced (and no longer regenerated).",
)
def update_knowledge_file_summary(ctx: RequestContext) -> Reply:
    body = ctx.body(SummaryUpdate)
    stored = _file(ctx)
    repository = knowledge_files(get_platform())
    project_id = ctx.api_key.project_id

    def change(record: KnowledgeFileRecord) -> KnowledgeFileRecord:
        return record.model_copy(
            update={"summary": body.summary, "summary_overridden": True, "updated_at": datetime.now(UTC)}
        )

    written = update_with_retry(
        repository,
        project_id,
        ctx.if_match,
        lambda: repository.get(project_id, stored.entity.id),
        change,
        "knowledge file",
    )
    return Reply(written.entity.wire(), etag=written.etag)


@endpoint(
    bp,
    "DELETE",
    ONE_FILE,
    summary="Delete a knowledge file",
    tag=TAG,
    auth="api_key",
    status=204,
    errors=(404, 412),
    description="Extension. The file, its original and its passages are removed: nothing of it is "
    "searchable afterwards (an ingestion in progress stops).",
)
def delete_knowledge_file(ctx: RequestContext) -> Reply:
    stored = _file(ctx)
    condition = delete_condition(ctx.if_match, stored.etag, "knowledge file")
    try:
        remove_file(get_platform(), ctx.api_key.project_id, stored.entity, condition)
    except NotFound:
        raise not_found("KnowledgeFile", stored.entity.id) from None
    return Reply(None, status=204)


@endpoint(
    bp,
    "POST",
    "public/knowledge-bases/{knowledgeBaseId}/search",
    summary="Search a knowledge collection",
    tag=TAG,
    auth="api_key",
    body=KnowledgeSearch,
    response=KnowledgeSearchResults,
    errors=(404,),
    description="Extension: the passages an agent with this collection would be given for `query`, "
    "best first (text ranking, fused with vector ranking when the collection has an embedding model).",
)
def search_knowledge_base(ctx: RequestContext) -> Reply:
    body = ctx.body(KnowledgeSearch)
    collection = _collection(ctx)
    hits = search_collection(
        get_platform(), ctx.api_key.project_id, collection, ctx.api_key.key_id, body.query, body.top
    )
    results = [
        KnowledgeSearchResult(
            file_id=hit.document_id,
            title=hit.title,
            chunk=hit.chunk_index,
            text=hit.text,
            headings=list(hit.heading_path),
            page=hit.page,
            score=hit.score,
        )
        for hit in hits
    ]
    return Reply(KnowledgeSearchResults(results=results))
