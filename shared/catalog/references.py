"""Does a referenced resource exist in the caller's project? (And: read one of the caller's own
resources, or 404.) Reads the raw tables, so it needs no
resource's model: an agent (or channel config) can be checked against companions and functions
whose code lives elsewhere.

``missing_references`` answers the ``details`` of a 400: one entry per field path that names a
resource the project does not have (``functions[1]``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, TypeVar

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableServiceClient
from pydantic import BaseModel

from shared.api_errors import ApiError, FieldError, conflict, not_found
from shared.catalog.tables import (
    CHANNEL_CONFIGS,
    COMPANIONS,
    FAQ_COLLECTIONS,
    FUNCTIONS,
    KNOWLEDGE_BASES,
)
from shared.companions.catalog import is_stock_id
from shared.storage import NotFound, Stored, TableRepository
from shared.storage.names import check_key

T = TypeVar("T", bound=BaseModel)

ReferenceKind = Literal["companion", "function", "faqCollection", "knowledgeBase"]

TABLE_OF: dict[ReferenceKind, str] = {
    "companion": COMPANIONS,
    "function": FUNCTIONS,
    "faqCollection": FAQ_COLLECTIONS,
    "knowledgeBase": KNOWLEDGE_BASES,
}

LABEL_OF: dict[ReferenceKind, str] = {
    "companion": "companion",
    "function": "function",
    "faqCollection": "FAQ collection",
    "knowledgeBase": "knowledge base",
}

# The channel config entity stores its references under these fields (shared.agents.records).
_CHANNEL_LIST_FIELDS = {"function": "functions", "faqCollection": "faq_collections"}
_CHANNEL_SINGLE_FIELDS = {"knowledgeBase": "knowledge_base_id"}


@dataclass(frozen=True)
class Reference:
    """One id the request names, at ``path`` (its wire path: ``faqCollections[0]``)."""

    path: str
    kind: ReferenceKind
    id: str


def is_valid_id(value: str) -> bool:
    try:
        check_key(value)
    except ValueError:
        return False
    return True


def exists(tables: TableServiceClient, table_name: str, project_id: str, resource_id: str) -> bool:
    """Whether ``resource_id`` is stored in the project's partition of the table (a missing table, or
    an id that could never be a key, is simply missing)."""
    if not is_valid_id(resource_id):
        return False
    try:
        tables.get_table_client(table_name).get_entity(project_id, resource_id, select=["RowKey"])
    except ResourceNotFoundError:
        return False
    return True


def missing_message(kind: ReferenceKind, resource_id: str) -> str:
    return f"no {LABEL_OF[kind]} '{resource_id}' exists in this project"


def missing_references(
    tables: TableServiceClient, project_id: str, references: Iterable[Reference]
) -> list[FieldError]:
    """A field error for each reference that the project does not hold, in the order given."""
    checked: dict[tuple[ReferenceKind, str], bool] = {}
    errors = []
    for reference in references:
        key = (reference.kind, reference.id)
        if key not in checked:
            # Stock companions belong to every project (GET /public/companions/napster-stock).
            stock = reference.kind == "companion" and is_stock_id(reference.id)
            checked[key] = stock or exists(tables, TABLE_OF[reference.kind], project_id, reference.id)
        if not checked[key]:
            errors.append(FieldError(reference.path, missing_message(reference.kind, reference.id)))
    return errors


def channel_configs_using(
    tables: TableServiceClient, project_id: str, kind: ReferenceKind, resource_id: str
) -> list[str]:
    """``agentId.channelType`` of each channel config of the project that overrides with the resource."""
    client = tables.get_table_client(CHANNEL_CONFIGS)
    try:
        entities = list(client.query_entities("PartitionKey eq @project", parameters={"project": project_id}))
    except ResourceNotFoundError:
        return []
    using = []
    for entity in entities:
        if kind in _CHANNEL_SINGLE_FIELDS:
            uses = entity.get(_CHANNEL_SINGLE_FIELDS[kind]) == resource_id
        elif kind in _CHANNEL_LIST_FIELDS:
            uses = resource_id in (json.loads(entity.get(_CHANNEL_LIST_FIELDS[kind]) or "null") or [])
        else:
            uses = False
        if uses:
            using.append(str(entity["RowKey"]))
    return sorted(using)


def refuse_if_channels_use(
    tables: TableServiceClient, project_id: str, kind: ReferenceKind, resource_id: str
) -> None:
    """409 when an agent's channel config still overrides with the resource (agents themselves are
    checked by ``shared.catalog.usage.refuse_if_in_use``)."""
    configs = channel_configs_using(tables, project_id, kind, resource_id)
    if configs:
        raise channels_in_use_error(kind, resource_id, configs)


def channels_in_use_error(kind: ReferenceKind, resource_id: str, configs: list[str]) -> ApiError:
    code = f"{kind[0].upper()}{kind[1:]}InUse"
    named = ", ".join(f"agent {c.split('.')[0]} (channel {c.split('.', 1)[1]})" for c in configs)
    return conflict(
        code, f"The {kind} '{resource_id}' is used by the channel configs of {named}: remove it first."
    )


def load(repository: TableRepository[T], project_id: str, resource_id: str, resource: str) -> Stored[T]:
    """The project's resource and its ETag, or the 404 ``<resource>NotFound`` (also for an id that
    could never be stored: another project's resources look exactly like missing ones)."""
    if not is_valid_id(resource_id):
        raise not_found(resource, resource_id)
    try:
        return repository.get(project_id, resource_id)
    except NotFound:
        raise not_found(resource, resource_id) from None
