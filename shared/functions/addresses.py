"""Where an explicit function may call: never into the platform's own network.

A URL whose host is, or resolves to, a loopback, private, link-local, unspecified, multicast, reserved
or cloud-metadata address is refused (every resolved address is checked: one bad answer is enough),
unless private targets are allowed (local development only). The caller of a function endpoint should
check again right before each call: DNS answers can change after the function was saved.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., Sequence[tuple[Any, ...]]]

ALLOWED_SCHEMES = ("http", "https", "ws", "wss")

# Cloud metadata and host-agent endpoints (some are not in any "private" range).
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # Azure IMDS, AWS, GCP, OpenStack
        "168.63.129.16",  # Azure WireServer / host agent
        "169.254.170.2",  # AWS ECS task metadata
        "100.100.100.200",  # Alibaba Cloud
        "fd00:ec2::254",  # AWS IMDS over IPv6
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeEndpoint(ValueError):
    """The URL is not one a function may call; the message says why."""


def forbidden_reason(address: IPAddress) -> str | None:
    """Why calls to ``address`` are refused, or None if it is a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            reason = forbidden_reason(embedded)
            return f"{reason} (embedded in {address})" if reason else None
    if address in METADATA_ADDRESSES:
        return f"{address} is a cloud metadata address"
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("private", address.is_private),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
    )
    for name, hit in checks:
        if hit:
            return f"{address} is a {name} address"
    if not address.is_global:  # shared (CGNAT), documentation, benchmarking ranges...
        return f"{address} is not a public address"
    return None


def check_endpoint_url(
    url: str, *, allow_private: bool = False, resolve: Resolver = socket.getaddrinfo
) -> None:
    """Raise ``UnsafeEndpoint`` unless ``url`` is an http/https/ws/wss URL whose host resolves only to
    public addresses (with ``allow_private``, only the URL's form is checked)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise UnsafeEndpoint(f"is not a valid URL ({error})") from None
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise UnsafeEndpoint(f"must use one of the schemes {', '.join(ALLOWED_SCHEMES)}")
    host = parts.hostname
    if not host:
        raise UnsafeEndpoint("has no host")
    if allow_private:
        return
    for address in resolved_addresses(host, port, resolve):
        reason = forbidden_reason(address)
        if reason:
            raise UnsafeEndpoint(f"points to a non-public address: {reason}")


def resolved_addresses(
    host: str, port: int | None, resolve: Resolver = socket.getaddrinfo
) -> list[IPAddress]:
    """Every address ``host`` stands for: itself if it is an IP literal, else each DNS answer."""
    try:
        return [ipaddress.ip_address(host.split("%", 1)[0])]  # a literal (an IPv6 zone id is dropped)
    except ValueError:
        pass
    try:
        answers = resolve(host, port or 443, 0, socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeEndpoint(f"host {host!r} cannot be resolved") from None
    addresses: list[IPAddress] = []
    for answer in answers:
        sockaddr = answer[4]
        try:
            addresses.append(ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0]))
        except ValueError:
            raise UnsafeEndpoint(f"host {host!r} resolves to an unusable address") from None
    if not addresses:
        raise UnsafeEndpoint(f"host {host!r} cannot be resolved")
    return addresses
