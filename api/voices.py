"""``GET /public/voices``: the voices of the key's model provider; ``GET /public/voices/{voiceId}/sample``:
a short sentence spoken with one of them by that provider (a WAV), so a person choosing can hear it.

Not a published endpoint (docs/omniagent-public-api.md section 2: the docs say "Whatever voices the
provider supports, the Omniagent API supports", developers.napster.com/docs/building-your-omniagent/
configuration); an extension with our contract's item shape ``{id, name, provider, languages,
sampleUrl?}`` in the published list envelope.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

import azure.functions as func
from pydantic import BaseModel, Field

from api.endpoint import Reply, RequestContext, endpoint
from shared.api_errors import ApiError, ErrorKind, conflict, not_found
from shared.audio.pcm import to_wav
from shared.listing import ListEnvelope, ListQuery, paginate
from shared.models import ProviderError, SpeechProvider
from shared.platform import get_platform
from shared.sessions.configuration import session_speech
from shared.voices import Voice, voices_for

SAMPLE_TEXT = "Hello, I'm {name}. This is how I sound."


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


def _item(voice: Voice, sample_base: str | None) -> VoiceItem:
    sample_url = voice.sample_url
    if sample_url is None and sample_base is not None:
        sample_url = f"{sample_base}/public/voices/{quote(voice.id, safe='')}/sample"
    return VoiceItem(
        id=voice.id,
        name=voice.name,
        provider=voice.provider,
        languages=list(voice.languages),
        sampleUrl=sample_url,
    )


def _speech(ctx: RequestContext) -> SpeechProvider | None:
    """The key's speech when it can speak; None otherwise (no speech model, or unusable settings)."""
    try:
        speech = session_speech(get_platform(), ctx.api_key.project_id, ctx.api_key.key_id)
    except ProviderError:
        return None
    return speech if speech is not None and speech.can_synthesize else None


def _base_url(ctx: RequestContext) -> str:
    parts = urlsplit(ctx.request.url)
    return f"{parts.scheme}://{parts.netloc}"


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
    "every ISO 639-1 code they speak. `sampleUrl` is `GET /public/voices/{voiceId}/sample` when the "
    "key's provider can speak (it has a speech model), else null.",
)
def list_voices(ctx: RequestContext) -> dict[str, Any]:
    query = ctx.query(VoiceListQuery)
    voices = voices_for(ctx.api_key.provider_type)
    language = (query.language or "").strip().lower()
    kept = [voice for voice in voices if not language or language in voice.languages]
    page = paginate(kept, query, lambda voice: f"{voice.id} {voice.name}")
    page["totalCount"] = len(voices)
    sample_base = _base_url(ctx) if page["items"] and _speech(ctx) is not None else None
    page["items"] = [_item(voice, sample_base) for voice in page["items"]]
    return page


@endpoint(
    bp,
    "GET",
    "public/voices/{voiceId}/sample",
    summary="Hear a voice",
    tag="Voices",
    auth="api_key",
    response_media_type="audio/wav",
    errors=(404, 409, 503),
    description="Extension (not in the published API). A short English sentence spoken with the voice by "
    "the API key's model provider (its speech model), as a WAV (16 kHz mono PCM16), to let a person "
    "hear a voice before choosing it. 404 when the key's provider has no such voice; 409 "
    "`VoiceSampleUnavailable` when the provider cannot speak (no speech model: an `azure-openai` key "
    "without `speechDeployment`, an `openai-compatible` key without `speechModel`, the embedded "
    "model); 503 `VoiceSampleFailed` when the provider refused or failed (its words, never a key).",
)
def get_voice_sample(ctx: RequestContext) -> Reply:
    voice_id = ctx.route("voiceId")
    voice = next((v for v in voices_for(ctx.api_key.provider_type) if v.id == voice_id), None)
    if voice is None:
        raise not_found("Voice", voice_id)
    speech = _speech(ctx)
    if speech is None:
        raise conflict(
            "VoiceSampleUnavailable",
            "The API key's model provider cannot speak (it has no speech model), so there is no sample "
            "to play; sessions on this key answer in text.",
        )
    try:
        pcm = speech.synthesize(SAMPLE_TEXT.format(name=voice.name), voice.id)
    except ProviderError as failure:
        raise ApiError(
            503,
            "VoiceSampleFailed",
            f"The provider could not speak the sample: {failure.message}",
            ErrorKind.FAILURE,
            headers={"Retry-After": "5"} if failure.retryable else {},
        ) from None
    # The same key and voice always sound the same: let the browser keep it a while.
    return Reply(
        raw_body=to_wav(pcm), content_type="audio/wav", headers={"Cache-Control": "private, max-age=3600"}
    )
