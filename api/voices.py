"""``GET /public/voices``: the voices of the key's model provider.

Not a published endpoint (docs/omniagent-public-api.md section 2: the docs say "Whatever voices the
provider supports, the Omniagent API supports", developers.napster.com/docs/building-your-omniagent/
configuration); an extension with our contract's item shape ``{id, name, provider, languages,
sampleUrl?}`` in the published list envelope.
"""

from __future__ import annotations

from typing import Any

import azure.functions as func
from pydantic import BaseModel, Field

from api.endpoint import RequestContext, endpoint
from shared.listing import ListEnvelope, ListQuery, paginate
from shared.voices import Voice, voices_for


class VoiceItem(BaseModel):
    """A voice an agent can use: its `id` is the agent's `voiceId`."""

    id: str = Field(description="The voice id to set as an agent's `voiceId` (e.g. `alloy`).")
    name: str = Field(description="Display name.")
    provider: str = Field(description="Provider type of the key the voice belongs to (e.g. `azure-openai`).")
    languages: list[str] = Field(description="ISO 639-1 codes of the languages the voice speaks.")
    sampleUrl: str | None = Field(default=None, description="URL of an audio sample, when one is known.")


class VoicePage(ListEnvelope[VoiceItem]):
    """The published list envelope of voices."""


class VoiceListQuery(ListQuery):
    """Paging, `search` over id and name, and a language filter."""

    language: str | None = Field(
        None, max_length=16, description="Keep voices that speak this ISO 639-1 code (e.g. `fr`)."
    )


def _item(voice: Voice) -> VoiceItem:
    return VoiceItem(
        id=voice.id,
        name=voice.name,
        provider=voice.provider,
        languages=list(voice.languages),
        sampleUrl=voice.sample_url,
    )


bp = func.Blueprint()


@endpoint(
    bp,
    "GET",
    "public/voices",
    summary="List the voices of the key's provider",
    tag="Voices",
    auth="api_key",
    query=VoiceListQuery,
    response=VoicePage,
    description="Extension (not in the published API). The standard voices of the API key's model "
    "provider (OpenAI's voices; realtime voices for `azure-openai` and `hosted` keys, speech voices "
    "for `openai-compatible` keys), answered in the published list envelope "
    "`{items, filteredCount, totalCount, pageIndex, pageSize, search}` with items "
    "`{id, name, provider, languages, sampleUrl}`. OpenAI voices are multilingual: `languages` lists "
    "every ISO 639-1 code they speak.",
)
def list_voices(ctx: RequestContext) -> dict[str, Any]:
    query = ctx.query(VoiceListQuery)
    voices = voices_for(ctx.api_key.provider_type)
    language = (query.language or "").strip().lower()
    kept = [voice for voice in voices if not language or language in voice.languages]
    page = paginate(kept, query, lambda voice: f"{voice.id} {voice.name}")
    page["totalCount"] = len(voices)
    page["items"] = [_item(voice) for voice in page["items"]]
    return page
