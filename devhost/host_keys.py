"""The devhost's host keys, checked as the Functions host checks them.

- ``/admin/*`` needs the master key (the host's ``AdminAuthLevel``); ``/admin/host/ping`` stays open,
  as on the host, so that a health probe needs no secret.
- The Durable HTTP API (``/runtime/webhooks/durabletask/*``) needs the ``durabletask_extension``
  system key or the master key (an extension webhook's ``System`` level). The URLs the durable
  client binding hands the app (``managementUrls``, ``creationUrls``, so ``create_check_status_response``)
  carry the system key as ``code``, as the host's do.
- The Event Grid trigger's webhook (``/runtime/webhooks/eventgrid``) needs the ``eventgrid_extension``
  system key or the master key, as on the host (``devhost/bindings/event_grid.py``).
- A key travels as the ``x-functions-key`` header or the ``code`` query parameter (the header wins, as
  in the host). devhost also reads it as the password of HTTP Basic auth: the Python SDK appends paths
  and its own query to ``rpcBaseUrl``, so a key can ride only in that URL's userinfo, which aiohttp
  sends as Basic auth. (The host serves ``rpcBaseUrl`` on a separate loopback-only port without keys;
  devhost serves it on the app's port, which tools may reach in local mode, so it needs the key too.)
- No key or a wrong one: 401 with an empty body, before the handler runs.

The keys are made on the first start and kept in ``DATADIR/host-keys.json`` (mode 0600), in the shape
of the host's ``secrets/host.json``, so status URLs handed out before a restart keep working.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

KEYS_FILE = "host-keys.json"
DURABLE_SYSTEM_KEY = "durabletask_extension"
# The Event Grid trigger's webhook (/runtime/webhooks/eventgrid) takes this system key or the master key.
EVENTGRID_SYSTEM_KEY = "eventgrid_extension"
KEY_HEADER = "x-functions-key"
KEY_QUERY = "code"
# The user name devhost puts in rpcBaseUrl's userinfo; only the password (the key) is checked.
RPC_USER = "devhost"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class HostKeysError(RuntimeError):
    pass


@dataclass(frozen=True)
class HostKeys:
    master: str
    durable: str  # the durabletask_extension system key
    eventgrid: str = ""  # the eventgrid_extension system key (made on first start, or added to older files)

    @classmethod
    def load_or_create(cls, data_dir: Path) -> HostKeys:
        path = data_dir / KEYS_FILE
        if path.exists():
            return cls._read(path)
        keys = cls(master=_new_key(), durable=_new_key(), eventgrid=_new_key())
        keys._write(path)
        return keys

    @classmethod
    def _read(cls, path: Path) -> HostKeys:
        try:
            stored = json.loads(path.read_text())
            master = stored["masterKey"]["value"]
            system = {key["name"]: key["value"] for key in stored.get("systemKeys", [])}
            durable = system[DURABLE_SYSTEM_KEY]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise HostKeysError(
                f"{path} is not a host keys file ({error!r}): fix it, or delete it to make new keys "
                "(status URLs handed out before stop working)."
            ) from error
        if not (isinstance(master, str) and master and isinstance(durable, str) and durable):
            raise HostKeysError(f"{path} holds an empty key: delete it to make new keys.")
        eventgrid = system.get(EVENTGRID_SYSTEM_KEY)
        if isinstance(eventgrid, str) and eventgrid:
            return cls(master=master, durable=durable, eventgrid=eventgrid)
        keys = cls(master=master, durable=durable, eventgrid=_new_key())  # a file from before the key
        keys._write(path)
        return keys

    def _write(self, path: Path) -> None:
        document = {
            "masterKey": {"name": "master", "value": self.master, "encrypted": False},
            "functionKeys": [],
            "systemKeys": [
                {"name": DURABLE_SYSTEM_KEY, "value": self.durable, "encrypted": False},
                {"name": EVENTGRID_SYSTEM_KEY, "value": self.eventgrid, "encrypted": False},
            ],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under a temporary name with 0600 from the start, then renamed: never readable
        # by others, never half-written.
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(document, handle, indent=2)
        os.replace(temporary, path)

    def opens_admin(self, presented: str | None) -> bool:
        return _same(presented, self.master)

    def opens_durable(self, presented: str | None) -> bool:
        return _same(presented, self.durable) or _same(presented, self.master)

    def opens_eventgrid(self, presented: str | None) -> bool:
        return _same(presented, self.eventgrid) or _same(presented, self.master)

    def require_master(self, handler: Handler) -> Handler:
        return _guarded(self.opens_admin, handler)

    def require_durable(self, handler: Handler) -> Handler:
        return _guarded(self.opens_durable, handler)

    def require_eventgrid(self, handler: Handler) -> Handler:
        return _guarded(self.opens_eventgrid, handler)


def presented_key(request: web.Request) -> str | None:
    """The key a request carries: the header, else ``code``, else a Basic auth password."""
    header = request.headers.get(KEY_HEADER)
    if header:
        return header
    code = request.query.get(KEY_QUERY)
    if code:
        return code
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


def _guarded(opens: Callable[[str | None], bool], handler: Handler) -> Handler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        if not opens(presented_key(request)):
            return web.Response(status=401)  # as the host: no body
        return await handler(request)

    return guarded


def _same(presented: str | None, expected: str) -> bool:
    return presented is not None and hmac.compare_digest(presented.encode(), expected.encode())


def _new_key() -> str:
    # URL-safe: it goes into query strings and rpcBaseUrl's userinfo unescaped. 320 bits.
    return secrets.token_urlsafe(40)
