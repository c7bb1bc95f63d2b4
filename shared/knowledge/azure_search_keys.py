"""Azure AI Search document keys and filters for knowledge chunks.

The service allows letters, digits, ``_``, ``-`` and ``=`` in a key. Each id is written in unpadded
URL-safe base64 (letters, digits, ``-``, ``_``) and the parts are joined by ``=``, which base64url
without padding never produces: ``b64(project)=b64(collection)=b64(document)=chunk``. Any id is safe,
and two different chunks never share a key. Filters quote their values as OData string literals.
"""

from __future__ import annotations

import base64

MAX_KEY_LENGTH = 1024


def odata_string(value: str) -> str:
    """An OData string literal: in quotes, with each quote doubled."""
    return "'" + value.replace("'", "''") + "'"


def scope_filter(project_id: str, collection_id: str, document_id: str | None = None) -> str:
    """The filter every query and deletion carries: one project's one collection (one document)."""
    clauses = [f"project_id eq {odata_string(project_id)}", f"collection_id eq {odata_string(collection_id)}"]
    if document_id is not None:
        clauses.append(f"document_id eq {odata_string(document_id)}")
    return " and ".join(clauses)


def _b64(part: str) -> str:
    return base64.urlsafe_b64encode(part.encode("utf-8")).decode("ascii").rstrip("=")


def chunk_key(project_id: str, collection_id: str, document_id: str, chunk_index: int) -> str:
    """The search document key of one chunk (letters, digits, ``-``, ``_``, ``=`` only)."""
    for name, value in (
        ("project id", project_id),
        ("collection id", collection_id),
        ("document id", document_id),
    ):
        if not value:
            raise ValueError(f"A chunk needs a non-empty {name}.")
    if chunk_index < 0:
        raise ValueError(f"A chunk index is never negative, not {chunk_index}.")
    key = "=".join((_b64(project_id), _b64(collection_id), _b64(document_id), str(chunk_index)))
    if len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"The ids are too long for a search document key ({len(key)} > {MAX_KEY_LENGTH}).")
    return key
