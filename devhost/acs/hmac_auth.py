"""The check of Communication Services' HMAC request signature, as ``HMACCredentialsPolicy`` signs.

``x-ms-content-sha256`` = base64(SHA-256(body)), ``x-ms-date`` (RFC 1123), and ``Authorization:
HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<base64 HMAC-SHA256>`` of
``VERB\\n<path and query as sent>\\n<the signed headers' values joined by ';'>`` with the base64-decoded
access key. A date more than 15 minutes off is refused, as the service does.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

MAX_CLOCK_SKEW = timedelta(minutes=15)
_AUTHORIZATION = re.compile(r"^HMAC-SHA256\s+SignedHeaders=([^&\s]+)&Signature=(\S+)$", re.IGNORECASE)
_REQUIRED_SIGNED = ("x-ms-date", "host", "x-ms-content-sha256")


class SignatureError(Exception):
    """The request is not signed with the resource's key; the message says how it is wrong."""


def content_hash(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


def check_signature(
    method: str,
    path_and_query: str,
    headers: Mapping[str, str],
    body: bytes,
    access_key: str,
    now: datetime | None = None,
) -> None:
    """Raise ``SignatureError`` unless the request carries a valid signature; ``headers`` case-insensitive."""
    lowered = {name.lower(): value for name, value in headers.items()}
    match = _AUTHORIZATION.match(lowered.get("authorization", "").strip())
    if match is None:
        raise SignatureError("the Authorization header is not 'HMAC-SHA256 SignedHeaders=...&Signature=...'")
    signed_headers = [name.lower() for name in match.group(1).split(";")]
    if any(name not in signed_headers for name in _REQUIRED_SIGNED):
        raise SignatureError("SignedHeaders must name x-ms-date, host and x-ms-content-sha256")
    if lowered.get("x-ms-content-sha256") != content_hash(body):
        raise SignatureError("x-ms-content-sha256 differs from the hash of the body")
    try:
        sent_at = parsedate_to_datetime(lowered.get("x-ms-date", ""))
    except (TypeError, ValueError) as error:
        raise SignatureError("x-ms-date is missing or not an RFC 1123 date") from error
    if sent_at.tzinfo is None:
        sent_at = sent_at.replace(tzinfo=UTC)
    if abs((now or datetime.now(UTC)) - sent_at) > MAX_CLOCK_SKEW:
        raise SignatureError("x-ms-date is more than 15 minutes away from the service's clock")
    values = ";".join(lowered.get(name, "") for name in signed_headers)
    string_to_sign = f"{method.upper()}\n{path_and_query}\n{values}"
    try:
        secret = base64.b64decode(access_key)
    except (binascii.Error, ValueError) as error:
        raise SignatureError("the resource's access key is not base64") from error
    expected = base64.b64encode(hmac.new(secret, string_to_sign.encode(), hashlib.sha256).digest()).decode()
    if not hmac.compare_digest(expected, match.group(2)):
        raise SignatureError("the signature does not match the resource's access key")
