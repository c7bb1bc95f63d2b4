"""Knowledge collection shapes (docs/omniagent-public-api.md section 5;
developers.napster.com/docs/building-your-omniagent/knowledge/files).

Published: ``POST /public/knowledge-bases`` ``{name, provider}`` answers ``{id: "kb_…", name, provider,
created (unix s)}``. Only ``azureOpenAI`` is a documented provider; ``openAICompatible`` is our additive
value for keys of an OpenAI-compatible provider. ``provider`` may be omitted: it then follows the
calling key's provider.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from shared.listing import ListEnvelope

KnowledgeProvider = Literal["azureOpenAI", "openAICompatible"]


def provider_for_key(provider_type: str) -> KnowledgeProvider:
    """The collection provider matching an API key's provider type (``hosted`` is Azure OpenAI)."""
    return "openAICompatible" if provider_type == "openai-compatible" else "azureOpenAI"


class KnowledgeBaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="The collection's name.")
    provider: KnowledgeProvider | None = Field(
        None,
        description="Embedding provider: `azureOpenAI` (published) or `openAICompatible` (extension). "
        "Omitted: the calling key's provider.",
    )


class KnowledgeBaseUpdate(BaseModel):
    """``PATCH /public/knowledge-bases/{id}`` (extension): rename the collection."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="The collection's new name.")


class KnowledgeBase(BaseModel):
    id: str = Field(description="The collection id (`kb_…`).")
    name: str = Field(description="The collection's name.")
    provider: KnowledgeProvider = Field(
        description="Embedding provider; agents on another provider can't use it."
    )
    created: int = Field(description="When the collection was created (unix seconds).")


class KnowledgeBaseList(ListEnvelope[KnowledgeBase]):
    """The published list envelope of knowledge collections."""


class KnowledgeBaseRecord(KnowledgeBase):
    """Stored collection (table KNOWLEDGE_BASES, partition = project id)."""

    created_ns: int = 0  # time.time_ns() at creation: the listing order within a second
    # The API key that created the collection: its provider embeds the collection's chunks and the
    # queries, so vectors always come from one model. None (older records): the caller's key.
    key_id: str | None = None


class KnowledgeSearch(BaseModel):
    """``POST /public/knowledge-bases/{id}/search`` (extension): try the collection's retrieval."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=2000, description="What to look for.")
    top: int = Field(5, ge=1, le=50, description="How many passages to answer (best first).")


class KnowledgeSearchResult(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, validate_by_alias=True)

    file_id: str = Field(description="The file the passage comes from.")
    title: str = Field(description="The file's title.")
    chunk: int = Field(description="The passage's number within the file (0-based).")
    text: str = Field(description="The passage.")
    headings: list[str] = Field(description="The headings above the passage, outermost first.")
    page: int | None = Field(default=None, description="Its page (PDF).")
    score: float = Field(description="Orders the results of one search (higher is better); not a threshold.")


class KnowledgeSearchResults(BaseModel):
    results: list[KnowledgeSearchResult] = Field(description="The best passages, best first.")
