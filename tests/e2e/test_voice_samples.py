"""GET /public/voices/{voiceId}/sample through devhost: a voice heard before it is chosen, spoken by the
key's own provider (the scripted OpenAI fake's speech endpoint), and ``sampleUrl`` in the voice list
pointing there only when the key can speak."""

from __future__ import annotations

import io
import wave

import requests

from tests.e2e.conftest import error_of


def _sample(platform, key, voice_id: str) -> requests.Response:
    return requests.get(platform.url(f"/public/voices/{voice_id}/sample"), headers=key.headers, timeout=30)


def test_a_voice_sample_is_a_wav_spoken_by_the_keys_provider_with_that_voice(platform, model_key, model):
    answer = _sample(platform, model_key, "coral")
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("audio/wav")
    with wave.open(io.BytesIO(answer.content)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 2, 16_000)
        assert audio.getnframes() > 16_000  # more than a second of speech
    spoken = model.speeches[-1]
    assert (spoken.voice, spoken.model) == ("coral", "tts-1")
    assert spoken.input == "Hello, I'm Coral. This is how I sound."


def test_the_voice_list_links_each_sample_when_the_key_can_speak(platform, model_key):
    page = requests.get(platform.url("/public/voices?pageSize=100"), headers=model_key.headers, timeout=30)
    assert page.status_code == 200, page.text
    items = page.json()["items"]
    assert len(items) == 13
    for voice in items:
        assert voice["sampleUrl"] == platform.url(f"/public/voices/{voice['id']}/sample")


def test_a_key_that_cannot_speak_has_no_samples_and_says_why(platform, project_key):
    """A hosted key on the local stack runs the embedded model, which has no speech."""
    page = requests.get(platform.url("/public/voices"), headers=project_key.headers, timeout=30).json()
    assert page["items"] and {voice["sampleUrl"] for voice in page["items"]} == {None}
    answer = _sample(platform, project_key, "alloy")
    assert answer.status_code == 409
    body = error_of(answer)
    assert body["code"] == "VoiceSampleUnavailable"
    assert "cannot speak" in body["description"]


def test_an_unknown_voice_is_404_and_a_refused_speech_request_is_503_in_the_providers_words(
    platform, model_key, model
):
    missing = _sample(platform, model_key, "nobody")
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "VoiceNotFound"
    model.fail_audio(400, message="The voice is not available on this deployment.")
    refused = _sample(platform, model_key, "onyx")
    assert refused.status_code == 503
    body = error_of(refused)
    assert body["code"] == "VoiceSampleFailed"
    assert body["description"].startswith("The provider could not speak the sample: ")
    assert "sk-" not in body["description"]
