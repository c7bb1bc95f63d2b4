"""Connections to tool endpoints that go where the address rule allowed, and nowhere else.

Each attempt checks the URL again with ``check_url`` (DNS answers can change after a function was
saved) and then connects to the very addresses that check approved: the host is not resolved a second
time, so a DNS answer that changes between the check and the connection (DNS rebinding) cannot lead a
call into the platform's network, nor (private targets allowed, in local development) into the app's
own host. TLS still verifies the certificate against the URL's host name.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from shared.functions.addresses import DEFAULT_PORTS, HostPort, Resolver, check_url

SocketFactory = Callable[..., socket.socket]
__all__ = ["DEFAULT_PORTS", "SocketFactory", "Target", "checked_target", "open_socket", "request_headers"]


@dataclass(frozen=True)
class Target:
    """Where one attempt connects: the URL's host and port, and the approved addresses (None: resolve
    the host normally; ``checked_target`` always pins them)."""

    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...] | None


def checked_target(
    url: str,
    *,
    allow_private: bool,
    named_hosts: Collection[HostPort] = (),
    own_host: HostPort | None = None,
    resolve: Resolver = socket.getaddrinfo,
) -> Target:
    """Check ``url`` (raises ``UnsafeEndpoint``) and say where to connect: the addresses checked."""
    checked = check_url(
        url, allow_private=allow_private, named_hosts=named_hosts, own_host=own_host, resolve=resolve
    )
    return Target(checked.scheme, checked.host, checked.port, tuple(str(a) for a in checked.addresses))


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
