"""An organization's members and their roles, and the rules that change them.

The roster lives on the organization's own record, so every change is one ETag-guarded write: two
admins demoting each other at once cannot leave the organization without an admin.

A roster is keyed by user: a member who has signed in is keyed by their stable user id (``user_…``,
``shared.auth.identity``); an invitation not yet taken is keyed by the invited email. The first user
whose token attests that email takes the invitation (``bind_invitation``): from then on the member is
their id, whatever email their token carries later, and nobody else with that email is them. Records
written before stable ids keyed every member by email: they are invitations under this rule, and are
bound the same way, on the member's first sign-in.
"""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import BaseModel

from shared.api_errors import ApiError, ErrorKind, conflict, not_found
from shared.auth.identity import is_user_id, user_id_for
from shared.management.roles import Role

# An Azure table string property holds at most 64 KiB (32K UTF-16 characters): the roster is one.
MAX_MEMBERS = 100
MAX_ROSTER_CHARACTERS = 30_000
_USER_ID_LENGTH = len(user_id_for("", ""))


class MemberEntry(BaseModel):
    role: Role
    added_at: datetime
    added_by: str | None = None
    # The address the member was invited by (or signed up with): shown, never used to find them.
    # None on records written before stable ids, whose key is the email.
    email: str | None = None


Roster = dict[str, MemberEntry]


def is_invitation(key: str) -> bool:
    """Whether a roster key is an invitation not yet taken (an email) rather than a user id."""
    return not is_user_id(key)


def email_of(key: str, entry: MemberEntry) -> str | None:
    return entry.email or (key if is_invitation(key) else None)


def admins(roster: Roster) -> set[str]:
    return {user_id for user_id, entry in roster.items() if entry.role == "admin"}


def add_member(roster: Roster, email: str, role: Role, now: datetime, added_by: str | None) -> Roster:
    """An invitation of ``email`` (normalized): taken by the first user to sign in with it."""
    if any(email_of(key, entry) == email for key, entry in roster.items()):
        raise conflict("MemberAlreadyExists", f"'{email}' is already a member of this organization.")
    changed = {**roster, email: MemberEntry(role=role, added_at=now, added_by=added_by, email=email)}
    if len(changed) > MAX_MEMBERS or _size(changed) > MAX_ROSTER_CHARACTERS:
        raise conflict(
            "MemberLimitReached", f"An organization has at most {MAX_MEMBERS} members: remove one first."
        )
    return changed


def change_role(roster: Roster, user_id: str, role: Role) -> Roster:
    entry = _member(roster, user_id)
    if entry.role == "admin" and role != "admin":
        _refuse_if_last_admin(roster, user_id, "demote")
    return {**roster, user_id: entry.model_copy(update={"role": role})}


def remove_member(roster: Roster, user_id: str) -> Roster:
    entry = _member(roster, user_id)
    if entry.role == "admin":
        _refuse_if_last_admin(roster, user_id, "remove")
    return {other: value for other, value in roster.items() if other != user_id}


def bind_invitation(roster: Roster, email: str, user_id: str) -> Roster | None:
    """The roster with the invitation of ``email`` taken by ``user_id`` (the member keeps its role
    and history), or None when there is nothing to take: no invitation of that email, or the user is
    a member already (a later invitation of their new address stays pending, for an admin to remove)."""
    entry = roster.get(email)
    if entry is None or not is_invitation(email) or user_id in roster:
        return None
    bound = {key: value for key, value in roster.items() if key != email}
    bound[user_id] = entry.model_copy(update={"email": entry.email or email})
    return bound


def member_key(roster: Roster, requested: str) -> str:
    """The roster key a route's ``{userId}`` names: a member's user id, or the email of an invitation
    not yet taken. The email of a member who has signed in does not name them (emails change; the id
    does not): the 404 says which id to use."""
    if is_user_id(requested) and requested in roster:
        return requested
    email = requested.strip().lower()
    if email in roster and is_invitation(email):
        return email
    taken = [key for key, entry in roster.items() if not is_invitation(key) and entry.email == email]
    if taken:
        raise ApiError(
            404,
            "MemberNotFound",
            f"No invitation of '{email}' is pending: its member has signed in, and is addressed by their "
            f"userId '{taken[0]}'.",
            ErrorKind.NOT_FOUND,
        )
    raise not_found("Member", requested)


def _member(roster: Roster, user_id: str) -> MemberEntry:
    entry = roster.get(user_id)
    if entry is None:
        raise not_found("Member", user_id)
    return entry


def _refuse_if_last_admin(roster: Roster, user_id: str, verb: str) -> None:
    if admins(roster) == {user_id}:
        raise conflict(
            "LastAdmin",
            f"Cannot {verb} the organization's last admin: make another member admin first.",
        )


def _size(roster: Roster) -> int:
    """The roster's stored size once every invitation is taken (a user id is longer than most emails,
    and taking an invitation must never be refused for size)."""
    stored = {
        key.ljust(_USER_ID_LENGTH): {**entry.model_dump(mode="json"), "email": email_of(key, entry)}
        for key, entry in roster.items()
    }
    return len(json.dumps(stored, separators=(",", ":")))
