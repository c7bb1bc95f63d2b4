"""The ACS stand-in's settings and its check of the SDK's HMAC signature, without a host."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from azure.communication.callautomation._shared.policy import HMACCredentialsPolicy
from azure.core.credentials import AzureKeyCredential
from azure.core.pipeline import PipelineContext, PipelineRequest
from azure.core.pipeline.transport import HttpRequest

from devhost.acs import config
from devhost.acs.hmac_auth import SignatureError, check_signature

ENDPOINT = "http://127.0.0.1:7071"
KEY = "c2VjcmV0LWtleS1vZi10aGUtcmVzb3VyY2U="
PATH = "/calling/callConnections:answer?api-version=2026-03-12"


def signed(body: str, key: str = KEY) -> tuple[str, dict[str, str], bytes]:
    """A request as the SDK's own policy signs it: method, path and query, headers, body."""
    request = HttpRequest("POST", ENDPOINT + PATH)
    request.headers["Host"] = "127.0.0.1:7071"
    request.set_text_body(body)
    HMACCredentialsPolicy(ENDPOINT, AzureKeyCredential(key)).on_request(
        PipelineRequest(request, PipelineContext(None))
    )
    return "POST", dict(request.headers), body.encode()


def test_the_sdk_signature_passes_and_any_change_fails() -> None:
    method, headers, body = signed(json.dumps({"incomingCallContext": "abc"}))
    check_signature(method, PATH, headers, body, KEY)
    lowered = {name.lower(): value for name, value in headers.items()}
    check_signature(method, PATH, lowered, body, KEY)  # header names in any case
    for changed in (
        lambda: check_signature(method, PATH, headers, body + b" ", KEY),  # another body
        lambda: check_signature(method, PATH.replace("answer", "reject"), headers, body, KEY),  # another path
        lambda: check_signature("PUT", PATH, headers, body, KEY),  # another verb
        lambda: check_signature(
            method, PATH, {**headers, "Host": "127.0.0.1:7072"}, body, KEY
        ),  # another host
        lambda: check_signature(method, PATH, headers, body, "b3RoZXIta2V5"),  # another key
        lambda: check_signature(method, PATH, {**headers, "Authorization": "Bearer x"}, body, KEY),
        lambda: check_signature(
            method, PATH, headers, body, KEY, now=datetime.now(UTC) + timedelta(minutes=16)
        ),  # a replay after 15 minutes
    ):
        with pytest.raises(SignatureError):
            changed()


def test_unset_or_devhost_points_the_app_at_the_stand_in_with_a_kept_identity(tmp_path: Path) -> None:
    environ: dict[str, str] = {}
    config.ensure_settings(environ, tmp_path, 7071)
    identity = config.local_identity(tmp_path)
    assert environ == {
        "ACS_CONNECTION_STRING": f"endpoint=http://127.0.0.1:7071/;accesskey={identity.access_key}",
        "ACS_CALLBACK_JWKS_URL": "http://127.0.0.1:7071/calling/keys",
        "ACS_CALLBACK_AUDIENCE": identity.resource_id,
    }
    assert (tmp_path / config.STATE_FILE_NAME).stat().st_mode & 0o077 == 0
    again = {"ACS_CONNECTION_STRING": "devhost", "ACS_CALLBACK_AUDIENCE": "mine"}
    config.ensure_settings(again, tmp_path, 7072)  # a restart on another port keeps the key
    assert (
        again["ACS_CONNECTION_STRING"] == f"endpoint=http://127.0.0.1:7072/;accesskey={identity.access_key}"
    )
    assert again["ACS_CALLBACK_AUDIENCE"] == "mine"  # set by hand: kept
    served = config.AcsStandInConfig.from_environment(again, 7072, tmp_path)
    assert served is not None
    assert (served.endpoint, served.access_key, served.resource_id) == (
        "http://127.0.0.1:7072",
        identity.access_key,
        identity.resource_id,
    )
    assert served.incoming_call_url == "/runtime/webhooks/eventgrid?functionName=acs_incoming_call"
    assert config.AcsStandInConfig.from_environment(again, 7071, tmp_path) is None  # another port


def test_a_real_acs_is_left_alone(tmp_path: Path) -> None:
    real = "endpoint=https://contoso.communication.azure.com/;accesskey=" + KEY
    environ = {"ACS_CONNECTION_STRING": real}
    config.ensure_settings(environ, tmp_path, 7071)
    assert environ == {"ACS_CONNECTION_STRING": real}
    assert not (tmp_path / config.STATE_FILE_NAME).exists()
    assert config.AcsStandInConfig.from_environment(environ, 7071, tmp_path) is None
