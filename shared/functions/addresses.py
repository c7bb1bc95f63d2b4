"""Where the platform may call out (tool endpoints, knowledge downloads): never into its own network.

A URL whose host is, or resolves to, a loopback, private, link-local, unspecified, multicast, reserved
or cloud-metadata address is refused (every resolved address is checked: one bad answer is enough),
unless private targets are allowed: for tools in local development (``allow_private``), for knowledge
downloads only on the hosts a setting names (``named_hosts``). Two rules hold whatever is allowed:
cloud-metadata addresses are never a target, and neither is the app's own host (``own_host``, as
``WEBSITE_HOSTNAME`` gives it: the durable-task webhooks and admin routes live there). Locally the app
is ``localhost:PORT``, so any non-public address on its port counts as the app itself (127.0.0.2,
[::1], 0.0.0.0 and the machine's own addresses all reach it). The caller should check again right
before each call and connect to the addresses checked (``shared.tools.connections``): DNS answers can
change after the URL was saved.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., Sequence[tuple[Any, ...]]]
HostPort = tuple[str, int | None]  # a host (lower case, no brackets) and its port (None: any port)

ALLOWED_SCHEMES = ("http", "https", "ws", "wss")
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

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


class UnresolvedHost(UnsafeEndpoint):
    """The URL's host has no usable DNS answer."""


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


def parse_host_port(text: str) -> HostPort:
    """``host``, ``host:port``, ``[v6]`` or ``[v6]:port`` as a ``HostPort``; ``ValueError`` if it is
    none of them."""
    try:
        parts = urlsplit("//" + text.strip())
        port = parts.port
    except ValueError as error:
        raise ValueError(f"{text!r} is not a host[:port] ({error})") from None
    if not parts.hostname or parts.path or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(f"{text!r} is not a host[:port]")
    return parts.hostname.lower(), port


@dataclass(frozen=True)
class CheckedUrl:
    """A URL the rule approved: where to connect (``addresses``: every answer checked, in order)."""

    scheme: str
    host: str
    port: int
    addresses: tuple[IPAddress, ...]


def _matches(host: str, port: int, entry: HostPort) -> bool:
    return host == entry[0] and entry[1] in (None, port)


def _own_host_hit(host: str, port: int, addresses: Sequence[IPAddress], own_host: HostPort | None) -> bool:
    if own_host is None:
        return False
    if _matches(host, port, own_host):
        return True
    # A local app (its host has a port, as localhost:7071) answers on every local address of that port.
    return own_host[1] == port and any(forbidden_reason(a) for a in addresses)


def check_url(
    url: str,
    *,
    allow_private: bool = False,
    named_hosts: Collection[HostPort] = (),
    own_host: HostPort | None = None,
    resolve: Resolver = socket.getaddrinfo,
) -> CheckedUrl:
    """The addresses ``url`` may be reached at, or ``UnsafeEndpoint`` saying why it may not be called:
    an http/https/ws/wss URL whose addresses are all public, or non-public ones with ``allow_private``
    or a host in ``named_hosts``; never a cloud-metadata address, never ``own_host``."""
    try:
        parts = urlsplit(url.strip())
        explicit_port = parts.port
    except ValueError as error:
        raise UnsafeEndpoint(f"is not a valid URL ({error})") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeEndpoint(f"must use one of the schemes {', '.join(ALLOWED_SCHEMES)}")
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeEndpoint("has no host")
    port = explicit_port or DEFAULT_PORTS[scheme]
    if _own_host_hit(host, port, (), own_host):
        raise UnsafeEndpoint("points to the app's own host")
    private_allowed = allow_private or any(_matches(host, port, entry) for entry in named_hosts)
    addresses = tuple(dict.fromkeys(resolved_addresses(host, port, resolve)))  # each once, in order
    if _own_host_hit(host, port, addresses, own_host):
        raise UnsafeEndpoint("points to the app's own host")
    for address in addresses:
        reason = forbidden_reason(address)
        if reason and (not private_allowed or "metadata" in reason):
            raise UnsafeEndpoint(f"points to a non-public address: {reason}")
    return CheckedUrl(scheme, host, port, addresses)


def check_endpoint_url(
    url: str,
    *,
    allow_private: bool = False,
    own_host: HostPort | None = None,
    resolve: Resolver = socket.getaddrinfo,
) -> None:
    """Raise ``UnsafeEndpoint`` unless ``url`` may be called (``check_url``). With ``allow_private`` a
    host that does not resolve yet passes (local development: the server may not run yet); the call
    itself checks again."""
    try:
        check_url(url, allow_private=allow_private, own_host=own_host, resolve=resolve)
    except UnresolvedHost:
        if not allow_private:
            raise


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
        raise UnresolvedHost(f"host {host!r} cannot be resolved") from None
    addresses: list[IPAddress] = []
    for answer in answers:
        sockaddr = answer[4]
        try:
            addresses.append(ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0]))
        except ValueError:
            raise UnsafeEndpoint(f"host {host!r} resolves to an unusable address") from None
    if not addresses:
        raise UnresolvedHost(f"host {host!r} cannot be resolved")
    return addresses
