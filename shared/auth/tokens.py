"""Bearer tokens of ``/manage``: Entra ID (any OpenID Connect issuer) in Azure, local tokens locally.

In Azure the issuer, audience and signing keys come from the issuer's OpenID configuration (the keys
are fetched from its ``jwks_uri`` and cached). In local mode the devhost mints HS256 tokens with a key
made on first use (``python -m devhost token --user alice@example.com``); outside local mode such
tokens are refused, whatever they claim. Either way the user is named by issuer and subject
(``shared.auth.identity``), never by the email the token carries.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from shared.api_errors import unauthorized
from shared.auth.identity import attested_email, identity_of, local_subject, user_id_for
from shared.auth.local_keys import local_key
from shared.auth.openid_keys import OpenIdSigningKeys
from shared.auth.principals import UserPrincipal
from shared.settings import Settings

LOCAL_ISSUER = "urn:omniagent:devhost"
LOCAL_AUDIENCE = "urn:omniagent:manage"
LOCAL_TOKEN_LIFETIME = timedelta(hours=8)  # what the devhost mints
# The longest a local token may live (issue 16, defect 9): one whose `exp` lies further ahead than this
# from now, or from its own `iat`, is refused; a leaked local token stops working within a day.
LOCAL_TOKEN_MAX_LIFETIME = timedelta(hours=24)


class LocalModeOnly(PermissionError):
    pass


def local_signing_key(settings: Settings) -> bytes:
    if not settings.is_local:
        raise LocalModeOnly("Local tokens exist only when OMNI_ENVIRONMENT=local.")
    return local_key(settings.local_state_dir, "token-signing")


def mint_local_token(
    settings: Settings,
    email: str,
    name: str | None = None,
    lifetime: timedelta = LOCAL_TOKEN_LIFETIME,
    subject: str | None = None,
) -> str:
    """A local token for ``email``; its subject is derived from the email unless ``subject`` names
    one (tests use that to play one account whose email changed, or two accounts with one email)."""
    if lifetime > LOCAL_TOKEN_MAX_LIFETIME:
        raise ValueError(f"A local token lives at most {LOCAL_TOKEN_MAX_LIFETIME}.")
    now = datetime.now(UTC)
    claims = {
        "iss": LOCAL_ISSUER,
        "aud": LOCAL_AUDIENCE,
        "sub": subject or local_subject(email),
        "email": email.strip().lower(),
        "name": name or email.split("@")[0],
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
    }
    return jwt.encode(claims, local_signing_key(settings), algorithm="HS256")


class LocalLifetimeTooLong(ValueError):
    pass


def _check_local_lifetime(claims: dict[str, Any]) -> None:
    """``exp`` at most ``LOCAL_TOKEN_MAX_LIFETIME`` after ``iat`` and after now (PyJWT checks that it is
    not past, and that ``iat`` is a number)."""
    cap = LOCAL_TOKEN_MAX_LIFETIME.total_seconds()
    expires, issued = float(claims["exp"]), float(claims["iat"])
    if expires - issued > cap or expires - datetime.now(UTC).timestamp() > cap:
        raise LocalLifetimeTooLong


class TokenAuthenticator:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._keys: OpenIdSigningKeys | None = None

    def authenticate(self, authorization: str | None) -> UserPrincipal:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise unauthorized("Send a bearer token: Authorization: Bearer <token>.")
        token = authorization[7:].strip()
        try:
            header = jwt.get_unverified_header(token)
            local = header.get("alg") == "HS256"
            claims = self._verify(token, header)
        except jwt.ExpiredSignatureError:
            raise unauthorized("The bearer token has expired.") from None
        except LocalLifetimeTooLong:
            hours = int(LOCAL_TOKEN_MAX_LIFETIME.total_seconds() // 3600)
            too_long = f"The bearer token lives longer than a local token may ({hours} hours)."
            raise unauthorized(too_long) from None
        except (jwt.InvalidTokenError, LocalModeOnly, OSError, ValueError, KeyError):
            raise unauthorized("The bearer token is not valid for this platform.") from None
        try:
            issuer, subject = identity_of(claims, local=local)
        except ValueError:
            raise unauthorized("The bearer token names no user (no oid/tid or sub claim).") from None
        email, verified = attested_email(claims)
        name = claims.get("name")
        return UserPrincipal(
            user_id=user_id_for(issuer, subject),
            email=email,
            name=name if isinstance(name, str) else None,
            email_verified=verified,
        )

    def _verify(self, token: str, header: dict[str, Any]) -> dict[str, Any]:
        if header.get("alg") == "HS256":
            # Only the devhost's own tokens are HMAC-signed, and only local mode knows that key.
            claims: dict[str, Any] = jwt.decode(
                token,
                local_signing_key(self._settings),
                algorithms=["HS256"],
                audience=LOCAL_AUDIENCE,
                issuer=LOCAL_ISSUER,
                options={"require": ["exp", "iat", "sub"]},
            )
            _check_local_lifetime(claims)
            return claims
        auth = self._settings.auth
        if not auth.issuer or not auth.audience:
            raise LocalModeOnly("No token issuer is configured (OMNI_AUTH_ISSUER, OMNI_AUTH_AUDIENCE).")
        if self._keys is None:
            assert auth.configuration_url is not None
            self._keys = OpenIdSigningKeys(auth.configuration_url)
        signing_key = self._keys.signing_key(token)
        verified: dict[str, Any] = jwt.decode(
            token,
            signing_key.key,
            algorithms=["RS256"],
            audience=auth.audience,
            issuer=auth.issuer,
            options={"require": ["exp", "sub", "iss", "aud"]},
        )
        return verified
