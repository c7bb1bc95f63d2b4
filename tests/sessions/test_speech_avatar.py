"""Minting the Speech avatar's credentials against a loopback stand-in of Azure's two token endpoints
(tests/fakes/speech_avatar.py), with a key and with the managed identity, and the settings that turn it on."""

from __future__ import annotations

import pytest

from shared.settings import SettingsError, SpeechAvatarSettings, load_settings
from shared.speech_avatar import SpeechAvatarUnavailable, mint_speech_avatar
from tests.fakes.speech_avatar import RELAY_URLS, FakeSpeechAvatar

KEY = "speech-key-unit"
STORAGE = {"OMNI_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true"}


def _settings(endpoint: str, **fields: str) -> SpeechAvatarSettings:
    return SpeechAvatarSettings(region="westeurope", endpoint=endpoint, **fields)


def test_with_a_key_both_tokens_are_minted_with_the_key_header() -> None:
    with FakeSpeechAvatar(KEY) as fake:
        minted = mint_speech_avatar(_settings(fake.endpoint, key=KEY))
    assert minted.to_json() == {
        "region": "westeurope",
        "endpoint": fake.endpoint,
        "authToken": fake.issued_tokens[0],
        "iceServers": [{"urls": RELAY_URLS, "username": "relay-user", "credential": "relay-password-1"}],
        "character": "lisa",
        "style": "casual-sitting",
        "voice": "en-US-AvaMultilingualNeural",
    }
    assert [(method, path, key) for method, path, key in fake.calls] == [
        ("POST", "/sts/v1.0/issueToken", KEY),
        ("GET", "/tts/cognitiveservices/avatar/relay/token/v1", KEY),
    ]


def test_with_the_managed_identity_the_entra_token_is_the_auth_token_and_the_relay_bearer() -> None:
    resource = "/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/speech"
    with FakeSpeechAvatar(KEY, entra_bearer=f"aad#{resource}#entra-token") as fake:
        minted = mint_speech_avatar(
            _settings(fake.endpoint, resource_id=resource), entra_token=lambda: "entra-token"
        )
    assert minted.auth_token == f"aad#{resource}#entra-token"
    assert minted.ice_servers[0]["credential"] == "relay-password-1"
    assert fake.calls == [
        ("GET", "/tts/cognitiveservices/avatar/relay/token/v1", None)
    ]  # no key, no issueToken


def test_a_wrong_key_a_failing_service_or_a_bad_relay_answer_is_speech_avatar_unavailable() -> None:
    with FakeSpeechAvatar(KEY) as fake:
        with pytest.raises(SpeechAvatarUnavailable) as wrong_key:
            mint_speech_avatar(_settings(fake.endpoint, key="not-the-key"))
        fake.fail_with(503)
        with pytest.raises(SpeechAvatarUnavailable) as failing:
            mint_speech_avatar(_settings(fake.endpoint, key=KEY))
        fake.fail_with(None)
        fake.relay_answer = {"Urls": [], "Username": "u", "Password": "p"}
        with pytest.raises(SpeechAvatarUnavailable) as no_urls:
            mint_speech_avatar(_settings(fake.endpoint, key=KEY))
    assert (wrong_key.value.status, wrong_key.value.code) == (503, "SpeechAvatarUnavailable")
    assert "answered 401" in wrong_key.value.description and "not-the-key" not in wrong_key.value.description
    assert "answered 503" in failing.value.description
    assert "no URLs" in no_urls.value.description
    assert [path for _, path, _ in fake.calls].count(
        "/sts/v1.0/issueToken"
    ) == 4  # 401 once, 503 twice, ok once


def test_nothing_listens_so_the_connection_failure_is_unavailable() -> None:
    with FakeSpeechAvatar(KEY) as fake:
        endpoint = fake.endpoint
    with pytest.raises(SpeechAvatarUnavailable) as refused:
        mint_speech_avatar(_settings(endpoint, key=KEY))
    assert "failed to connect" in refused.value.description


def test_the_settings_turn_it_on_with_a_region_and_name_what_is_missing() -> None:
    assert load_settings(STORAGE).speech_avatar is None
    regional = load_settings(
        {**STORAGE, "OMNI_SPEECH_AVATAR_REGION": "WestUS2", "OMNI_SPEECH_AVATAR_KEY": KEY}
    )
    avatar = regional.speech_avatar
    assert avatar is not None and KEY not in repr(avatar)
    assert (avatar.issue_token_url, avatar.relay_token_url) == (
        "https://westus2.api.cognitive.microsoft.com/sts/v1.0/issueToken",
        "https://westus2.tts.speech.microsoft.com/cognitiveservices/avatar/relay/token/v1",
    )
    custom = load_settings(
        {
            **STORAGE,
            "OMNI_SPEECH_AVATAR_REGION": "westus2",
            "OMNI_SPEECH_AVATAR_ENDPOINT": "https://my-speech.cognitiveservices.azure.com/",
            "OMNI_SPEECH_AVATAR_RESOURCE_ID": "/subscriptions/s/x",
        }
    ).speech_avatar
    assert custom is not None and custom.key is None
    assert custom.relay_token_url == (
        "https://my-speech.cognitiveservices.azure.com/tts/cognitiveservices/avatar/relay/token/v1"
    )
    refusals = [
        ({"OMNI_SPEECH_AVATAR_KEY": KEY}, "need OMNI_SPEECH_AVATAR_REGION"),
        ({"OMNI_SPEECH_AVATAR_REGION": "westus2"}, "needs OMNI_SPEECH_AVATAR_KEY"),
        ({"OMNI_SPEECH_AVATAR_REGION": "west us"}, "must be an Azure region name"),
        (
            {
                "OMNI_SPEECH_AVATAR_REGION": "westus2",
                "OMNI_SPEECH_AVATAR_KEY": KEY,
                "OMNI_SPEECH_AVATAR_ENDPOINT": "http://x",
            },
            "must be an https:// URL",
        ),
    ]
    for env, message in refusals:
        with pytest.raises(SettingsError, match=message) as refused:
            load_settings({**STORAGE, **env})
        assert KEY not in str(refused.value)
    local = load_settings(
        {
            **STORAGE,
            "OMNI_ENVIRONMENT": "local",
            "OMNI_SPEECH_AVATAR_REGION": "westus2",
            "OMNI_SPEECH_AVATAR_KEY": KEY,
            "OMNI_SPEECH_AVATAR_ENDPOINT": "http://127.0.0.1:9",
        }
    )
    assert local.speech_avatar is not None and local.speech_avatar.endpoint == "http://127.0.0.1:9"
