"""Signed-in users on ``/public``: a management bearer token with ``X-Project-Id`` instead of an API key.

The Playground and the dashboard act for a person, not an integration, so they hold no API key. The
person must be in the project's organization (else the same 404 as for an unknown project, as
``/manage`` answers outsiders); their role decides what they may call (``roles.public_action``); and one
of the project's active keys stands in for them, so endpoints keep reading ``ctx.api_key`` and the
key's provider serves the model and the voices. ``X-Api-Key-Id`` picks that key; by default it is the
project's oldest active key. A revoked key is never chosen.

Each call reads the project's index, its organization (the roster), the project and its keys: no
cache, so a removed member or a revoked key stops working at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from shared.api_errors import ApiError, ErrorKind, conflict, invalid_field
from shared.auth.api_keys import ApiKeyRecord
from shared.auth.principals import SignedInKeyPrincipal, UserPrincipal
from shared.management.api_keys import is_active
from shared.management.records import API_KEY_PREFIX, is_resource_id
from shared.management.roles import Action, authorize

if TYPE_CHECKING:  # the store reads the tables through the platform; this module needs only its type
    from shared.management.store import ManagementStore

PROJECT_HEADER = "X-Project-Id"
KEY_HEADER = "X-Api-Key-Id"


def signed_in_principal(
    store: ManagementStore,
    user: UserPrincipal,
    project_header: str | None,
    key_header: str | None,
    action: Action,
) -> SignedInKeyPrincipal:
    """The principal of a signed-in ``user`` calling a /public operation that does ``action``."""
    project_id = (project_header or "").strip()
    if not project_id:
        raise invalid_field(
            PROJECT_HEADER, "is required with a bearer token: the id of the project to act in"
        )
    organization, _project = store.project(user, project_id, Action.VIEW)  # outsiders: 404
    role = authorize(organization.role_of(user.user_id), action, "Project", project_id)
    key = choose_key(store.api_keys.list_all(project_id), project_id, key_header)
    return SignedInKeyPrincipal(
        organization_id=key.organization_id,
        project_id=key.project_id,
        key_id=key.id,
        provider_type=str(key.provider.get("type", "")),
        user_id=user.user_id,
        role=role,
    )


def choose_key(records: Iterable[ApiKeyRecord], project_id: str, requested_id: str | None) -> ApiKeyRecord:
    """The key named by ``X-Api-Key-Id`` (of this project, not revoked), else the oldest active one."""
    keys = list(records)
    requested = (requested_id or "").strip()
    if requested:
        named = next((key for key in keys if key.id == requested), None)
        if named is None or not is_resource_id(API_KEY_PREFIX, requested):
            raise ApiError(
                404,
                "ApiKeyNotFound",
                f"API key '{requested}' (the {KEY_HEADER} header) is not a key of project '{project_id}'.",
                ErrorKind.NOT_FOUND,
            )
        if not is_active(named):
            raise conflict(
                "ApiKeyRevoked",
                f"API key '{requested}' (the {KEY_HEADER} header) has been revoked: name an active key of "
                f"the project, or leave the header out to use its oldest active key.",
            )
        return named
    active = sorted(
        (key for key in keys if is_active(key)), key=lambda key: (key.created_at, key.name.casefold(), key.id)
    )
    if not active:
        raise conflict(
            "NoApiKey",
            f"Project '{project_id}' has no API key: create an API key in the project first "
            f"(an Admin can: POST /manage/projects/{project_id}/api-keys).",
        )
    return active[0]
