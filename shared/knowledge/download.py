"""Fetching a document from the URL a customer gave (``POST …/files`` with ``{url}``).

The address rule of tool endpoints applies (``shared.functions.addresses``) but stricter: https or
http only, and no private, loopback or link-local target in any mode (local too: the devhost's own
webhooks and other tenants' data live on loopback) unless ``OMNI_KNOWLEDGE_ALLOWED_HOSTS`` names the
URL's host[:port]; never a cloud-metadata address or the app's own host, named or not. The connection
goes to the very addresses that were checked (``shared.tools.connections``: no DNS rebinding).
Redirects are refused rather than followed, so no hop past the checked address is ever fetched; the
error names the address to give instead.

``download`` raises ``DownloadFailed`` for what retrying cannot fix (the file is missing, too large,
refused) and ``DownloadUnavailable`` for what may pass (timeouts, 5xx, 429): ingestion retries those.
"""

from __future__ import annotations

import http.client
import socket
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from shared.functions.addresses import HostPort, Resolver, UnsafeEndpoint
from shared.knowledge.extraction.errors import DocumentError, DocumentTooLarge
from shared.knowledge.extraction.formats import MAX_DOCUMENT_BYTES
from shared.tools.connections import Target, checked_target
from shared.tools.http_tool import StdlibHttpClient

DOWNLOAD_TIMEOUT_SECONDS = 60.0
USER_AGENT = "Omniagent-Knowledge/1"


class DownloadFailed(DocumentError):
    """The URL cannot give the document (refused address, missing file, redirect, no access)."""

    code = "DownloadFailed"


class DownloadUnavailable(Exception):
    """The server could not answer now (timeout, 5xx, 429): worth another attempt later."""


@dataclass(frozen=True)
class Downloaded:
    data: bytes
    content_type: str | None
    filename: str


@dataclass(frozen=True)
class DownloadRule:
    """Which non-public hosts a download may reach (``named_hosts``) and which host never
    (``own_host``, the app itself)."""

    named_hosts: frozenset[HostPort] = frozenset()
    own_host: HostPort | None = None
    resolve: Resolver = field(default=socket.getaddrinfo, compare=False)

    @classmethod
    def of(cls, named_hosts: Collection[HostPort], own_host: HostPort | None) -> DownloadRule:
        return cls(frozenset(named_hosts), own_host)

    def target(self, url: str) -> Target:
        """Where to fetch ``url`` from; ``UnsafeEndpoint`` (with the reason) when it may not be."""
        return checked_target(
            url,
            allow_private=False,
            named_hosts=self.named_hosts,
            own_host=self.own_host,
            resolve=self.resolve,
        )


def check_download_url(url: str, rule: DownloadRule) -> None:
    """Raises ``UnsafeEndpoint`` (with the reason) when the URL may not be fetched."""
    rule.target(url)


def filename_of(url: str) -> str:
    """The URL's last path segment (``document`` when it has none)."""
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    return name[:255] or "document"


def download(
    url: str,
    rule: DownloadRule,
    *,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    timeout: float = DOWNLOAD_TIMEOUT_SECONDS,
    client: StdlibHttpClient | None = None,
) -> Downloaded:
    try:
        target = rule.target(url)
    except UnsafeEndpoint as refused:
        raise DownloadFailed(f"The URL cannot be fetched: {refused}.") from None
    parts = urlsplit(url.strip())
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    fetcher = client or StdlibHttpClient(max_answer_bytes=max_bytes)
    try:
        answer = fetcher.send("GET", target, path, None, {"User-Agent": USER_AGENT, "Accept": "*/*"}, timeout)
    except (TimeoutError, OSError, http.client.HTTPException) as error:
        raise DownloadUnavailable(f"The URL did not answer: {error or type(error).__name__}.") from None
    if 300 <= answer.status < 400:
        location = answer.headers.get("location", "")
        raise DownloadFailed(
            f"The URL redirects (HTTP {answer.status}) to {location!r}; redirects are not followed, "
            "give the final address."
        )
    if answer.status == 429 or answer.status >= 500:
        raise DownloadUnavailable(f"The URL answered HTTP {answer.status}.")
    if answer.status != 200:
        raise DownloadFailed(
            f"The URL answered HTTP {answer.status}; it must be publicly readable without credentials."
        )
    if answer.truncated:
        raise DocumentTooLarge(
            f"The file at the URL is larger than {max_bytes} bytes ({max_bytes // (1024 * 1024)} MB).",
            size=max_bytes + 1,
            limit=max_bytes,
        )
    return Downloaded(answer.body, answer.headers.get("content-type"), filename_of(url))
