"""The check of a Call Automation callback: the JWT ACS signs and sends as ``Authorization: Bearer``.

As published ("How to secure webhook endpoint"): RS256, signed with a key from the JSON Web Key Set
(``ACS_CALLBACK_JWKS_URL``, ACS's published keys by default), ``iss`` =
``https://acscallautomation.communication.azure.com``, ``aud`` = the ACS resource's id
(``ACS_CALLBACK_AUDIENCE``), valid for five minutes. Without an audience every callback is refused.
"""

from __future__ import annotations

from typing import Any

import jwt

from .settings import ACS_CALLBACK_ISSUER, AcsSettings

KEYS_CACHE_SECONDS = 3600
ALLOWED_ALGORITHMS = ["RS256"]
# Allowed difference between ACS's clock and ours when checking exp / nbf / iat.
CLOCK_SKEW_SECONDS = 30


class CallbackTokenError(Exception):
    """The callback is not from ACS (or not for this resource); the message says why."""


class CallbackTokenVerifier:
    def __init__(self, jwks_url: str, audience: str | None, issuer: str = ACS_CALLBACK_ISSUER) -> None:
        self.audience = audience
        self.issuer = issuer
        # Keys are cached; a token naming an unknown kid makes PyJWKClient read the set again.
        self._keys = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=KEYS_CACHE_SECONDS, timeout=10)

    @classmethod
    def from_settings(cls, settings: AcsSettings) -> CallbackTokenVerifier:
        return cls(settings.callback_jwks_url, settings.callback_audience)

    def verify(self, authorization: str | None) -> dict[str, Any]:
        """The token's claims when ``authorization`` (the header's value) is a valid ACS callback token."""
        if not self.audience:
            raise CallbackTokenError("ACS_CALLBACK_AUDIENCE is not set, so no callback can be trusted.")
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise CallbackTokenError("The callback carries no bearer token.")
        try:
            key = self._keys.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientError as error:
            raise CallbackTokenError(f"The token's signing key is not ACS's: {error}") from error
        except jwt.InvalidTokenError as error:
            raise CallbackTokenError(f"The token cannot be read: {error}") from error
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=ALLOWED_ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud"]},
                leeway=CLOCK_SKEW_SECONDS,
            )
        except jwt.InvalidTokenError as error:
            raise CallbackTokenError(f"The token is not valid: {error}") from error
        return claims
