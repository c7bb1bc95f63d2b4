"""Who may do what in an organization: the role matrix of the dashboard.

Source: the Omniagent FAQ ("What's the difference between Admin and Member roles?") and the API
contract's conventions. Admins have full access (members, API keys, settings, billing, project create,
edit and delete); members may view organizations and projects and nothing else here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from shared.api_errors import forbidden, not_found

Role = Literal["admin", "member"]
ROLES: tuple[Role, ...] = ("admin", "member")


class Action(StrEnum):
    VIEW = "view"  # read organizations and projects
    MANAGE_MEMBERS = "manage members"
    MANAGE_PROJECTS = "create, edit or delete projects"
    MANAGE_API_KEYS = "manage API keys"
    MANAGE_SETTINGS = "change settings"
    MANAGE_BILLING = "manage billing"


PERMISSIONS: dict[Role, frozenset[Action]] = {
    "admin": frozenset(Action),
    "member": frozenset({Action.VIEW}),
}


def can(role: Role | None, action: Action) -> bool:
    return role is not None and action in PERMISSIONS[role]


def authorize(role: Role | None, action: Action, resource: str, resource_id: str) -> Role:
    """The caller's role if it allows ``action``.

    A caller outside the organization gets the same 404 as for an unknown id (existence is not
    revealed); a member whose role does not allow the action gets 403.
    """
    if role is None:
        raise not_found(resource, resource_id)
    if not can(role, action):
        raise forbidden(f"Your role in this organization ({role}) does not allow you to {action.value}.")
    return role
