"""``/manage/organizations``: organizations and their members (management API, bearer tokens).

Our own design (no published API exists for it: docs/omniagent-public-api.md section 8); roles per
the Omniagent FAQ ("What's the difference between Admin and Member roles?"): any member may view an
organization; only admins manage its members. Lists use the published list envelope.

Members are users, keyed by their stable id (``user_…``, from the token's issuer and subject); an
email names an invitation until the invited user first signs in with a token attesting it
(``shared.management.roster``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import azure.functions as func
from pydantic import Field, field_validator

from api.endpoint import Reply, RequestContext, endpoint
from shared.listing import ListEnvelope, ListQuery, paginate
from shared.management.records import OrganizationRecord
from shared.management.roles import Action, Role
from shared.management.roster import MemberEntry, email_of, is_invitation
from shared.management.store import ManagementStore, management_store
from shared.management.users import normalize_email
from shared.management.wire import Answer, Name, RequestBody
from shared.platform import get_platform

bp = func.Blueprint()

ORGANIZATIONS_TAG = "Organizations"
MEMBERS_TAG = "Members"


class OrganizationCreate(RequestBody):
    name: Name = Field(description="The organization's name (1-100 characters).")


class Organization(Answer):
    """An organization, with the caller's role in it."""

    id: str = Field(description="The organization's id (`org_…`).")
    name: str = Field(description="The organization's name.")
    role: Role = Field(description="The caller's role in the organization: `admin` or `member`.")
    created_at: datetime = Field(description="When the organization was created (ISO 8601, UTC).")


class OrganizationList(ListEnvelope[Organization]):
    """The caller's organizations, by name."""


class MemberInvite(RequestBody):
    email: str = Field(
        max_length=254,
        description="The email to invite (compared without case). The first user who signs in with a "
        "token attesting it becomes the member; their `userId` is then their stable id, whatever "
        "email their token carries later.",
    )
    role: Role = Field(description="`admin` (everything) or `member` (view organizations and projects).")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalize_email(value)


class MemberRoleChange(RequestBody):
    role: Role = Field(description="The member's new role: `admin` or `member`.")


class Member(Answer):
    """A member of an organization."""

    user_id: str = Field(
        description="The member's stable user id (`user_…`, from their token's issuer and subject) once "
        "they have signed in; until then (`status: invited`) the invited email."
    )
    email: str | None = Field(
        description="The email the member was invited by (or signed up with): shown, never used to "
        "find them; null when their token carried none."
    )
    status: Literal["active", "invited"] = Field(
        description="`active` once the member has signed in, `invited` until then."
    )
    role: Role = Field(description="`admin` or `member`.")
    added_at: datetime = Field(description="When the member was added (ISO 8601, UTC).")


class MemberList(ListEnvelope[Member]):
    """An organization's members, by email."""


def _store() -> ManagementStore:
    return management_store(get_platform())


def _organization(record: OrganizationRecord, role: Role) -> Organization:
    return Organization(id=record.id, name=record.name, role=role, created_at=record.created_at)


def _member(key: str, entry: MemberEntry) -> Member:
    return Member(
        user_id=key,
        email=email_of(key, entry),
        status="invited" if is_invitation(key) else "active",
        role=entry.role,
        added_at=entry.added_at,
    )


def _member_id(ctx: RequestContext) -> str:
    return ctx.route("userId").strip()


@endpoint(
    bp,
    "POST",
    "manage/organizations",
    summary="Create an organization",
    description="The caller becomes its first admin.",
    tag=ORGANIZATIONS_TAG,
    auth="user",
    body=OrganizationCreate,
    response=Organization,
    status=201,
)
def manage_create_organization(ctx: RequestContext) -> Reply:
    body = ctx.body(OrganizationCreate)
    record = _store().create_organization(ctx.user, body.name)
    return Reply(_organization(record, "admin"), status=201)


@endpoint(
    bp,
    "GET",
    "manage/organizations",
    summary="List the caller's organizations",
    description="Every organization the caller is a member of, with the caller's role; `search` "
    "filters by name.",
    tag=ORGANIZATIONS_TAG,
    auth="user",
    query=ListQuery,
    response=OrganizationList,
)
def manage_list_organizations(ctx: RequestContext) -> OrganizationList:
    query = ctx.query(ListQuery)
    items = [_organization(record, role) for record, role in _store().organizations_of(ctx.user)]
    return OrganizationList(**paginate(items, query, lambda item: item.name))


@endpoint(
    bp,
    "GET",
    "manage/organizations/{orgId}",
    summary="Get an organization",
    tag=ORGANIZATIONS_TAG,
    auth="user",
    response=Organization,
    errors=(404,),
)
def manage_get_organization(ctx: RequestContext) -> Organization:
    stored, role = _store().organization(ctx.user, ctx.route("orgId"), Action.VIEW)
    return _organization(stored.entity, role)


@endpoint(
    bp,
    "POST",
    "manage/organizations/{orgId}/members",
    summary="Add a member",
    description="Admins only. An invitation: the first user who signs in with a token attesting this "
    "email becomes the member (no invitation mail is sent). 409 `MemberAlreadyExists` if the email is "
    "invited or a member's already.",
    tag=MEMBERS_TAG,
    auth="user",
    body=MemberInvite,
    response=Member,
    status=201,
    errors=(403, 404, 409),
)
def manage_add_member(ctx: RequestContext) -> Reply:
    store = _store()
    organization_id = ctx.route("orgId")
    store.organization(ctx.user, organization_id, Action.MANAGE_MEMBERS)  # role before body
    body = ctx.body(MemberInvite)
    entry = store.add_member(ctx.user, organization_id, body.email, body.role)
    return Reply(_member(body.email, entry), status=201)


@endpoint(
    bp,
    "GET",
    "manage/organizations/{orgId}/members",
    summary="List members",
    description="Admins only; `search` filters by email.",
    tag=MEMBERS_TAG,
    auth="user",
    query=ListQuery,
    response=MemberList,
    errors=(403, 404),
)
def manage_list_members(ctx: RequestContext) -> MemberList:
    stored, _role = _store().organization(ctx.user, ctx.route("orgId"), Action.MANAGE_MEMBERS)
    query = ctx.query(ListQuery)
    members = sorted(
        (_member(key, entry) for key, entry in stored.entity.members.items()),
        key=lambda member: (member.email or "", member.user_id),
    )
    return MemberList(**paginate(members, query, lambda member: member.email or ""))


@endpoint(
    bp,
    "PATCH",
    "manage/organizations/{orgId}/members/{userId}",
    summary="Change a member's role",
    description="Admins only. `{userId}` is the member's `userId`: their stable id, or the email of a "
    "pending invitation. 409 `LastAdmin` when it would leave the organization without an admin.",
    tag=MEMBERS_TAG,
    auth="user",
    body=MemberRoleChange,
    response=Member,
    errors=(403, 404, 409),
)
def manage_change_member_role(ctx: RequestContext) -> Member:
    store = _store()
    organization_id, member_id = ctx.route("orgId"), _member_id(ctx)
    store.organization(ctx.user, organization_id, Action.MANAGE_MEMBERS)
    body = ctx.body(MemberRoleChange)
    return _member(*store.change_member_role(ctx.user, organization_id, member_id, body.role))


@endpoint(
    bp,
    "DELETE",
    "manage/organizations/{orgId}/members/{userId}",
    summary="Remove a member",
    description="Admins only. `{userId}` is the member's `userId`: their stable id, or the email of a "
    "pending invitation. 409 `LastAdmin` for the organization's last admin.",
    tag=MEMBERS_TAG,
    auth="user",
    status=204,
    errors=(403, 404, 409),
)
def manage_remove_member(ctx: RequestContext) -> Reply:
    _store().remove_member(ctx.user, ctx.route("orgId"), _member_id(ctx))
    return Reply(status=204)
