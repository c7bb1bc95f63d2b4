"""Who may do what in an organization: the role matrix of the dashboard.

Source: the Omniagent FAQ ("What's the difference between Admin and Member roles?") and the API
contract's conventions. Admins have full access (members, API keys, settings, billing, project create,
edit and delete); members may view organizations and projects, and, signed in on ``/public``, use a
project (read its resources, open connections, search knowledge) but change nothing.
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
    VIEW_BILLING = "view the organization's billing and usage"
    # Signed in on /public (a bearer token instead of an API key):
    USE_PROJECT = "read the project's resources, open connections and search knowledge"
    MANAGE_RESOURCES = "create, change or delete the project's resources"


PERMISSIONS: dict[Role, frozenset[Action]] = {
    "admin": frozenset(Action),
    "member": frozenset({Action.VIEW, Action.USE_PROJECT}),
}

# The /public operations besides reads (GET) that use a project without changing it: a member may
# call these. Anything else on /public, including every endpoint added later, is Admin-only until it
# is named here. (method, OpenAPI path)
MEMBER_OPERATIONS_BEYOND_READS: frozenset[tuple[str, str]] = frozenset(
    {
        ("POST", "/public/agents/{agentId}/connections"),
        ("POST", "/public/connections"),
        ("POST", "/public/ws-connections"),
        ("POST", "/public/knowledge-bases/{knowledgeBaseId}/search"),
    }
)


def public_action(method: str, path: str) -> Action:
    """What calling a /public operation does to its project, for a signed-in caller's role check."""
    if method.upper() == "GET" or (method.upper(), path) in MEMBER_OPERATIONS_BEYOND_READS:
        return Action.USE_PROJECT
    return Action.MANAGE_RESOURCES


def roles_allowed(action: Action) -> list[Role]:
    return [role for role in ROLES if action in PERMISSIONS[role]]


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
        needed = " or ".join(allowed.capitalize() for allowed in roles_allowed(action))
        raise forbidden(
            f"Your role in this organization ({role}) does not allow you to {action.value}: "
            f"that needs the {needed} role."
        )
    return role
