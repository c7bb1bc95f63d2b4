"""The endpoint-address rule of explicit functions: only public addresses, every DNS answer checked."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from shared.functions.addresses import UnsafeEndpoint, check_endpoint_url, forbidden_reason


def resolver(*addresses: str):
    """A stand-in for socket.getaddrinfo answering the given addresses (and recording the host)."""
    asked: list[str] = []

    def resolve(host, port, *args):
        asked.append(host)
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    resolve.asked = asked  # type: ignore[attr-defined]
    return resolve


def failing_resolver(host, port, *args):
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.5",
        "172.16.3.4",
        "192.168.1.1",
        "169.254.1.1",
        "169.254.169.254",
        "168.63.129.16",
        "0.0.0.0",
        "100.64.0.1",
        "224.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd00:ec2::254",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a00:1",
        "2002:c0a8:0101::1",
    ],
)
def test_non_public_addresses_are_refused(address):
    assert forbidden_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address):
    assert forbidden_reason(ipaddress.ip_address(address)) is None


def test_metadata_address_is_named_as_such():
    reason = forbidden_reason(ipaddress.ip_address("169.254.169.254"))
    assert reason is not None and "metadata" in reason


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/tool",
        "https://10.1.2.3:8443/x",
        "http://169.254.169.254/latest/meta-data",
        "https://[::1]/x",
        "wss://[fe80::1%25eth0]/x",
        "http://[::ffff:10.0.0.1]/x",
    ],
)
def test_ip_literal_urls_to_non_public_addresses_are_refused_without_dns(url):
    with pytest.raises(UnsafeEndpoint, match="non-public"):
        check_endpoint_url(url, resolve=failing_resolver)


def test_localhost_is_refused_through_its_resolution():
    resolve = resolver("127.0.0.1", "::1")
    with pytest.raises(UnsafeEndpoint, match="loopback"):
        check_endpoint_url("http://localhost:8080/tool", resolve=resolve)
    assert resolve.asked == ["localhost"]  # type: ignore[attr-defined]


def test_dns_name_with_public_answers_is_allowed():
    check_endpoint_url("https://tools.example.com/orders", resolve=resolver("93.184.216.34", "2606:2800::1"))


def test_dns_name_with_one_private_answer_among_public_ones_is_refused():
    with pytest.raises(UnsafeEndpoint, match=r"10\.0\.0\.7"):
        check_endpoint_url("https://mixed.example.com/", resolve=resolver("93.184.216.34", "10.0.0.7"))


def test_dns_name_pointing_at_metadata_is_refused():
    with pytest.raises(UnsafeEndpoint, match="metadata"):
        check_endpoint_url("http://metadata.evil.example/", resolve=resolver("169.254.169.254"))


def test_unresolvable_host_is_refused():
    with pytest.raises(UnsafeEndpoint, match="cannot be resolved"):
        check_endpoint_url("https://nowhere.invalid/", resolve=failing_resolver)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "gopher://x", "example.com/x"])
def test_only_http_https_ws_wss_schemes_are_accepted(url):
    with pytest.raises(UnsafeEndpoint, match="schemes"):
        check_endpoint_url(url, resolve=resolver("93.184.216.34"))


@pytest.mark.parametrize("url", ["http:///path", "https://:443/"])
def test_url_without_host_is_refused(url):
    with pytest.raises(UnsafeEndpoint):
        check_endpoint_url(url, resolve=resolver("93.184.216.34"))


@pytest.mark.parametrize("scheme", ["http", "https", "ws", "wss"])
def test_each_allowed_scheme_passes_with_public_answers(scheme):
    check_endpoint_url(f"{scheme}://tools.example.com/x", resolve=resolver("93.184.216.34"))


def test_allow_private_skips_address_checks_but_not_the_url_form():
    check_endpoint_url("http://localhost:7071/tool", allow_private=True, resolve=failing_resolver)
    check_endpoint_url("ws://127.0.0.1:9000", allow_private=True, resolve=failing_resolver)
    with pytest.raises(UnsafeEndpoint):
        check_endpoint_url("ftp://localhost/", allow_private=True, resolve=failing_resolver)
