"""The Azure SDK clients' transport reads the environment per request only when it holds HTTP
settings (shared/http_transport.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from azure.core.pipeline.transport import RequestsTransport

from shared.http_transport import environment_configures_http, sdk_transport_options

SETTINGS = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NETRC",
)


@pytest.fixture
def plain_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def test_without_settings_the_transport_does_not_read_the_environment(plain_environment: Path) -> None:
    assert not environment_configures_http()
    transport = sdk_transport_options()["transport"]
    assert isinstance(transport, RequestsTransport)
    transport.open()
    try:
        assert transport.session is not None and transport.session.trust_env is False
        assert transport.connection_config.verify is True
    finally:
        transport.close()


@pytest.mark.parametrize("name", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_the_certificate_bundle_of_the_environment_is_read_once_and_kept(
    plain_environment: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, "/etc/ssl/certs/bundle.pem")
    transport = sdk_transport_options()["transport"]
    assert transport.connection_config.verify == "/etc/ssl/certs/bundle.pem"


@pytest.mark.parametrize("name", ["HTTPS_PROXY", "https_proxy", "NO_PROXY", "NETRC"])
def test_an_http_setting_keeps_the_sdk_default(
    plain_environment: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, "http://proxy.example:3128" if "PROXY" in name.upper() else "/some/netrc")
    assert environment_configures_http()
    assert sdk_transport_options() == {}


def test_a_netrc_file_keeps_the_sdk_default(plain_environment: Path) -> None:
    (plain_environment / ".netrc").write_text("machine example.com login a password b\n")
    assert sdk_transport_options() == {}
