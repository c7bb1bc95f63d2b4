"""Grounding a turn in the agent's knowledge collection.

At every user turn the ``PROMPT_PASSAGES`` best passages for the user's words go into the prompt,
numbered ``[1]``…; models with tools also get ``search_knowledge`` for follow-ups, whose passages
continue the numbering (``[6]``…), so one answer can cite both. A model round of the same turn
retrieves the same prompt passages again (same query, same index) and reads the tool's passages back
from the transcript: the numbers stay the same across rounds, and the answer's ``[n]`` become
``citations`` (``cited_passages``).

Retrieval never fails a turn: a collection that is gone or an index that cannot answer means no
passages (logged).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from azure.core.exceptions import AzureError

from shared.catalog.tables import KNOWLEDGE_BASES
from shared.knowledge.index import Hit
from shared.knowledge.models import KnowledgeBaseRecord
from shared.knowledge.retrieval import search_collection
from shared.models import KnowledgePassage, ToolSpec
from shared.platform import Platform
from shared.storage import NotFound, StorageError

log = logging.getLogger("omniagent.knowledge")

PROMPT_PASSAGES = 5
TOOL_PASSAGES = 3
SEARCH_TOOL_NAME = "search_knowledge"
SEARCH_TOOL = ToolSpec(
    SEARCH_TOOL_NAME,
    "Search the agent's knowledge documents for passages about a topic, when the passages already "
    "given do not answer the question. Cite the passages you use by their number, like [6].",
    {
        "type": "object",
        "properties": {"query": {"type": "string", "description": "What to look for, in a few words."}},
        "required": ["query"],
        "additionalProperties": False,
    },
)


def retrieve(
    platform: Platform, project_id: str, knowledge_base_id: str, key_id: str, query: str, top: int
) -> list[Hit]:
    """The collection's best passages for ``query`` (none when it is gone or cannot answer)."""
    if not query.strip():
        return []
    try:
        collection = platform.repository(KNOWLEDGE_BASES, KnowledgeBaseRecord).get(
            project_id, knowledge_base_id
        )
        return search_collection(platform, project_id, collection.entity, key_id, query, top)
    except NotFound:
        return []
    except (StorageError, AzureError, OSError, ValueError) as failure:
        log.warning("knowledge retrieval failed for %s: %s", knowledge_base_id, failure)
        return []


def tool_result(hits: Sequence[Hit], first_number: int) -> dict[str, Any]:
    """What ``search_knowledge`` answers the model: numbered passages (numbers continue the prompt's)."""
    return {
        "passages": [
            {
                "number": first_number + offset,
                "documentId": hit.document_id,
                "title": hit.title,
                "chunk": hit.chunk_index,
                "text": hit.passage().text,
            }
            for offset, hit in enumerate(hits)
        ]
    }


def passages_from_tool_results(results: Iterable[Any]) -> list[KnowledgePassage]:
    """The passages ``search_knowledge`` gave earlier in the turn, in the order of their numbers."""
    found: list[tuple[int, KnowledgePassage]] = []
    for result in results:
        if not isinstance(result, dict):
            continue
        for item in result.get("passages") or []:
            found.append(
                (
                    int(item["number"]),
                    KnowledgePassage(
                        text=item["text"],
                        document_id=item["documentId"],
                        title=item["title"],
                        chunk=int(item["chunk"]),
                    ),
                )
            )
    return [passage for _, passage in sorted(found, key=lambda pair: pair[0])]
