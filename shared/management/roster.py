"""An organization's members and their roles, and the rules that change them.

The roster lives on the organization's own record, so every change is one ETag-guarded write: two
admins demoting each other at once cannot leave the organization without an admin.
"""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import BaseModel

from shared.api_errors import conflict, not_found
from shared.management.roles import Role

# An Azure table string property holds at most 64 KiB (32K UTF-16 characters): the roster is one.
MAX_MEMBERS = 100
MAX_ROSTER_CHARACTERS = 30_000


class MemberEntry(BaseModel):
    role: Role
    added_at: datetime
    added_by: str | None = None


Roster = dict[str, MemberEntry]


def admins(roster: Roster) -> set[str]:
    return {user_id for user_id, entry in roster.items() if entry.role == "admin"}


def add_member(roster: Roster, user_id: str, role: Role, now: datetime, added_by: str | None) -> Roster:
    if user_id in roster:
        raise conflict("MemberAlreadyExists", f"'{user_id}' is already a member of this organization.")
    changed = {**roster, user_id: MemberEntry(role=role, added_at=now, added_by=added_by)}
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
    return len(json.dumps({k: v.model_dump(mode="json") for k, v in roster.items()}, separators=(",", ":")))
