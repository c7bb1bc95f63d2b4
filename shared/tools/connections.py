"""Connections to tool endpoints that go where the address rule allowed, and nowhere else.

Each attempt checks the URL again with ``check_endpoint_url`` (DNS answers can change after a function
was saved) and then connects to the very addresses that check approved: the host is not resolved a
second time, so a DNS answer that changes between the check and the connection (DNS rebinding) cannot
lead a call into the platform's network. TLS still verifies the certificate against the URL's host name.
With private targets allowed (local development), the host is resolved and connected to normally.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from shared.functions.addresses import Resolver, UnsafeEndpoint, check_endpoint_url

SocketFactory = Callable[..., socket.socket]
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


@dataclass(frozen=True)
class Target:
    """Where one attempt connects: the URL's host and port, and the approved addresses (None: resolve
    the host normally, private targets being allowed)."""

    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...] | None


def checked_target(url: str, *, allow_private: bool, resolve: Resolver = socket.getaddrinfo) -> Target:
    """Check ``url`` (raises ``UnsafeEndpoint``) and say where to connect: the addresses checked."""
    answers: list[tuple[Any, ...]] = []

    def recording_resolve(*args: Any, **kwargs: Any) -> Sequence[tuple[Any, ...]]:
        found = resolve(*args, **kwargs)
        answers.extend(found)
        return found

    check_endpoint_url(url, allow_private=allow_private, resolve=recording_resolve)
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    port = parts.port or DEFAULT_PORTS[scheme]
    if allow_private:
        return Target(scheme, host, port, None)
    if not answers:  # an IP literal: the check looked at the literal itself
        return Target(scheme, host, port, (host.split("%", 1)[0],))
    addresses: list[str] = []
    for answer in answers:
        address = str(answer[4][0]).split("%", 1)[0]
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeEndpoint(f"host {host!r} cannot be resolved")
    return Target(scheme, host, port, tuple(addresses))


def open_socket(
    target: Target, timeout: float, create_connection: SocketFactory = socket.create_connection
) -> socket.socket:
    """A TCP connection to ``target``: its first approved address that answers (within ``timeout``)."""
    if target.addresses is None:
        return create_connection((target.host, target.port), timeout)
    last_error: OSError | None = None
    for address in target.addresses:
        try:
            return create_connection((address, target.port), timeout)
        except OSError as error:
            last_error = error
    assert last_error is not None  # addresses is never empty
    raise last_error


def request_headers(
    custom: Mapping[str, str] | None, signed: Mapping[str, str], reserved: frozenset[str]
) -> dict[str, str]:
    """The function's own headers, minus those the transport owns (``reserved``, compared without case)
    and any the customer set for the signature, then the signature headers."""
    owned = reserved | {name.lower() for name in signed}
    headers = {name: value for name, value in (custom or {}).items() if name.lower() not in owned}
    headers.update(signed)
    return headers
