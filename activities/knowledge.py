"""The steps of ingesting a knowledge file (rules in ``shared/knowledge/ingestion.py``).

Each activity may run again after a crash: prepare rewrites the same work blob, embed the same
vector blob, index replaces the document's chunks; a file deleted meanwhile makes each step stop
(and index removes what it just wrote)."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Any

import azure.durable_functions as df

from shared import durable_names as names
from shared.catalog.tables import KNOWLEDGE_BASES
from shared.knowledge import ingestion as rules
from shared.knowledge.chunking import chunk
from shared.knowledge.download import Downloaded, DownloadRule, DownloadUnavailable, download
from shared.knowledge.extraction import extract
from shared.knowledge.extraction.errors import DocumentError
from shared.knowledge.extraction.formats import SUPPORTED_TYPES
from shared.knowledge.files import (
    KNOWLEDGE_CONTAINER,
    KnowledgeFileRecord,
    duplicate_of,
    files_of,
    knowledge_files,
    original_blob_name,
    work_blob_name,
)
from shared.knowledge.models import KnowledgeBaseRecord
from shared.knowledge.retrieval import collection_embedder, knowledge_index
from shared.models import ProviderError
from shared.platform import Platform, get_platform
from shared.storage import NotFound

log = logging.getLogger("omniagent.knowledge")

bp = df.Blueprint()

DELETED = {"ok": False, "code": "Deleted"}  # the file was deleted meanwhile: nothing more to do


# Work blobs, one per batch of ``EMBED_BATCH_CHUNKS`` chunks: an embedding step reads only its own.
def _chunks_part(batch: int) -> str:
    return f"chunks-{batch}.json"


def _vectors_part(batch: int) -> str:
    return f"vectors-{batch}.json"


def _record(platform: Platform, job: dict[str, Any]) -> KnowledgeFileRecord | None:
    try:
        return knowledge_files(platform).get(job["projectId"], job["fileId"]).entity
    except NotFound:
        return None


def _collection(platform: Platform, job: dict[str, Any]) -> KnowledgeBaseRecord:
    return (
        platform.repository(KNOWLEDGE_BASES, KnowledgeBaseRecord)
        .get(job["projectId"], job["knowledgeBaseId"])
        .entity
    )


def _fail(platform: Platform, job: dict[str, Any], code: str, message: str) -> dict[str, Any]:
    rules.update_file(platform, job["projectId"], job["fileId"], rules.failed(code, message))
    return {"ok": False, "code": code}


@bp.function_name(names.PREPARE_KNOWLEDGE_FILE)
@bp.activity_trigger(input_name="job")
def prepare_knowledge_file(job: dict[str, Any]) -> dict[str, Any]:
    """Original → text → chunks (work blobs, one per batch). Answers how many embedding batches
    follow."""
    platform = get_platform()
    record = _record(platform, job)
    if record is None:
        return DELETED
    rules.update_file(
        platform, job["projectId"], job["fileId"], lambda r: r.model_copy(update={"status": "processing"})
    )
    store = platform.blob_store(KNOWLEDGE_CONTAINER)
    try:
        if record.blob_name is not None:
            blob = store.get(record.blob_name)
            original = Downloaded(blob.data, record.content_type, record.original_name)
        else:
            original = _download(platform, record)
        sha256 = hashlib.sha256(original.data).hexdigest()
        same = duplicate_of(files_of(platform, job["projectId"], job["knowledgeBaseId"]), sha256, record)
        if same is not None:
            return _fail(
                platform,
                job,
                "DuplicateContent",
                f"The same content is already in this collection as {same.id} ({same.original_name}).",
            )
        if record.blob_name is None:
            _keep_original(platform, job, original, sha256)
        document = extract(original.data, original.content_type, original.filename)
    except DocumentError as refused:
        return _fail(platform, job, refused.code, refused.message)
    except DownloadUnavailable as unavailable:
        return _fail(
            platform,
            job,
            "DownloadFailed",
            f"{unavailable} Tried {rules.DOWNLOAD_ATTEMPTS} times; try again later.",
        )
    chunks = chunk(document)
    for batch in range(rules.embed_batches(len(chunks))):
        part = [chunks[i] for i in rules.batch_range(batch, len(chunks))]
        name = work_blob_name(job["projectId"], job["knowledgeBaseId"], job["fileId"], _chunks_part(batch))
        store.put(name, rules.chunks_to_json(part), "application/json")
    embedder = collection_embedder(platform, job["projectId"], _collection(platform, job), record.key_id)
    batches = rules.embed_batches(len(chunks)) if embedder is not None else 0

    def prepared(r: KnowledgeFileRecord) -> KnowledgeFileRecord:
        return r.model_copy(
            update={
                "title": document.title or r.original_name,
                "content_type": SUPPORTED_TYPES[document.kind][0][0],
                "summary": r.summary if r.summary_overridden else rules.summary_of(document),
                "character_count": document.char_count,
                "page_count": document.pages,
                "chunk_count": len(chunks),
                "progress": rules.PREPARED_PROGRESS,
            }
        )

    if rules.update_file(platform, job["projectId"], job["fileId"], prepared) is None:
        return DELETED
    return {"ok": True, "chunks": len(chunks), "batches": batches}


def _download(platform: Platform, record: KnowledgeFileRecord) -> Downloaded:
    """The document at the file's URL, a few attempts when the server is unavailable."""
    assert record.source_url is not None
    rule = DownloadRule.of(platform.settings.knowledge_allowed_hosts, platform.settings.app_host)
    for attempt in range(rules.DOWNLOAD_ATTEMPTS):
        try:
            return download(record.source_url, rule)
        except DownloadUnavailable:
            if attempt + 1 == rules.DOWNLOAD_ATTEMPTS:
                raise
            time.sleep(rules.DOWNLOAD_BACKOFF_SECONDS[attempt])
    raise AssertionError("unreachable")


def _keep_original(platform: Platform, job: dict[str, Any], original: Downloaded, sha256: str) -> None:
    """Store a downloaded original and note its size and hash on the file."""
    name = original_blob_name(job["projectId"], job["knowledgeBaseId"], job["fileId"])
    content_type = original.content_type or "application/octet-stream"
    platform.blob_store(KNOWLEDGE_CONTAINER).put(name, original.data, content_type)
    rules.update_file(
        platform,
        job["projectId"],
        job["fileId"],
        lambda r: r.model_copy(
            update={"blob_name": name, "sha256": sha256, "size_bytes": len(original.data)}
        ),
    )


@bp.function_name(names.EMBED_KNOWLEDGE_BATCH)
@bp.activity_trigger(input_name="job")
def embed_knowledge_batch(job: dict[str, Any]) -> dict[str, Any]:
    """Embed one batch of the file's chunks (a vector work blob) and move the progress."""
    platform = get_platform()
    record = _record(platform, job)
    if record is None:
        return DELETED
    store = platform.blob_store(KNOWLEDGE_CONTAINER)
    project_id, kb_id, file_id = job["projectId"], job["knowledgeBaseId"], job["fileId"]
    batch, batches = int(job["batch"]), int(job["batches"])
    part = store.get(work_blob_name(project_id, kb_id, file_id, _chunks_part(batch))).data
    texts = [piece.context_text for piece in rules.chunks_from_json(part)]
    embedder = collection_embedder(platform, project_id, _collection(platform, job), record.key_id)
    if embedder is None:
        return _fail(
            platform,
            job,
            "EmbeddingUnavailable",
            "The collection's embedding model is no longer configured; upload the file again.",
        )
    try:
        vectors = embedder.embed(texts)
    except ProviderError as failure:
        return _fail(platform, job, "EmbeddingFailed", f"The embedding model failed: {failure.message}")
    store.put(
        work_blob_name(project_id, kb_id, file_id, _vectors_part(batch)),
        json.dumps(vectors).encode(),
        "application/json",
    )
    progress = rules.embedding_progress(batch + 1, batches)
    rules.update_file(
        platform, project_id, file_id, lambda r: r.model_copy(update={"progress": max(r.progress, progress)})
    )
    return {"ok": True}


@bp.function_name(names.INDEX_KNOWLEDGE_FILE)
@bp.activity_trigger(input_name="job")
def index_knowledge_file(job: dict[str, Any]) -> dict[str, Any]:
    """The file's chunks (and vectors) replace the document's in the index; the file is ``ready``."""
    platform = get_platform()
    record = _record(platform, job)
    if record is None:
        return DELETED
    if record.status == "ready":  # a re-run after the work blobs were cleaned up
        return {"ok": True, "chunks": record.chunk_count}
    store = platform.blob_store(KNOWLEDGE_CONTAINER)
    project_id, kb_id, file_id = job["projectId"], job["knowledgeBaseId"], job["fileId"]
    chunk_parts = [_chunks_part(b) for b in range(rules.embed_batches(record.chunk_count))]
    vector_parts = [_vectors_part(b) for b in range(int(job["batches"]))]

    def read(part: str) -> bytes:
        return store.get(work_blob_name(project_id, kb_id, file_id, part)).data

    chunks = [piece for part in chunk_parts for piece in rules.chunks_from_json(read(part))]
    vectors = [v for part in vector_parts for v in json.loads(read(part))] if vector_parts else None
    index = knowledge_index(platform.settings)
    title = record.title or record.original_name
    try:
        index.upsert_chunks(project_id, kb_id, file_id, title, chunks, vectors)
    except ValueError as unusable:  # vectors the index cannot hold (another size): text ranking
        log.warning("indexing %s without vectors: %s", file_id, unusable)
        index.upsert_chunks(project_id, kb_id, file_id, title, chunks, None)

    def ready(r: KnowledgeFileRecord) -> KnowledgeFileRecord:
        return r.model_copy(
            update={
                "status": "ready",
                "progress": rules.INDEXED_PROGRESS,
                "chunk_count": len(chunks),
                "error": None,
            }
        )

    if rules.update_file(platform, project_id, file_id, ready) is None:
        index.delete_document(project_id, kb_id, file_id)  # deleted while we indexed
    for part in chunk_parts + vector_parts:
        store.delete(work_blob_name(project_id, kb_id, file_id, part))
    return {"ok": True, "chunks": len(chunks)}


@bp.function_name(names.FAIL_KNOWLEDGE_FILE)
@bp.activity_trigger(input_name="job")
def fail_knowledge_file(job: dict[str, Any]) -> dict[str, Any]:
    """Mark the file failed after an unexpected error (the orchestration's last resort)."""
    return _fail(get_platform(), job, job["code"], job["message"])
