"""Signatures of explicit tool calls: how the platform signs, and how a tool endpoint verifies.

Every explicit call (an HTTP POST, or the handshake of a WebSocket tool) carries two headers:

- ``x-omniagent-timestamp``: unix time in seconds when the call was signed, e.g. ``1700000000``;
- ``x-omniagent-signature``: ``sha256=<hex HMAC-SHA256(signingSecret, timestamp + "." + body)>``, where
  ``body`` is the exact bytes of the request body (HTTP) or of the request frame (WebSocket).

A tool endpoint should check both before acting: recompute the HMAC over the raw body bytes as received
(never over re-serialised JSON), compare in constant time, and refuse timestamps more than a few minutes
away from its own clock (a captured request cannot be replayed later). ``verify`` below is standard
library only: copy it into your server as it is::

    import hashlib, hmac, time

    def verify(secret, timestamp, body, signature, now, tolerance_seconds=300):
        try:
            sent_at = int(timestamp)
        except (TypeError, ValueError):
            return False
        if abs(now - sent_at) > tolerance_seconds:
            return False
        mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
        expected = "sha256=" + mac.hexdigest()
        return hmac.compare_digest(expected.encode(), signature.encode())

    # In a request handler (any framework): the raw body, the two headers, the current time.
    ok = verify(SIGNING_SECRET, request.headers["x-omniagent-timestamp"], raw_body,
                request.headers["x-omniagent-signature"], time.time())
    # Not ok: answer 401 and do nothing. The platform does not retry a 4xx answer.

Retries of one call carry the same body (same ``callId``) with a fresh timestamp and signature: use
``callId`` to recognise a call you have already run.
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "x-omniagent-timestamp"
SIGNATURE_HEADER = "x-omniagent-signature"
DEFAULT_TOLERANCE_SECONDS = 300
_PREFIX = "sha256="


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The value of ``x-omniagent-signature``: ``sha256=<hex HMAC-SHA256(secret, timestamp + "." +
    body)>``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return _PREFIX + mac.hexdigest()


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    now: float,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """True when ``signature`` is ``sign(secret, timestamp, body)`` and ``timestamp`` (unix seconds) is
    within ``tolerance_seconds`` of ``now`` (either way). Constant-time comparison."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now - sent_at) > tolerance_seconds:
        return False
    expected = sign(secret, timestamp, body)
    return hmac.compare_digest(expected.encode(), signature.encode())


def signature_headers(secret: str | None, timestamp: str, body: bytes) -> dict[str, str]:
    """The headers that sign ``body``: the timestamp always, the signature when there is a secret."""
    headers = {TIMESTAMP_HEADER: timestamp}
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, timestamp, body)
    return headers
