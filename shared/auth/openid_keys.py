"""An OpenID Connect issuer's signing keys: its configuration document (read again every hour) and
the keys at its ``jwks_uri`` (cached by PyJWT's ``PyJWKClient``, refreshed when a token names an
unknown ``kid``). Shared by the ``/manage`` bearer tokens and the Marketplace webhook's tokens."""

from __future__ import annotations

import json
import ssl
import threading
import time
import urllib.request
from typing import Any

import jwt

CACHE_SECONDS = 3600


class OpenIdSigningKeys:
    def __init__(
        self,
        configuration_url: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self._url = configuration_url
        self._ssl_context = ssl_context
        self._cache_seconds = cache_seconds
        self._configuration: dict[str, Any] | None = None
        self._jwks: jwt.PyJWKClient | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def configuration(self) -> dict[str, Any]:
        """The issuer's OpenID configuration (``issuer``, ``jwks_uri``...). Raises ``OSError`` or
        ``ValueError`` when it cannot be read."""
        self._load()
        assert self._configuration is not None
        return self._configuration

    def signing_key(self, token: str) -> jwt.PyJWK:
        """The key that signed ``token`` (by its ``kid``). Raises ``jwt.PyJWKClientError``."""
        self._load()
        assert self._jwks is not None
        return self._jwks.get_signing_key_from_jwt(token)

    def _load(self) -> None:
        with self._lock:
            if self._jwks is not None and time.monotonic() - self._loaded_at <= self._cache_seconds:
                return
            with urllib.request.urlopen(self._url, timeout=10, context=self._ssl_context) as response:
                configuration = json.load(response)
            if not isinstance(configuration, dict) or not isinstance(configuration.get("jwks_uri"), str):
                raise ValueError("The OpenID configuration names no jwks_uri.")
            self._configuration = configuration
            self._jwks = jwt.PyJWKClient(
                configuration["jwks_uri"],
                cache_keys=True,
                lifespan=int(self._cache_seconds),
                ssl_context=self._ssl_context,
            )
            self._loaded_at = time.monotonic()
