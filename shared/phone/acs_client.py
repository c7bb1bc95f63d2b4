"""The Call Automation client, built from ``ACS_CONNECTION_STRING``.

Not with the SDK's ``CallAutomationClient.from_connection_string``: it keeps only the host of the
endpoint and puts ``https://`` in front, so an ``http://`` endpoint (the devhost's stand-in) would be
called over TLS. Here the endpoint keeps its scheme and the client is built from endpoint and key.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from azure.communication.callautomation import CallAutomationClient
from azure.core.credentials import AzureKeyCredential

from shared.http_transport import sdk_transport_options


class AcsConnectionStringError(ValueError):
    """The connection string cannot be used; the message says what is wrong (never the key)."""


@dataclass(frozen=True)
class AcsConnection:
    endpoint: str  # scheme and host (and port), no trailing slash: what the HMAC signature names
    access_key: str = field(repr=False)

    @property
    def credential(self) -> AzureKeyCredential:
        return AzureKeyCredential(self.access_key)


def parse_connection_string(value: str) -> AcsConnection:
    """``endpoint=...;accesskey=...`` (names in any case, in any order) into endpoint and key."""
    fields: dict[str, str] = {}
    for segment in value.split(";"):
        segment = segment.strip()
        if not segment:
            continue
        name, separator, field_value = segment.partition("=")
        if not separator:
            raise AcsConnectionStringError(
                "ACS_CONNECTION_STRING has a part without '=': expected endpoint=https://...;accesskey=..."
            )
        fields.setdefault(name.strip().lower(), field_value.strip())
    endpoint = fields.get("endpoint", "").rstrip("/")
    access_key = fields.get("accesskey", "")
    if not endpoint or not access_key:
        raise AcsConnectionStringError(
            "ACS_CONNECTION_STRING needs endpoint and accesskey: endpoint=https://<resource>"
            ".communication.azure.com/;accesskey=<key>"
        )
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AcsConnectionStringError(
            "ACS_CONNECTION_STRING's endpoint must be an http:// or https:// URL with a host."
        )
    if parts.path or parts.query or parts.fragment:
        raise AcsConnectionStringError("ACS_CONNECTION_STRING's endpoint must have no path or query.")
    try:
        base64.b64decode(access_key, validate=True)  # the SDK signs with the decoded key
    except (binascii.Error, ValueError) as error:
        raise AcsConnectionStringError("ACS_CONNECTION_STRING's accesskey is not base64.") from error
    return AcsConnection(endpoint=endpoint, access_key=access_key)


def call_automation_client(connection_string: str) -> CallAutomationClient:
    connection = parse_connection_string(connection_string)
    return CallAutomationClient(connection.endpoint, connection.credential, **sdk_transport_options())
