"""The published agent cap: ``POST /public/agents`` answers 409 ``AgentLimitExceeded`` when the
organization already has ``AGENT_LIMIT`` agents (create-agent and manage-agents skills: 100 by default).

Agents are partitioned by project, so the count is a query on ``organization_id`` across the table.
Two creates racing at the cap can both pass (a soft cap, like a count read before the write).
"""

from __future__ import annotations

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableServiceClient

from shared.api_errors import ApiError, conflict
from shared.catalog.tables import AGENTS

AGENT_LIMIT = 100


def agents_in_organization(tables: TableServiceClient, organization_id: str) -> int:
    client = tables.get_table_client(AGENTS)
    try:
        found = client.query_entities(
            "organization_id eq @organization",
            parameters={"organization": organization_id},
            select=["RowKey"],
        )
        return sum(1 for _ in found)
    except ResourceNotFoundError:
        return 0


def agent_limit_exceeded(limit: int = AGENT_LIMIT) -> ApiError:
    return conflict(
        "AgentLimitExceeded",
        f"The organization has reached its limit of {limit} agents: delete an agent first.",
    )
