"""Access-key JWTs, as Azure Web PubSub checks them.

Client tokens (``GET /client/hubs/{hub}``): HS256 with the AccessKey, ``aud`` =
``{endpoint}/client/hubs/{hub}`` (compared case-insensitively, as the SDK lower-cases the endpoint),
``exp`` required; ``sub`` is the user id, ``role`` and ``webpubsub.group`` a string or a list.
REST tokens (``/api/hubs/...``): HS256 with the AccessKey, ``aud`` = the request URL (with or without
its query string), ``exp`` required.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

import jwt

ALGORITHMS = ["HS256"]


class TokenError(Exception):
    pass


def decode(token: str, key: str) -> dict[str, Any]:
    """Signature and lifetime; the audience is checked by the caller."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            options={"verify_aud": False, "require": ["exp"]},
        )
    except jwt.PyJWTError as error:
        raise TokenError(str(error)) from error
    return claims


def audiences(claims: dict[str, Any]) -> list[str]:
    value = claims.get("aud")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def string_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def check_client_token(token: str, key: str, hub: str, bases: Iterable[str]) -> dict[str, Any]:
    claims = decode(token, key)
    expected = {f"{base.rstrip('/')}/client/hubs/{hub}".lower() for base in bases}
    if not any(aud.rstrip("/").lower() in expected for aud in audiences(claims)):
        raise TokenError("the token's audience is not this hub's client endpoint")
    return claims


def _normalized(url: str) -> tuple[str, str, str, str]:
    parts = urlsplit(url)
    return (parts.scheme.lower(), parts.netloc.lower(), unquote(parts.path).lower(), unquote(parts.query))


def check_rest_token(token: str, key: str, request_urls: Iterable[str]) -> dict[str, Any]:
    """``request_urls``: the request's URL as reached and as the configured endpoint names it."""
    claims = decode(token, key)
    accepted = set()
    for url in request_urls:
        scheme, netloc, path, query = _normalized(url)
        accepted.add((scheme, netloc, path, query))
        accepted.add((scheme, netloc, path, ""))
    for aud in audiences(claims):
        if _normalized(aud) in accepted:
            return claims
    raise TokenError("the token's audience is not the request URL")


def client_token(
    key: str,
    audience: str,
    user_id: str | None = None,
    roles: Iterable[str] = (),
    groups: Iterable[str] = (),
    minutes_to_expire: int = 60,
) -> str:
    now = int(time.time())
    payload: dict[str, Any] = {"aud": audience, "iat": now, "exp": now + 60 * minutes_to_expire}
    if user_id:
        payload["sub"] = user_id
    if roles := list(roles):
        payload["role"] = roles
    if groups := list(groups):
        payload["webpubsub.group"] = groups
    return jwt.encode(payload, key, algorithm="HS256")
