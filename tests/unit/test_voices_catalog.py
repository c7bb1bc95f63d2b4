"""The voice catalog: OpenAI's voices per provider type, checked against the installed SDK."""

from __future__ import annotations

import typing

from openai.types.audio import speech_create_params
from openai.types.realtime import realtime_audio_config_output

from shared.voices import is_known_voice, voices_for


def _literal_values(annotation) -> set[str]:
    values: set[str] = set()
    for arg in typing.get_args(annotation):
        if typing.get_origin(arg) is typing.Literal:
            values |= set(typing.get_args(arg))
        else:
            values |= _literal_values(arg)
    return values


def test_realtime_providers_offer_exactly_the_sdk_realtime_voices():
    sdk = _literal_values(
        realtime_audio_config_output.RealtimeAudioConfigOutput.model_fields["voice"].annotation
    )
    for provider in ("azure-openai", "hosted"):
        assert {v.id for v in voices_for(provider)} == sdk


def test_openai_compatible_offers_exactly_the_sdk_speech_voices():
    sdk = _literal_values(typing.get_type_hints(speech_create_params.SpeechCreateParams)["voice"])
    assert {v.id for v in voices_for("openai-compatible")} == sdk
    assert {"fable", "onyx", "nova", "marin", "cedar"} <= sdk


def test_voices_are_multilingual_and_carry_their_provider():
    for voice in voices_for("azure-openai"):
        assert voice.provider == "azure-openai"
        assert {"en", "fr", "de", "es", "ja", "zh"} <= set(voice.languages)


def test_is_known_voice_is_exact_and_per_provider():
    assert is_known_voice("azure-openai", "alloy")
    assert not is_known_voice("azure-openai", "Alloy")
    assert not is_known_voice("azure-openai", "fable")
    assert is_known_voice("openai-compatible", "fable")
    assert not is_known_voice("unknown-provider", "alloy")
    assert voices_for("unknown-provider") == []
