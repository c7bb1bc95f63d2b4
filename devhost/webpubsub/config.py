"""Where the Web PubSub stand-in gets its settings: the app's connection string, hub and handler path.

``WEBPUBSUB_CONNECTION_STRING`` unset, or set to ``devhost``, means "devhost plays the service": the
variable is replaced (before the app is imported) by ``Endpoint=http://127.0.0.1:<port>;AccessKey=...;
Version=1.0;`` with a key generated once and kept in the data directory, so restarts keep it. A
connection string whose endpoint is this devhost (loopback, same port) is served with its own key; any
other endpoint is a real service and devhost serves nothing.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .. import connection_strings
from ..connection_strings import ConnectionStringError

CONNECTION_STRING_SETTING = "WEBPUBSUB_CONNECTION_STRING"
HUB_SETTING = "WEBPUBSUB_HUB"
HANDLER_PATH_SETTING = "WEBPUBSUB_EVENT_HANDLER_PATH"
DEVHOST_MARKER = "devhost"
DEFAULT_HUB = "omniagent"
DEFAULT_HANDLER_PATH = "/runtime/webpubsub/{hub}"
KEY_FILE_NAME = "webpubsub-access-key"
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

log = logging.getLogger("devhost.webpubsub")


def parse_connection_string(value: str) -> dict[str, str]:
    """``Key=Value;`` pairs, keys lower-cased, as the SDK's ``from_connection_string`` reads them."""
    return connection_strings.parse_connection_string(value, "Web PubSub", ("endpoint", "accesskey"))


def key_file(data_dir: Path) -> Path:
    return data_dir / KEY_FILE_NAME


def local_access_key(data_dir: Path) -> str:
    """The stand-in's AccessKey: made on first use, then read from the data directory."""
    path = key_file(data_dir)
    if path.exists():
        existing = path.read_text().strip()
        if existing:
            return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key + "\n")
    return key


def ensure_connection_string(environ: MutableMapping[str, str], data_dir: Path, port: int) -> None:
    """Point ``WEBPUBSUB_CONNECTION_STRING`` at this devhost when it is unset or ``devhost``."""
    current = environ.get(CONNECTION_STRING_SETTING, "").strip()
    if current and current.lower() != DEVHOST_MARKER:
        return
    key = local_access_key(data_dir)
    environ[CONNECTION_STRING_SETTING] = f"Endpoint=http://127.0.0.1:{port};AccessKey={key};Version=1.0;"


@dataclass(frozen=True)
class StandInConfig:
    endpoint: str  # as the connection string says, without a trailing slash
    access_key: str
    hub: str  # the app's hub (WEBPUBSUB_HUB); every hub is served, this one is printed
    handler_template: str  # "" means no event handler: connections are accepted, no events sent

    @property
    def origin(self) -> str:
        """What ``WebHook-Request-Origin`` carries: the service's host name, as Azure sends it."""
        return urlsplit(self.endpoint).hostname or "127.0.0.1"

    @classmethod
    def from_environment(cls, environ: MutableMapping[str, str], port: int) -> StandInConfig | None:
        """The stand-in's settings when the app's connection string points at this devhost, else None."""
        value = environ.get(CONNECTION_STRING_SETTING, "").strip()
        if not value or value.lower() == DEVHOST_MARKER:
            return None
        try:
            fields = parse_connection_string(value)
        except ConnectionStringError as error:
            log.warning("Web PubSub stand-in off: %s: %s", CONNECTION_STRING_SETTING, error)
            return None
        endpoint = fields["endpoint"].rstrip("/")
        parts = urlsplit(endpoint)
        if fields.get("port"):
            endpoint = f"{endpoint}:{fields['port']}"
            parts = urlsplit(endpoint)
        if parts.scheme != "http" or parts.hostname not in _LOOPBACK_HOSTS or parts.port != port:
            return None
        return cls(
            endpoint=endpoint,
            access_key=fields["accesskey"],
            hub=environ.get(HUB_SETTING, "").strip() or DEFAULT_HUB,
            handler_template=environ.get(HANDLER_PATH_SETTING, DEFAULT_HANDLER_PATH).strip(),
        )
