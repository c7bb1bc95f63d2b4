"""``/manage/organizations/{orgId}/projects`` and ``/manage/projects/{projectId}`` (bearer tokens).

Our own design (docs/omniagent-public-api.md section 8). Any member may view projects; only admins
create, edit or delete them (Omniagent FAQ, "Admin and Member roles"). A project answers an ``ETag``;
``PATCH`` and ``DELETE`` honour ``If-Match`` (412 when stale). Deleting a project revokes its API keys.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import azure.functions as func
from pydantic import Field

from api.endpoint import Reply, RequestContext, endpoint
from shared.api_errors import validation_failed
from shared.listing import ListEnvelope, ListQuery, paginate
from shared.management.records import ProjectRecord
from shared.management.roles import Action
from shared.management.store import ManagementStore, management_store
from shared.management.wire import Answer, Name, RequestBody
from shared.platform import get_platform
from shared.request_json import NotNull, reset_nulls
from shared.storage import Stored

bp = func.Blueprint()

TAG = "Projects"
MAX_DESCRIPTION_LENGTH = 1000


class ProjectCreate(RequestBody):
    name: Name = Field(description="The project's name (1-100 characters).")
    description: str = Field(
        "", max_length=MAX_DESCRIPTION_LENGTH, description="What the project is for (optional)."
    )


class ProjectUpdate(RequestBody):
    """Only the fields sent are changed; `null` resets `description` to empty; `name` cannot be null."""

    name: NotNull[Name] = Field(None, description="The project's new name (1-100 characters).")
    description: str | None = Field(
        None, max_length=MAX_DESCRIPTION_LENGTH, description="The project's new description."
    )


class Project(Answer):
    """A project: API keys and every `/public` resource belong to one."""

    id: str = Field(description="The project's id (`proj_…`).")
    organization_id: str = Field(description="The organization the project belongs to.")
    name: str = Field(description="The project's name.")
    description: str = Field(description="What the project is for.")
    created_at: datetime = Field(description="When the project was created (ISO 8601, UTC).")
    updated_at: datetime | None = Field(description="When the project was last changed, if ever.")


class ProjectList(ListEnvelope[Project]):
    """An organization's projects, by name."""


def _store() -> ManagementStore:
    return management_store(get_platform())


def _project(record: ProjectRecord) -> Project:
    return Project(
        id=record.id,
        organization_id=record.organization_id,
        name=record.name,
        description=record.description,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def _reply(stored: Stored[ProjectRecord], status: int = 200) -> Reply:
    return Reply(_project(stored.entity), status=status, etag=stored.etag)


@endpoint(
    bp,
    "POST",
    "manage/organizations/{orgId}/projects",
    summary="Create a project",
    description="Admins only.",
    tag=TAG,
    auth="user",
    body=ProjectCreate,
    response=Project,
    status=201,
    errors=(403, 404),
)
def manage_create_project(ctx: RequestContext) -> Reply:
    store = _store()
    organization_id = ctx.route("orgId")
    store.organization(ctx.user, organization_id, Action.MANAGE_PROJECTS)  # role before body
    body = ctx.body(ProjectCreate)
    return _reply(store.create_project(ctx.user, organization_id, body.name, body.description), 201)


@endpoint(
    bp,
    "GET",
    "manage/organizations/{orgId}/projects",
    summary="List an organization's projects",
    description="Any member; `search` filters by name.",
    tag=TAG,
    auth="user",
    query=ListQuery,
    response=ProjectList,
    errors=(404,),
)
def manage_list_projects(ctx: RequestContext) -> ProjectList:
    records = _store().projects_in(ctx.user, ctx.route("orgId"))
    query = ctx.query(ListQuery)
    return ProjectList(**paginate([_project(r) for r in records], query, lambda project: project.name))


@endpoint(
    bp,
    "GET",
    "manage/projects/{projectId}",
    summary="Get a project",
    description="Any member of the project's organization. Answers the project's `ETag`.",
    tag=TAG,
    auth="user",
    response=Project,
    errors=(404,),
)
def manage_get_project(ctx: RequestContext) -> Reply:
    _organization, stored = _store().project(ctx.user, ctx.route("projectId"), Action.VIEW)
    return _reply(stored)


@endpoint(
    bp,
    "PATCH",
    "manage/projects/{projectId}",
    summary="Change a project",
    description="Admins only. Changes only the fields sent. With `If-Match`, only if the project still "
    "has that ETag (412 otherwise).",
    tag=TAG,
    auth="user",
    body=ProjectUpdate,
    response=Project,
    errors=(403, 404, 409, 412),
)
def manage_update_project(ctx: RequestContext) -> Reply:
    store = _store()
    project_id = ctx.route("projectId")
    store.project(ctx.user, project_id, Action.MANAGE_PROJECTS)  # role before body
    body = ctx.body(ProjectUpdate)
    changes: dict[str, Any] = reset_nulls(body.model_dump(include=body.model_fields_set), ProjectCreate)
    if not changes:
        raise validation_failed("Send at least one of: name, description.")
    return _reply(store.update_project(ctx.user, project_id, changes, ctx.if_match))


@endpoint(
    bp,
    "DELETE",
    "manage/projects/{projectId}",
    summary="Delete a project",
    description="Admins only. Revokes the project's API keys. Honours `If-Match` as PATCH does.",
    tag=TAG,
    auth="user",
    status=204,
    errors=(403, 404, 412),
)
def manage_delete_project(ctx: RequestContext) -> Reply:
    platform = get_platform()
    management_store(platform).delete_project(
        ctx.user, ctx.route("projectId"), ctx.if_match, on_key_revoked=platform.api_keys.forget
    )
    return Reply(status=204)
