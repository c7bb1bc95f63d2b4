"""Emails of the management plane: invitations are by email, normalized here, and indexed like users.

Users themselves are named by a stable id from their token's issuer and subject
(``shared.auth.identity``); an email is only displayed, and keys an invitation until it is taken.
"""

from __future__ import annotations

import hashlib
import re

MAX_EMAIL_LENGTH = 254
# Pragmatic, not RFC 5322: one '@', a dotted domain, no spaces. '/', '\', '#' and '?' are refused too:
# they are legal in rare addresses, but break URLs (the member's id is a path segment).
_EMAIL = re.compile(r"[^@\s/\\#?]+@[^@\s/\\#?.]+(?:\.[^@\s/\\#?.]+)+")


def normalize_email(value: str) -> str:
    """The email as invitations key it: trimmed and lower-cased; ``ValueError`` if not an address."""
    email = value.strip().lower()
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL.fullmatch(email):
        raise ValueError("is not a valid email address")
    return email


def user_partition(user_id: str) -> str:
    """A table key for a user id or an invited email: its SHA-256, so that any id is a valid key and
    an address itself is not a key in storage."""
    return hashlib.sha256(user_id.encode()).hexdigest()
