"""What the management plane stores, table by table (names are API: renaming one orphans data).

| table | partition | row | holds |
|---|---|---|---|
| ``organizations`` | organization id | organization id | the organization and its roster |
| ``userorganizations`` | SHA-256 of a user id or email | organization id | a user's organizations (index) |
| ``projects`` | organization id | project id | the project |
| ``projectindex`` | project id | project id | the project's organization |
| ``apikeys`` (``shared.auth.api_keys``) | project id | key id | the key (hash only) and its provider |

The roster on the organization record is the truth about membership; ``userorganizations`` is only
an index (written before a member is added, never trusted without the roster). Roster keys are stable
user ids (``user_…``) and, for invitations not yet taken, emails (``roster.py``); the index holds an
invitation under the SHA-256 of the email, a member under that of their user id.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from pydantic import BaseModel, Field

from shared.management.roles import Role
from shared.management.roster import Roster

ORGANIZATIONS_TABLE = "organizations"
USER_ORGANIZATIONS_TABLE = "userorganizations"
PROJECTS_TABLE = "projects"
PROJECT_INDEX_TABLE = "projectindex"

ORGANIZATION_PREFIX = "org"
PROJECT_PREFIX = "proj"
API_KEY_PREFIX = "key"


class OrganizationRecord(BaseModel):
    id: str
    name: str
    created_at: datetime
    created_by: str
    members: Roster = Field(default_factory=dict)

    def role_of(self, user_id: str) -> Role | None:
        entry = self.members.get(user_id)
        return entry.role if entry else None


class UserOrganizationEntry(BaseModel):
    id: str  # the organization id
    added_at: datetime


class ProjectRecord(BaseModel):
    id: str
    organization_id: str
    name: str
    description: str = ""
    created_at: datetime
    created_by: str
    updated_at: datetime | None = None


class ProjectIndexEntry(BaseModel):
    id: str  # the project id
    organization_id: str


def is_resource_id(prefix: str, value: str) -> bool:
    """Whether ``value`` has the shape of an id made by ``shared.ids.new_id(prefix)``: anything else
    is answered 404 without touching storage (and never reaches a table key)."""
    return re.fullmatch(rf"{re.escape(prefix)}_[a-z0-9]{{1,64}}", value) is not None


def utc_now() -> datetime:
    """Now, to the second (timestamps are answered as ISO 8601 UTC, ``2026-03-10T12:00:00Z``)."""
    return datetime.now(UTC).replace(microsecond=0)
