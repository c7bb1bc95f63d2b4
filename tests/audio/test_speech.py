"""OpenAISpeech: the real ``openai`` SDK over HTTP to the scripted server's audio endpoints."""

from __future__ import annotations

import io
import math
import struct
import wave

import pytest

from shared.audio import SAMPLE_RATE, duration_seconds, to_wav
from shared.models import (
    HostedSpeechSettings,
    OpenAISpeech,
    ProviderError,
    RetryPolicy,
    SpeechProvider,
    speech_for,
)
from shared.models import events as codes
from shared.models.speech import iso_language
from tests.audio.conftest import compatible_speech
from tests.fakes import ScriptedOpenAI
from tests.fakes.openai_fixtures import API_KEY, FakeSleep
from tests.fakes.scripted_openai import DEFAULT_TRANSCRIPT, SPEECH_SAMPLES_PER_CHARACTER, speech_pcm

# 16 kHz samples per character of the scripted voice (24 kHz samples * 2/3).
SAMPLES_16K_PER_CHARACTER = SPEECH_SAMPLES_PER_CHARACTER * SAMPLE_RATE // 24_000


def spoken(seconds: float = 1.0) -> bytes:
    count = round(seconds * SAMPLE_RATE)
    return struct.pack(f"<{count}h", *(round(6_000 * math.sin(i / 7)) for i in range(count)))


def failure(call: object, *args: object) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


# ------------------------------------------------------------------------------------------ transcription


def test_transcription_answers_the_scripted_text(server: ScriptedOpenAI, sleep: FakeSleep) -> None:
    server.transcribe_as("I'd like a refund")

    assert compatible_speech(server, sleep).transcribe(spoken(), "en") == "I'd like a refund"


def test_the_server_receives_a_16khz_mono_wav_of_exactly_the_sent_audio(
    server: ScriptedOpenAI, sleep: FakeSleep
) -> None:
    pcm = spoken(1.5)

    assert compatible_speech(server, sleep).transcribe(pcm) == DEFAULT_TRANSCRIPT

    upload = server.transcriptions[0]
    assert (upload.filename, upload.content_type, upload.model) == ("audio.wav", "audio/wav", "whisper-1")
    assert upload.audio == to_wav(pcm)
    with wave.open(io.BytesIO(upload.audio)) as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (16_000, 1, 2)
        assert reader.readframes(reader.getnframes()) == pcm
    assert server.last_request.headers["authorization"] == f"Bearer {API_KEY}"


def test_the_language_goes_as_an_iso_639_1_code_or_not_at_all(
    server: ScriptedOpenAI, sleep: FakeSleep
) -> None:
    speech = compatible_speech(server, sleep)

    speech.transcribe(spoken(), "en-US")
    speech.transcribe(spoken(), "English")
    speech.transcribe(spoken(), None)

    assert [upload.language for upload in server.transcriptions] == ["en", None, None]
    assert (iso_language("pt_BR"), iso_language("de"), iso_language(" ")) == ("pt", "de", None)


def test_audio_too_short_to_hear_is_no_text_and_no_request(server: ScriptedOpenAI, sleep: FakeSleep) -> None:
    assert compatible_speech(server, sleep).transcribe(spoken(0.05)) == ""
    assert server.transcriptions == []


def test_the_key_s_transcription_model_is_used(server: ScriptedOpenAI, sleep: FakeSleep) -> None:
    speech = compatible_speech(server, sleep, transcription_model="gpt-4o-mini-transcribe")

    speech.transcribe(spoken())

    assert server.transcriptions[0].model == "gpt-4o-mini-transcribe"


# ------------------------------------------------------------------------------------------ speech


def test_speech_is_16khz_pcm16_of_the_expected_length(server: ScriptedOpenAI, sleep: FakeSleep) -> None:
    text = "Your refund is on its way."

    pcm = compatible_speech(server, sleep).synthesize(text, "coral")

    assert len(pcm) == len(text) * SAMPLES_16K_PER_CHARACTER * 2
    assert duration_seconds(pcm) == pytest.approx(len(text) * 0.05)
    assert (
        max(abs(value) for value in struct.unpack(f"<{len(pcm) // 2}h", pcm)) > 7_000
    )  # a tone, not silence
    request = server.speeches[0]
    assert (request.input, request.voice, request.response_format, request.model) == (
        text,
        "coral",
        "wav",
        "tts-1",
    )


def test_a_streamed_wav_with_unknown_sizes_is_read_whole(server: ScriptedOpenAI, sleep: FakeSleep) -> None:
    server.speak_with(wav_unknown_size=True)

    pcm = compatible_speech(server, sleep).synthesize("Hello.", "alloy")

    assert len(pcm) == 6 * SAMPLES_16K_PER_CHARACTER * 2


def test_raw_pcm_speech_is_resampled_from_24khz(server: ScriptedOpenAI, sleep: FakeSleep) -> None:
    speech = compatible_speech(server, sleep, speech_format="pcm", speech_model="gpt-4o-mini-tts")

    pcm = speech.synthesize("One two three.", "sage")

    assert len(pcm) == len(speech_pcm("One two three.")) * 2 // 3
    assert (server.speeches[0].response_format, server.speeches[0].model) == ("pcm", "gpt-4o-mini-tts")


def test_text_beyond_the_request_limit_is_spoken_in_several_requests(
    server: ScriptedOpenAI, sleep: FakeSleep
) -> None:
    text = " ".join(["word"] * 1000)  # 4,999 characters

    pcm = compatible_speech(server, sleep).synthesize(text, "alloy")

    assert [len(request.input) <= 4096 for request in server.speeches] == [True, True]
    assert " ".join(request.input for request in server.speeches) == text
    assert len(pcm) == (len(text) - 1) * SAMPLES_16K_PER_CHARACTER * 2  # the space cut on is not spoken


def test_empty_text_is_no_audio_and_no_request(server: ScriptedOpenAI, sleep: FakeSleep) -> None:
    assert compatible_speech(server, sleep).synthesize("   ", "alloy") == b""
    assert server.speeches == []


# ------------------------------------------------------------------------------------------ Azure + selection


def azure_config(server: ScriptedOpenAI, **fields: str) -> dict[str, str]:
    return {
        "type": "azure-openai",
        "endpoint": server.azure_endpoint,
        "deployment": "gpt-4o",
        "apiVersion": "2024-10-21",
        **fields,
    }


def test_azure_keys_speak_through_their_deployments(server: ScriptedOpenAI) -> None:
    config = azure_config(server, transcriptionDeployment="whisper", speechDeployment="tts")
    speech = speech_for(config, API_KEY, None)
    assert isinstance(speech, SpeechProvider)

    assert speech.transcribe(spoken(), "en") == DEFAULT_TRANSCRIPT
    assert len(speech.synthesize("Hi there.", "alloy")) == 9 * SAMPLES_16K_PER_CHARACTER * 2

    transcription, synthesis = server.requests
    assert transcription.path == "/openai/deployments/whisper/audio/transcriptions"
    assert synthesis.path == "/openai/deployments/tts/audio/speech"
    assert transcription.query["api-version"] == synthesis.query["api-version"] == "2024-10-21"
    assert transcription.headers["api-key"] == API_KEY
    assert server.transcriptions[0].audio == to_wav(spoken())


def test_an_azure_key_with_one_deployment_speaks_one_way_only(server: ScriptedOpenAI) -> None:
    speech = speech_for(azure_config(server, transcriptionDeployment="whisper"), API_KEY, None)
    assert speech is not None and speech.can_transcribe and not speech.can_synthesize

    error = failure(speech.synthesize, "Hello.", "alloy")

    assert error.code == codes.INVALID_CONFIG
    assert "speechDeployment" in error.message
    assert server.requests == []


def test_keys_without_speech_get_none(server: ScriptedOpenAI) -> None:
    assert speech_for(azure_config(server), API_KEY, None) is None
    assert speech_for({"type": "hosted"}, None, None) is None  # the embedded offline model
    assert speech_for({"type": "hosted"}, None, HostedSpeechSettings(endpoint=server.azure_endpoint)) is None


def test_hosted_keys_use_the_platform_s_speech_deployments(server: ScriptedOpenAI) -> None:
    hosted = HostedSpeechSettings(
        endpoint=server.azure_endpoint,
        transcription_deployment="stt",
        speech_deployment="tts",
        api_key=API_KEY,
    )

    speech = speech_for({"type": "hosted"}, None, hosted)

    assert speech is not None
    assert speech.transcribe(spoken()) == DEFAULT_TRANSCRIPT
    assert server.last_request.path == "/openai/deployments/stt/audio/transcriptions"


def test_compatible_keys_hear_and_speak_only_with_the_models_they_name(server: ScriptedOpenAI) -> None:
    config = {"type": "openai-compatible", "baseUrl": server.base_url, "model": "gpt-test"}
    assert speech_for(config, API_KEY, None) is None  # many compatible servers have no audio endpoints
    hearing = speech_for({**config, "transcriptionModel": "whisper-1"}, API_KEY, None)
    chosen = speech_for({**config, "transcriptionModel": "stt-x", "speechModel": "tts-x"}, API_KEY, None)
    assert hearing is not None and chosen is not None
    assert (hearing.can_transcribe, hearing.can_synthesize) == (True, False)

    hearing.transcribe(spoken())
    chosen.transcribe(spoken())
    chosen.synthesize("Hi.", "nova")

    assert [upload.model for upload in server.transcriptions] == ["whisper-1", "stt-x"]
    assert server.speeches[0].model == "tts-x"
    assert speech_for({**config, "transcriptionModel": "whisper-1"}, API_KEY, None) is hearing  # cached


def test_unusable_settings_are_a_config_error(server: ScriptedOpenAI) -> None:
    for config in (
        {"type": "openai-compatible"},
        {"type": "azure-openai", "speechDeployment": "tts", "apiVersion": "2024-10-21"},
        {"type": "other"},
    ):
        assert failure(speech_for, config, None, None).code == codes.INVALID_CONFIG


# ------------------------------------------------------------------------------------------ errors


def test_a_rate_limit_is_retried_after_the_server_s_wait_then_succeeds(
    server: ScriptedOpenAI, sleep: FakeSleep
) -> None:
    server.fail_audio(429, retry_after=2)
    server.fail_audio(503)

    assert compatible_speech(server, sleep).transcribe(spoken()) == DEFAULT_TRANSCRIPT

    assert sleep.waits == [2.0, 0.75]  # Retry-After, then backoff 1 s with jitter at its midpoint
    assert len(server.transcriptions) == 3


def test_an_outage_that_outlasts_the_retries_is_a_retryable_unavailable_error(
    server: ScriptedOpenAI, sleep: FakeSleep
) -> None:
    for _ in range(4):
        server.fail_audio(500)

    error = failure(compatible_speech(server, sleep).synthesize, "Hello.", "alloy")

    assert (error.code, error.retryable, error.status) == (codes.UNAVAILABLE, True, 500)
    assert len(server.speeches) == 4


def test_a_refused_key_is_not_retried_and_never_quoted(server: ScriptedOpenAI, sleep: FakeSleep) -> None:
    error = failure(compatible_speech(server, sleep, api_key="sk-wrong-key-123456789").transcribe, spoken())

    assert (error.code, error.retryable, error.status) == (codes.AUTH_FAILED, False, 401)
    assert "sk-" not in error.message and "6789" not in error.message
    assert sleep.waits == []


def test_a_missing_deployment_is_not_found(server: ScriptedOpenAI) -> None:
    server.fail_audio(404, message="The API deployment for this resource does not exist.")
    speech = speech_for(azure_config(server, speechDeployment="tts-missing"), API_KEY, None)
    assert speech is not None

    error = failure(speech.synthesize, "Hello.", "alloy")

    assert (error.code, error.retryable) == (codes.NOT_FOUND, False)
    assert "'tts-missing'" in error.message


def test_a_refused_voice_is_a_bad_request_quoting_the_provider_safely(
    server: ScriptedOpenAI, sleep: FakeSleep
) -> None:
    server.fail_audio(400, message="Invalid voice 'robot'. See https://platform.openai.com/docs for voices.")

    error = failure(compatible_speech(server, sleep).synthesize, "Hello.", "robot")

    assert error.code == codes.BAD_REQUEST
    assert "Invalid voice 'robot'" in error.message
    assert "https://" not in error.message


def test_a_slow_answer_is_a_timeout(server: ScriptedOpenAI, sleep: FakeSleep) -> None:
    server.transcribe_as("late", delay=1.0)
    speech = compatible_speech(server, sleep, timeout=0.2, retry=RetryPolicy(max_attempts=1))

    error = failure(speech.transcribe, spoken())

    assert (error.code, error.retryable) == (codes.TIMEOUT, True)


def test_speech_that_cannot_be_read_as_wav_is_a_provider_error() -> None:
    class Answer:
        content = b"ID3\x04 an mp3 where a wav was asked for"

    class Client:
        class audio:  # the SDK's attribute path: client.audio.speech.create
            class speech:
                @staticmethod
                def create(**_: object) -> Answer:
                    return Answer()

    speech = OpenAISpeech(Client(), transcription_model=None, speech_model="tts-1", label="The provider")  # type: ignore[arg-type]

    error = failure(speech.synthesize, "Hello.", "alloy")

    assert (error.code, error.retryable) == (codes.UNAVAILABLE, False)
    assert "could not be played" in error.message
