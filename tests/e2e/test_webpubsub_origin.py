"""The Web PubSub event handler's abuse-protection handshake allows only the configured service's host
(issue 16, defect 9: it echoed any `WebHook-Request-Origin`, so any CloudEvents sender could register
it). Locally the service is the devhost's stand-in at 127.0.0.1, which sends that host name."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.conftest import error_of

T = 30


def _handshake(platform, origin: str | None) -> requests.Response:
    headers = {"WebHook-Request-Origin": origin} if origin is not None else {}
    return requests.options(platform.url("/runtime/webpubsub/omniagent"), headers=headers, timeout=T)


@pytest.mark.parametrize("origin", ["attacker.example", "127.0.0.1.attacker.example", "*", "", None])
def test_another_origin_is_refused_with_the_error_body_and_no_allowed_origin(platform, origin):
    response = _handshake(platform, origin)

    assert response.status_code == 403, response.text
    assert "WebHook-Allowed-Origin" not in response.headers
    assert "127.0.0.1" in error_of(response)["description"]  # names the service it expects


def test_the_configured_service_host_is_allowed(platform):
    response = _handshake(platform, "127.0.0.1")
    spaced = _handshake(platform, "127.0.0.1 ")

    assert (response.status_code, response.headers["WebHook-Allowed-Origin"]) == (200, "127.0.0.1")
    assert (spaced.status_code, spaced.headers["WebHook-Allowed-Origin"]) == (200, "127.0.0.1")
