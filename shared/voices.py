"""The voices an agent can speak with: the standard voices of the key's model provider.

The published Omniagent docs say "Whatever voices the provider supports, the Omniagent API supports"
(developers.napster.com/docs/building-your-omniagent/configuration, Voice section); our providers are
OpenAI models, so the catalog is OpenAI's voice set, checked against the ``openai`` SDK's voice literals:

- realtime sessions (``openai.types.realtime``: ``alloy ash ballad coral echo sage shimmer verse marin
  cedar``) are what ``azure-openai`` and ``hosted`` keys run;
- the speech endpoint (``openai.types.audio.speech_create_params``: the same ten plus ``fable onyx nova``)
  is what an ``openai-compatible`` key speaks through (its ``speechModel``).

OpenAI voices are multilingual: each speaks every language of OpenAI's speech models (the Whisper
language set), listed as ISO 639-1 codes. Plain data, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

# ISO 639-1 codes of the languages OpenAI's speech models support (the Whisper set, as listed in
# OpenAI's text-to-speech guide, "Supported languages").
OPENAI_SPEECH_LANGUAGES: tuple[str, ...] = (
    "af", "ar", "az", "be", "bg", "bs", "ca", "cs", "cy", "da", "de", "el", "en", "es", "et", "fa",
    "fi", "fr", "gl", "he", "hi", "hr", "hu", "hy", "id", "is", "it", "ja", "kk", "kn", "ko", "lt",
    "lv", "mi", "mk", "mr", "ms", "ne", "nl", "no", "pl", "pt", "ro", "ru", "sk", "sl", "sr", "sv",
    "sw", "ta", "th", "tl", "tr", "uk", "ur", "vi", "zh",
)  # fmt: skip

# Voices of OpenAI's realtime models (and of its speech endpoint).
REALTIME_VOICE_IDS: tuple[str, ...] = (
    "alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar",
)  # fmt: skip
# Voices only the speech (text-to-speech) endpoint has.
SPEECH_ONLY_VOICE_IDS: tuple[str, ...] = ("fable", "onyx", "nova")

PROVIDER_AZURE_OPENAI = "azure-openai"
PROVIDER_OPENAI_COMPATIBLE = "openai-compatible"
PROVIDER_HOSTED = "hosted"

_VOICE_IDS_BY_PROVIDER: dict[str, tuple[str, ...]] = {
    PROVIDER_AZURE_OPENAI: REALTIME_VOICE_IDS,
    PROVIDER_HOSTED: REALTIME_VOICE_IDS,
    PROVIDER_OPENAI_COMPATIBLE: REALTIME_VOICE_IDS + SPEECH_ONLY_VOICE_IDS,
}


@dataclass(frozen=True)
class Voice:
    """One voice: ``id`` is the value an agent's ``voiceId`` takes."""

    id: str
    name: str
    provider: str  # the provider type of the key the voice is offered to
    languages: tuple[str, ...]
    sample_url: str | None = None


def voices_for(provider_type: str) -> list[Voice]:
    """The voices a key of ``provider_type`` can use, in catalog order; empty for an unknown provider."""
    return [
        Voice(
            id=voice_id, name=voice_id.capitalize(), provider=provider_type, languages=OPENAI_SPEECH_LANGUAGES
        )
        for voice_id in _VOICE_IDS_BY_PROVIDER.get(provider_type, ())
    ]


def is_known_voice(provider_type: str, voice_id: str) -> bool:
    """Whether ``voice_id`` is one of the voices of ``provider_type`` (exact, case-sensitive match)."""
    return voice_id in _VOICE_IDS_BY_PROVIDER.get(provider_type, ())
