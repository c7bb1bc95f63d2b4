"""Where the ACS stand-in gets its settings, and the identity it keeps in the data directory.

``ACS_CONNECTION_STRING`` unset, or ``devhost``, means "devhost plays Azure Communication Services":
before the app is imported it becomes ``endpoint=http://127.0.0.1:<port>/;accesskey=<base64 key>``,
and ``ACS_CALLBACK_JWKS_URL`` / ``ACS_CALLBACK_AUDIENCE`` (when unset) point at the stand-in's own
callback keys and resource id. Key, resource id and RSA signing key are made once and kept in
``DATADIR/acs-stand-in.json`` (0600), so restarts keep them. A connection string whose endpoint is this
devhost (loopback, same port) is served with its key; any other endpoint is a real ACS and devhost
serves nothing. ``DEVHOST_ACS_INCOMING_CALL_URL`` is where ``IncomingCall`` events are delivered (as an
Event Grid subscription would): a path on this host or an absolute URL.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import uuid
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ..connection_strings import ConnectionStringError, parse_connection_string

CONNECTION_STRING_SETTING = "ACS_CONNECTION_STRING"
JWKS_URL_SETTING = "ACS_CALLBACK_JWKS_URL"
AUDIENCE_SETTING = "ACS_CALLBACK_AUDIENCE"
INCOMING_CALL_URL_SETTING = "DEVHOST_ACS_INCOMING_CALL_URL"
DEFAULT_INCOMING_CALL_URL = "/runtime/webhooks/eventgrid?functionName=acs_incoming_call"
DEVHOST_MARKER = "devhost"
STATE_FILE_NAME = "acs-stand-in.json"
KEYS_PATH = "/calling/keys"
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

log = logging.getLogger("devhost.acs")


@dataclass(frozen=True)
class StandInIdentity:
    access_key: str = field(repr=False)  # base64, as ACS's keys: the SDK signs with the decoded bytes
    resource_id: str  # the "immutable resource id": the audience of callback tokens
    signing_key_pem: str = field(repr=False)  # RSA private key (PKCS#8 PEM) that signs callback tokens


def _new_identity() -> StandInIdentity:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return StandInIdentity(
        access_key=base64.b64encode(secrets.token_bytes(64)).decode(),
        resource_id=str(uuid.uuid4()),
        signing_key_pem=pem,
    )


def local_identity(data_dir: Path) -> StandInIdentity:
    """The stand-in's key, resource id and signing key: made on first use, then read back."""
    path = data_dir / STATE_FILE_NAME
    if path.exists():
        try:
            stored = json.loads(path.read_text())
            return StandInIdentity(stored["accessKey"], stored["resourceId"], stored["signingKeyPem"])
        except (ValueError, KeyError, TypeError):
            log.warning("ACS stand-in: %s is unreadable; a new identity is made", path)
    identity = _new_identity()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(
            {
                "accessKey": identity.access_key,
                "resourceId": identity.resource_id,
                "signingKeyPem": identity.signing_key_pem,
            },
            handle,
        )
    return identity


def ensure_settings(environ: MutableMapping[str, str], data_dir: Path, port: int) -> None:
    """Point the app's ACS settings at this devhost when ``ACS_CONNECTION_STRING`` is unset or ``devhost``."""
    current = environ.get(CONNECTION_STRING_SETTING, "").strip()
    if current and current.lower() != DEVHOST_MARKER:
        return
    identity = local_identity(data_dir)
    environ[CONNECTION_STRING_SETTING] = f"endpoint=http://127.0.0.1:{port}/;accesskey={identity.access_key}"
    if not environ.get(JWKS_URL_SETTING, "").strip():
        environ[JWKS_URL_SETTING] = f"http://127.0.0.1:{port}{KEYS_PATH}"
    if not environ.get(AUDIENCE_SETTING, "").strip():
        environ[AUDIENCE_SETTING] = identity.resource_id


@dataclass(frozen=True)
class AcsStandInConfig:
    endpoint: str  # as the connection string says, without a trailing slash
    access_key: str = field(repr=False)
    resource_id: str = ""
    signing_key_pem: str = field(default="", repr=False)
    incoming_call_url: str = DEFAULT_INCOMING_CALL_URL  # "" means IncomingCall events go nowhere

    @classmethod
    def from_environment(
        cls, environ: MutableMapping[str, str], port: int, data_dir: Path
    ) -> AcsStandInConfig | None:
        """The stand-in's settings when the app's connection string points at this devhost, else None."""
        value = environ.get(CONNECTION_STRING_SETTING, "").strip()
        if not value or value.lower() == DEVHOST_MARKER:
            return None
        try:
            fields = parse_connection_string(value, "Communication Services", ("endpoint", "accesskey"))
        except ConnectionStringError as error:
            log.warning("ACS stand-in off: %s: %s", CONNECTION_STRING_SETTING, error)
            return None
        endpoint = fields["endpoint"].rstrip("/")
        parts = urlsplit(endpoint)
        if parts.scheme != "http" or parts.hostname not in _LOOPBACK_HOSTS or parts.port != port:
            return None
        identity = local_identity(data_dir)
        return cls(
            endpoint=endpoint,
            access_key=fields["accesskey"],
            resource_id=identity.resource_id,
            signing_key_pem=identity.signing_key_pem,
            incoming_call_url=environ.get(INCOMING_CALL_URL_SETTING, DEFAULT_INCOMING_CALL_URL).strip(),
        )
