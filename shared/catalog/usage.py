"""Which agents use a resource: a companion, function, FAQ collection or knowledge collection that
an agent references cannot be deleted (409 naming the agents)."""

from __future__ import annotations

import json
from typing import Literal

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableServiceClient

from shared.api_errors import ApiError, conflict
from shared.catalog.tables import (
    AGENT_COMPANION_FIELD,
    AGENT_FAQ_COLLECTIONS_FIELD,
    AGENT_FUNCTIONS_FIELD,
    AGENT_KNOWLEDGE_BASE_FIELD,
    AGENTS,
)

ResourceKind = Literal["companion", "function", "faqCollection", "knowledgeBase"]

_SINGLE = {"companion": AGENT_COMPANION_FIELD, "knowledgeBase": AGENT_KNOWLEDGE_BASE_FIELD}
_LIST = {"function": AGENT_FUNCTIONS_FIELD, "faqCollection": AGENT_FAQ_COLLECTIONS_FIELD}


def agents_using(
    tables: TableServiceClient, project_id: str, kind: ResourceKind, resource_id: str
) -> list[str]:
    """Ids of the project's agents that reference the resource, in id order."""
    client = tables.get_table_client(AGENTS)
    try:
        entities = list(client.query_entities("PartitionKey eq @project", parameters={"project": project_id}))
    except ResourceNotFoundError:  # no agent was ever stored
        return []
    using = []
    for entity in entities:
        if kind in _SINGLE:
            uses = entity.get(_SINGLE[kind]) == resource_id
        else:
            uses = resource_id in json.loads(entity.get(_LIST[kind]) or "[]")
        if uses:
            using.append(str(entity["RowKey"]))
    return sorted(using)


def refuse_if_in_use(
    tables: TableServiceClient, project_id: str, kind: ResourceKind, resource_id: str
) -> None:
    agents = agents_using(tables, project_id, kind, resource_id)
    if agents:
        raise in_use_error(kind, resource_id, agents)


def in_use_error(kind: ResourceKind, resource_id: str, agents: list[str]) -> ApiError:
    code = f"{kind[0].upper()}{kind[1:]}InUse"
    return conflict(
        code, f"The {kind} '{resource_id}' is used by agents {', '.join(agents)}: remove it from them first."
    )
