"""The outbound address rules of issue 16 defect 5: the app's own host is never a target (tools in
local mode included), knowledge downloads reach non-public addresses only on named hosts, metadata
addresses are never a target, and the connection goes to the addresses checked (no DNS rebinding)."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from shared.functions.addresses import UnsafeEndpoint, check_endpoint_url, check_url, parse_host_port
from shared.knowledge.download import DownloadFailed, DownloadRule, download
from shared.settings import SettingsError, load_settings
from shared.tools.connections import checked_target
from tests.unit.test_function_addresses import failing_resolver, resolver

LOCAL_APP = ("localhost", 7071)
AZURE_APP = ("omni.azurewebsites.net", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1", ("127.0.0.1", None)),
        ("Docs.Example.com:8443", ("docs.example.com", 8443)),
        ("[::1]:9000", ("::1", 9000)),
        (" localhost ", ("localhost", None)),
    ],
)
def test_host_port_entries_parse(text, expected):
    assert parse_host_port(text) == expected


@pytest.mark.parametrize("text", ["http://x/", "x:notaport", "x/path", "user@x", "", "x:99999"])
def test_other_host_port_entries_are_refused(text):
    with pytest.raises(ValueError):
        parse_host_port(text)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:7071/runtime/webhooks/durabletask/instances",
        "http://LOCALHOST:7071/admin/host/status",
        "http://127.0.0.1:7071/x",
        "http://127.0.0.2:7071/x",
        "http://[::1]:7071/x",
        "http://0.0.0.0:7071/x",
        "ws://10.1.2.3:7071/x",  # a local address of this machine may reach it too
        "http://[::ffff:127.0.0.1]:7071/x",
    ],
)
def test_the_local_apps_own_host_is_refused_even_with_private_targets_allowed(url):
    with pytest.raises(UnsafeEndpoint, match="the app's own host"):
        check_url(url, allow_private=True, own_host=LOCAL_APP, resolve=failing_resolver)
    with pytest.raises(UnsafeEndpoint, match="the app's own host"):
        check_endpoint_url(url, allow_private=True, own_host=LOCAL_APP, resolve=failing_resolver)


def test_a_name_that_resolves_to_the_local_app_is_refused():
    with pytest.raises(UnsafeEndpoint, match="the app's own host"):
        check_url(
            "http://tools.test:7071/x", allow_private=True, own_host=LOCAL_APP, resolve=resolver("127.0.0.1")
        )


def test_loopback_on_another_port_stays_allowed_for_tools_in_local_mode():
    checked = check_url("http://127.0.0.1:9000/tool", allow_private=True, own_host=LOCAL_APP)
    assert [str(a) for a in checked.addresses] == ["127.0.0.1"]
    # and a public host on the app's port number is someone else's server
    public = check_url(
        "https://tools.example.com:7071/", own_host=LOCAL_APP, resolve=resolver("93.184.216.34")
    )
    assert public.port == 7071


def test_the_azure_apps_own_name_is_refused_on_any_port():
    for url in ("https://omni.azurewebsites.net/api/x", "http://OMNI.azurewebsites.net:8080/"):
        with pytest.raises(UnsafeEndpoint, match="the app's own host"):
            check_url(url, own_host=AZURE_APP, resolve=resolver("20.1.2.3"))
    other = check_url("https://other.azurewebsites.net/", own_host=AZURE_APP, resolve=resolver("20.1.2.3"))
    assert other.host == "other.azurewebsites.net"


def test_metadata_addresses_are_refused_whatever_is_allowed():
    for allowed in ({"allow_private": True}, {"named_hosts": [("169.254.169.254", None)]}):
        with pytest.raises(UnsafeEndpoint, match="metadata"):
            check_url("http://169.254.169.254/metadata/instance", resolve=failing_resolver, **allowed)
    with pytest.raises(UnsafeEndpoint, match="metadata"):
        check_url("http://imds.test/", named_hosts=[("imds.test", None)], resolve=resolver("168.63.129.16"))


def test_named_hosts_open_non_public_addresses_for_that_host_and_port_only():
    named = [("127.0.0.1", None), ("docs.internal", 8080)]
    assert check_url("http://127.0.0.1:5000/a.md", named_hosts=named).port == 5000
    ok = check_url("http://docs.internal:8080/a.md", named_hosts=named, resolve=resolver("10.0.0.7"))
    assert [str(a) for a in ok.addresses] == ["10.0.0.7"]
    for url, reason in (
        ("http://localhost:5000/a.md", "loopback"),  # the same machine under another name
        ("http://[::1]:5000/a.md", "loopback"),
        ("http://docs.internal:8081/a.md", "private"),  # another port
    ):
        with pytest.raises(UnsafeEndpoint, match=reason):
            check_url(url, named_hosts=named, resolve=resolver("::1" if "localhost" in url else "10.0.0.7"))


def test_a_named_host_is_still_never_the_app_itself():
    with pytest.raises(UnsafeEndpoint, match="the app's own host"):
        check_url(
            "http://127.0.0.1:7071/runtime/webhooks/durabletask/instances",
            named_hosts=[("127.0.0.1", None)],
            own_host=LOCAL_APP,
        )


def test_the_target_pins_the_addresses_checked_so_a_second_dns_answer_is_never_used():
    answers = iter([["127.0.0.1"], ["10.9.9.9"]])  # rebinding: the second lookup would answer otherwise
    asked: list[str] = []

    def rebinding(host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in next(answers)]

    target = checked_target(
        "http://docs.test:9000/a.md",
        allow_private=False,
        named_hosts=[("docs.test", 9000)],
        resolve=rebinding,
    )
    assert (target.addresses, asked) == (("127.0.0.1",), ["docs.test"])


def test_settings_read_the_allowed_hosts_and_the_apps_own_host():
    settings = load_settings(
        {
            "OMNI_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true",
            "OMNI_KNOWLEDGE_ALLOWED_HOSTS": "127.0.0.1, docs.internal:8080",
            "WEBSITE_HOSTNAME": "localhost:7071",
        }
    )
    assert settings.knowledge_allowed_hosts == (("127.0.0.1", None), ("docs.internal", 8080))
    assert settings.app_host == LOCAL_APP
    assert load_settings({"OMNI_STORAGE_CONNECTION_STRING": "x"}).knowledge_allowed_hosts == ()
    with pytest.raises(SettingsError, match="OMNI_KNOWLEDGE_ALLOWED_HOSTS"):
        load_settings({"OMNI_STORAGE_CONNECTION_STRING": "x", "OMNI_KNOWLEDGE_ALLOWED_HOSTS": "https://x/"})


class _Document(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:
        self.seen.append(self.path)
        redirect = self.path.startswith("/moved")
        self.send_response(302 if redirect else 200)
        if redirect:
            self.send_header("Location", "http://169.254.169.254/metadata/instance")
        self.send_header("Content-Length", "0" if redirect else "5")
        self.end_headers()
        if not redirect:
            self.wfile.write(b"hello")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def document_port() -> Iterator[int]:
    _Document.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Document)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def test_download_refuses_an_unnamed_loopback_host_before_any_request(document_port):
    with pytest.raises(DownloadFailed, match="loopback"):
        download(f"http://127.0.0.1:{document_port}/a.md", DownloadRule())
    assert _Document.seen == []


def test_download_fetches_a_named_host_at_the_address_it_checked(document_port):
    rule = DownloadRule.of([("docs.test", document_port)], LOCAL_APP)
    rule = DownloadRule(rule.named_hosts, rule.own_host, resolve=resolver("127.0.0.1"))
    fetched = download(f"http://docs.test:{document_port}/a.md", rule)
    assert (fetched.data, _Document.seen) == (b"hello", ["/a.md"])


def test_download_does_not_follow_a_redirect(document_port):
    with pytest.raises(DownloadFailed, match="redirects are not followed"):
        download(f"http://127.0.0.1:{document_port}/moved", DownloadRule.of([("127.0.0.1", None)], None))
    assert _Document.seen == ["/moved"]
