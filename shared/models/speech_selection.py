"""The speech of a key's provider (``speech_for``), one client per settings and secret.

- ``azure-openai``: the key's resource, with a deployment per direction (``transcriptionDeployment``,
  ``speechDeployment`` in the key's provider settings). Without either, the key has no speech; with one,
  only that direction works (``can_transcribe`` / ``can_synthesize`` say which).
- ``openai-compatible``: the key's API with ``transcriptionModel`` (default ``whisper-1``) and
  ``speechModel`` (default ``tts-1``).
- ``hosted``: the platform's deployments when ``HostedSpeechSettings`` names them; the embedded offline
  model has no speech (``speech_for`` answers None).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.models import events
from shared.models.client_cache import ClientCache
from shared.models.client_cache import required as _required
from shared.models.client_cache import text as _text
from shared.models.events import ProviderError
from shared.models.speech import HostedSpeechSettings, OpenAISpeech, SpeechProvider


def speech_for(
    provider_config: Mapping[str, Any],
    provider_secret: str | None,
    hosted: HostedSpeechSettings | None,
    **options: Any,
) -> SpeechProvider | None:
    """Speech for a key's provider, or None when it has none (a ``hosted`` key on the embedded offline
    model, an ``azure-openai`` key without speech deployments). ``options`` go to ``OpenAISpeech``; with
    options the provider is built fresh, else taken from a small cache (one client, one connection
    pool, per settings and secret). Raises ``ProviderError`` (``model_config_invalid``) for unusable
    settings."""
    kind = provider_config.get("type")
    secret = provider_secret or _text(provider_config.get("apiKey"))
    if kind == "azure-openai":
        transcription = _text(provider_config.get("transcriptionDeployment"))
        speech = _text(provider_config.get("speechDeployment"))
        if transcription is None and speech is None:
            return None
        endpoint = _required(provider_config, "endpoint", kind)
        api_version = _required(provider_config, "apiVersion", kind)
        return _cache.get(
            ("azure-openai", endpoint, api_version, transcription, speech),
            secret,
            not options,
            lambda: OpenAISpeech.azure(
                endpoint=endpoint,
                api_version=api_version,
                transcription_deployment=transcription,
                speech_deployment=speech,
                api_key=secret,
                **options,
            ),
        )
    if kind == "openai-compatible":
        # Opt-in: many OpenAI-compatible servers (Ollama, vLLM...) have no audio endpoints, so a key
        # hears and speaks only with the models it names (OpenAI: "whisper-1", "tts-1").
        base_url = _required(provider_config, "baseUrl", kind)
        transcription = _text(provider_config.get("transcriptionModel"))
        speech = _text(provider_config.get("speechModel"))
        if transcription is None and speech is None:
            return None
        return _cache.get(
            ("openai-compatible", base_url, transcription, speech),
            secret,
            not options,
            lambda: OpenAISpeech.compatible(
                base_url=base_url,
                api_key=secret,
                transcription_model=transcription,
                speech_model=speech,
                **options,
            ),
        )
    if kind == "hosted":
        if hosted is None or not hosted.configured:
            return None
        assert hosted.endpoint
        endpoint = hosted.endpoint
        cacheable = not options
        options.setdefault("label", "The hosted model")
        return _cache.get(
            (
                "hosted",
                endpoint,
                hosted.api_version,
                hosted.transcription_deployment,
                hosted.speech_deployment,
            ),
            hosted.api_key,
            cacheable,
            lambda: OpenAISpeech.azure(
                endpoint=endpoint,
                api_version=hosted.api_version,
                transcription_deployment=hosted.transcription_deployment,
                speech_deployment=hosted.speech_deployment,
                api_key=hosted.api_key,
                **options,
            ),
        )
    raise ProviderError(
        events.INVALID_CONFIG,
        "The API key's model provider type is not supported; use azure-openai, openai-compatible or hosted.",
        retryable=False,
    )


_cache: ClientCache[OpenAISpeech] = ClientCache()


def clear_speech_cache() -> None:
    _cache.clear()
