"""Checks of the Azure Web PubSub CloudEvents event handler protocol."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit


def _fields(connection_string: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in connection_string.split(";") if "=" in part)


def access_keys(connection_string: str) -> list[str]:
    """The AccessKey of a Web PubSub connection string (``Endpoint=...;AccessKey=...;Version=1.0;``)."""
    key = _fields(connection_string).get("AccessKey")
    return [key] if key else []


def service_host(connection_string: str) -> str | None:
    """The service's host name (the connection string's ``Endpoint``): what the abuse-protection
    handshake's ``WebHook-Request-Origin`` carries (``<name>.webpubsub.azure.com``)."""
    host = urlsplit(_fields(connection_string).get("Endpoint", "").strip()).hostname
    return host.lower() if host else None


def origin_is_allowed(origin: str | None, connection_string: str) -> bool:
    """Only the configured service may validate this handler (an echo of any origin let any
    CloudEvents sender register it)."""
    host = service_host(connection_string)
    return origin is not None and host is not None and origin.strip().lower() == host


def signature_is_valid(header: str, connection_id: str, keys: list[str]) -> bool:
    """``ce-signature`` holds ``sha256=<hex>`` values (one per access key, comma separated); any one
    matching HMAC-SHA256(key, connectionId) is enough (keys rotate)."""
    offered = {value.strip() for value in header.split(",") if value.strip()}
    for key in keys:
        expected = "sha256=" + hmac.new(key.encode(), connection_id.encode(), hashlib.sha256).hexdigest()
        if any(hmac.compare_digest(expected, value) for value in offered):
            return True
    return False
