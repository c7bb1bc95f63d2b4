"""Checks of the Azure Web PubSub CloudEvents event handler protocol."""

from __future__ import annotations

import hashlib
import hmac


def access_keys(connection_string: str) -> list[str]:
    """The AccessKey of a Web PubSub connection string (``Endpoint=...;AccessKey=...;Version=1.0;``)."""
    parts = dict(part.split("=", 1) for part in connection_string.split(";") if "=" in part)
    key = parts.get("AccessKey")
    return [key] if key else []


def signature_is_valid(header: str, connection_id: str, keys: list[str]) -> bool:
    """``ce-signature`` holds ``sha256=<hex>`` values (one per access key, comma separated); any one
    matching HMAC-SHA256(key, connectionId) is enough (keys rotate)."""
    offered = {value.strip() for value in header.split(",") if value.strip()}
    for key in keys:
        expected = "sha256=" + hmac.new(key.encode(), connection_id.encode(), hashlib.sha256).hexdigest()
        if any(hmac.compare_digest(expected, value) for value in offered):
            return True
    return False
