"""Deleting knowledge: a file (its record, original and chunks) or all of a collection's files.

The record goes first: an ingestion still running sees it gone and stops, and one that was writing
its chunks at that moment removes them again (``activities/knowledge.py``); then the chunks and the
original. Nothing of a deleted file stays searchable."""

from __future__ import annotations

from shared.knowledge.files import KNOWLEDGE_CONTAINER, KnowledgeFileRecord, files_of, knowledge_files
from shared.knowledge.retrieval import knowledge_index
from shared.platform import Platform


def remove_file(
    platform: Platform, project_id: str, record: KnowledgeFileRecord, etag: str | None = None
) -> None:
    knowledge_files(platform).delete(project_id, record.id, etag)
    knowledge_index(platform.settings).delete_document(project_id, record.knowledge_base_id, record.id)
    if record.blob_name is not None:
        platform.blob_store(KNOWLEDGE_CONTAINER).delete(record.blob_name)


def remove_collection_files(platform: Platform, project_id: str, knowledge_base_id: str) -> None:
    for record in files_of(platform, project_id, knowledge_base_id):
        knowledge_files(platform).delete(project_id, record.id)
        if record.blob_name is not None:
            platform.blob_store(KNOWLEDGE_CONTAINER).delete(record.blob_name)
    knowledge_index(platform.settings).delete_collection(project_id, knowledge_base_id)
