"""Fetching a document from the URL a customer gave (``POST …/files`` with ``{url}``).

The address rules of tool endpoints apply (``shared.functions.addresses``): https or http only, no
private, loopback or link-local targets outside local mode, and the connection goes to the very
addresses that were checked (``shared.tools.connections``). Redirects are refused rather than followed
(a redirect could lead to a forbidden address); the error names the address to give instead.

``download`` raises ``DownloadFailed`` for what retrying cannot fix (the file is missing, too large,
refused) and ``DownloadUnavailable`` for what may pass (timeouts, 5xx, 429): ingestion retries those.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from shared.functions.addresses import UnsafeEndpoint
from shared.knowledge.extraction import MAX_DOCUMENT_BYTES, DocumentError, DocumentTooLarge
from shared.tools.connections import checked_target
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


def check_download_url(url: str, *, allow_private: bool) -> None:
    """Raises ``UnsafeEndpoint`` (with the reason) when the URL may not be fetched."""
    checked_target(url, allow_private=allow_private)


def filename_of(url: str) -> str:
    """The URL's last path segment (``document`` when it has none)."""
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    return name[:255] or "document"


def download(
    url: str,
    *,
    allow_private: bool,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    timeout: float = DOWNLOAD_TIMEOUT_SECONDS,
    client: StdlibHttpClient | None = None,
) -> Downloaded:
    try:
        target = checked_target(url, allow_private=allow_private)
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
