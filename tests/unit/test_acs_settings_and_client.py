"""ACS settings and the Call Automation client built from ACS_CONNECTION_STRING (scheme kept)."""

from __future__ import annotations

import pytest
from azure.communication.callautomation import CallAutomationClient

from shared.phone.acs_client import AcsConnectionStringError, call_automation_client, parse_connection_string
from shared.phone.settings import ACS_PUBLISHED_JWKS_URL, load_acs_settings
from shared.settings import load_settings

KEY = "c2VjcmV0LWtleS1vZi10aGUtcmVzb3VyY2U="  # base64, as ACS's access keys


def test_the_endpoint_keeps_its_scheme_and_loses_its_trailing_slash() -> None:
    local = parse_connection_string(f"endpoint=http://127.0.0.1:7071/;accesskey={KEY}")
    assert (local.endpoint, local.access_key, local.credential.key) == ("http://127.0.0.1:7071", KEY, KEY)
    azure = parse_connection_string(f"AccessKey={KEY};Endpoint=https://contoso.communication.azure.com/")
    assert azure.endpoint == "https://contoso.communication.azure.com"
    assert KEY not in repr(local)


def test_the_client_calls_the_endpoint_as_written() -> None:
    client = call_automation_client(f"endpoint=http://127.0.0.1:7071/;accesskey={KEY}")
    assert isinstance(client, CallAutomationClient)
    request_url = client._client._config.endpoint  # what every request URL is formatted from
    assert request_url == "http://127.0.0.1:7071"
    # Why not the SDK's own: from_connection_string keeps the host and calls it over https.
    sdk = CallAutomationClient.from_connection_string(f"endpoint=http://127.0.0.1:7071/;accesskey={KEY}")
    assert sdk._client._config.endpoint == "https://127.0.0.1:7071"


@pytest.mark.parametrize(
    "value",
    [
        "",
        f"accesskey={KEY}",
        "endpoint=https://contoso.communication.azure.com/",
        f"endpoint=contoso.communication.azure.com;accesskey={KEY}",
        f"endpoint=ftp://contoso;accesskey={KEY}",
        f"endpoint=https://contoso.communication.azure.com/path;accesskey={KEY}",
        "endpoint=https://contoso.communication.azure.com/;accesskey=not base64!",
        f"endpoint https://contoso;accesskey={KEY}",
    ],
)
def test_unusable_connection_strings_are_refused_without_echoing_the_key(value: str) -> None:
    with pytest.raises(AcsConnectionStringError) as refused:
        parse_connection_string(value)
    assert KEY not in str(refused.value)
    assert "ACS_CONNECTION_STRING" in str(refused.value)


def test_settings_default_to_acs_published_keys() -> None:
    unset = load_acs_settings({})
    assert (unset.enabled, unset.callback_jwks_url, unset.callback_audience) == (
        False,
        ACS_PUBLISHED_JWKS_URL,
        None,
    )
    assert ACS_PUBLISHED_JWKS_URL == "https://acscallautomation.communication.azure.com/calling/keys"
    configured = load_settings(
        {
            "OMNI_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true",
            "ACS_CONNECTION_STRING": f"endpoint=http://127.0.0.1:7071/;accesskey={KEY}",
            "ACS_CALLBACK_JWKS_URL": "http://127.0.0.1:7071/calling/keys",
            "ACS_CALLBACK_AUDIENCE": "5e6f0f1a-0000-4000-8000-000000000001",
        }
    ).acs
    assert configured.enabled
    assert configured.callback_jwks_url == "http://127.0.0.1:7071/calling/keys"
    assert configured.callback_audience == "5e6f0f1a-0000-4000-8000-000000000001"
    assert KEY not in repr(configured)
