"""Who a bearer token names: a stable user id from the token's issuer and subject, never its email.

Entra's ``email``, ``preferred_username`` and ``upn`` can change, and none of them is unique across
tenants or accounts, so none of them may key a membership. The id of a user is derived from
(issuer, subject) alone:

- Entra ID: ``oid`` (the user's object id, the same in every app of the tenant) with ``tid`` (the
  tenant); a token without both falls back to its ``iss`` and ``sub``.
- Local tokens (the devhost's): the issuer ``local`` and a subject derived from the email when the
  token is minted, so a dev sign-in as the same address is the same user every time.

The email stays a display attribute and the key of an invitation: an invitation names an email, and
binds to the stable id of the first user whose token attests that email (``attested_email``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

LOCAL_ISSUER = "local"
USER_ID_PREFIX = "user"
_USER_ID = re.compile(rf"{USER_ID_PREFIX}_[0-9a-f]{{32}}")


def user_id_for(issuer: str, subject: str) -> str:
    """The stable user id of (issuer, subject): opaque, URL-safe, and never an email address."""
    digest = hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()
    return f"{USER_ID_PREFIX}_{digest[:32]}"


def is_user_id(value: str) -> bool:
    return _USER_ID.fullmatch(value) is not None


def local_subject(email: str) -> str:
    """The subject of a local token for ``email``: derived, so the same address is the same user."""
    return "local-" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def identity_of(claims: Mapping[str, Any], *, local: bool) -> tuple[str, str]:
    """(issuer, subject) of verified ``claims``; ``ValueError`` when they name no subject."""
    if local:
        subject = str(claims.get("sub") or "")
        if not subject:
            raise ValueError("the token names no subject")
        # Local tokens minted before subjects were derived carried the email as ``sub``: the same user.
        return LOCAL_ISSUER, local_subject(subject) if "@" in subject else subject
    object_id, tenant_id = claims.get("oid"), claims.get("tid")
    if object_id and tenant_id:
        return f"entra:{tenant_id}", str(object_id)
    if not claims.get("sub") or not claims.get("iss"):
        raise ValueError("the token names no subject")
    return str(claims["iss"]), str(claims["sub"])


def attested_email(claims: Mapping[str, Any]) -> tuple[str | None, bool]:
    """The user's email (lower-cased) and whether it may bind an invitation.

    The email is ``email``, else ``preferred_username``, else ``upn`` (Entra ID puts the address in
    whichever the app registration and account type provide). It may bind an invitation unless the
    token says it is unverified: ``email_verified: false`` (OpenID Connect) or ``xms_edov: false``
    (Entra: the email's domain is not verified by the tenant). A value without '@' is no email.
    """
    for claim in ("email", "preferred_username", "upn"):
        value = claims.get(claim)
        if isinstance(value, str) and "@" in value:
            email = value.strip().lower()
            unverified = any(claims.get(flag) in (False, "false") for flag in ("email_verified", "xms_edov"))
            return email, not unverified
    return None, False
