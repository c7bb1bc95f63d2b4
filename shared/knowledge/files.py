"""Knowledge files: the documents of a collection, their wire shape and their stored record.

Published (developers.napster.com/docs/building-your-omniagent/knowledge/files; docs/omniagent-public-api.md
section 5): ``POST /public/knowledge-bases/{kbId}/files`` with ``{url}`` answers ``{id: "file_…",
originalName, contentType, createdAt}``; ``PATCH …/files/{fileId}/summary`` with ``{summary}``; at most 30
files per collection. Additive fields say where ingestion is: ``status`` (``queued`` → ``processing`` →
``ready`` | ``failed``), ``progress`` (0-100), counts, and ``error`` (what to do) when it failed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, model_validator
from pydantic.alias_generators import to_camel

from shared.catalog.tables import KNOWLEDGE_FILES
from shared.listing import ListEnvelope
from shared.platform import Platform
from shared.storage import TableRepository, project_blob_name

MAX_FILES_PER_COLLECTION = 30
SUMMARY_MAX_CHARS = 1000
KNOWLEDGE_CONTAINER = "knowledge"

FileStatus = Literal["queued", "processing", "ready", "failed"]


class FileError(BaseModel):
    code: str = Field(description="Why ingestion failed: `UnsupportedMediaType`, `PayloadTooLarge`, …")
    message: str = Field(description="What happened and what to do about it.")


class KnowledgeFileUrlUpload(BaseModel):
    """The JSON upload: a public URL (published), or the text itself (extension)."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(
        None,
        min_length=1,
        max_length=2048,
        description="A publicly reachable http(s) URL of the document (published). The address rules "
        "of tool endpoints apply: no private or loopback addresses.",
    )
    text: str | None = Field(
        None, min_length=1, description="Extension: the document's text (Markdown or plain text)."
    )
    name: str | None = Field(
        None,
        min_length=1,
        max_length=255,
        description="Extension: the name to show (`originalName`); with `text`, `.md` makes it Markdown.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> KnowledgeFileUrlUpload:
        if (self.url is None) == (self.text is None):
            raise ValueError("send exactly one of `url` and `text`")
        return self


class MultipartUpload(BaseModel):
    """The multipart upload (extension): the file in the part named `file`."""

    file: bytes = Field(description="The document: PDF, DOCX, HTML, Markdown or plain text.")
    name: str | None = Field(
        default=None, description="The file name to show, instead of the part's file name."
    )


class SummaryUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    summary: str = Field(min_length=1, max_length=SUMMARY_MAX_CHARS, description="The file's new summary.")


class KnowledgeFile(BaseModel):
    """A file of a knowledge collection."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, validate_by_alias=True)

    id: str = Field(description="The file id (`file_…`).")
    original_name: str = Field(description="The uploaded file's name.")
    content_type: str = Field(description="Its media type, as judged from its content.")
    created_at: datetime = Field(description="When it was uploaded (UTC, ISO 8601).")
    knowledge_base_id: str = Field(description="Extension: its collection.")
    updated_at: datetime = Field(description="Extension: the last change of status.")
    status: FileStatus = Field(description="Extension: `queued`, `processing`, `ready` or `failed`.")
    progress: int = Field(
        ge=0, le=100, description="Extension: percent of the ingestion done (100 when `ready`)."
    )
    size_bytes: int | None = Field(default=None, description="Extension: the file's size.")
    sha256: str | None = Field(
        default=None, description="Extension: hash of the content (duplicates are refused)."
    )
    title: str | None = Field(default=None, description="Extension: the document's title, from its content.")
    summary: str | None = Field(
        default=None, description="The summary (generated from the text; can be replaced)."
    )
    chunk_count: int = Field(default=0, description="Extension: passages indexed.")
    character_count: int = Field(default=0, description="Extension: characters of text.")
    page_count: int | None = Field(default=None, description="Extension: pages (PDF).")
    source_url: str | None = Field(default=None, description="Extension: the URL it came from.")
    error: FileError | None = Field(default=None, description="Extension: why it failed (status `failed`).")

    @field_serializer("created_at", "updated_at", when_used="json")
    def _utc(self, value: datetime) -> str:
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")


class KnowledgeFileList(ListEnvelope[KnowledgeFile]):
    """The published list envelope of a collection's files."""


class KnowledgeFileRecord(KnowledgeFile):
    """Stored file (table KNOWLEDGE_FILES, partition = project id). The original is the blob
    ``blob_name`` (absent until a URL upload is downloaded)."""

    blob_name: str | None = None
    key_id: str = ""  # the uploading key (its project's limits and address rules apply)
    summary_overridden: bool = False  # set by PATCH …/summary: ingestion keeps the customer's summary

    def wire(self) -> KnowledgeFile:
        return KnowledgeFile.model_validate(
            self.model_dump(exclude={"blob_name", "key_id", "summary_overridden"})
        )


def knowledge_files(platform: Platform) -> TableRepository[KnowledgeFileRecord]:
    return platform.repository(KNOWLEDGE_FILES, KnowledgeFileRecord)


def files_of(platform: Platform, project_id: str, knowledge_base_id: str) -> list[KnowledgeFileRecord]:
    """The collection's files, oldest first."""
    return sorted(
        knowledge_files(platform).list_all(project_id, "knowledge_base_id eq @kb", {"kb": knowledge_base_id}),
        key=lambda f: (f.created_at, f.id),
    )


def original_blob_name(project_id: str, knowledge_base_id: str, file_id: str) -> str:
    return project_blob_name(project_id, knowledge_base_id, file_id, "original")


def work_blob_name(project_id: str, knowledge_base_id: str, file_id: str, part: str) -> str:
    """Intermediate results of ingestion (chunks, vectors), deleted when it ends."""
    return project_blob_name(project_id, knowledge_base_id, file_id, part)


def duplicate_of(
    files: list[KnowledgeFileRecord], sha256: str, before: KnowledgeFileRecord | None = None
) -> KnowledgeFileRecord | None:
    """A file of the collection with the same content (failed ones don't count: they may be retried).
    With ``before``, only files uploaded before that one count: of two copies that raced past the
    upload's check, the later one is the duplicate."""
    for existing in files:
        if existing.sha256 != sha256 or existing.status == "failed":
            continue
        if before is None or (existing.created_at, existing.id) < (before.created_at, before.id):
            return existing
    return None
