"""``/manage/projects/{projectId}/api-keys``: a project's API keys (admins only, bearer tokens).

Our own design: the published API has no endpoint to mint keys ("The key is created in the dashboard",
docs/omniagent-public-api.md section 8); as in the dashboard, a key may not be shown again after
creation. The key's model provider is validated by its ``type``; the provider's own ``apiKey`` is
write-only, stored sealed and never answered.
"""

from __future__ import annotations

from datetime import datetime

import azure.functions as func
from pydantic import Field

from api.endpoint import Reply, RequestContext, endpoint
from shared.auth.api_keys import ApiKeyRecord
from shared.listing import ListEnvelope, ListQuery, paginate
from shared.management.providers import Provider, answered_provider
from shared.management.roles import Action
from shared.management.store import management_store
from shared.management.wire import Answer, Name, RequestBody
from shared.platform import get_platform

bp = func.Blueprint()

TAG = "API keys"


class ApiKeyCreate(RequestBody):
    name: Name = Field(description="A name to tell the key apart (1-100 characters).")
    provider: Provider = Field(
        description="The model provider sessions opened with this key use. Its `apiKey` is write-only."
    )


class ApiKey(Answer):
    """A project API key, masked: the key itself is shown only when it is created."""

    id: str = Field(description="The key's id (`key_…`).")
    name: str = Field(description="The key's name.")
    key_hint: str = Field(description="The key's last 4 characters.")
    provider: Provider = Field(description="The key's model provider, without its secrets.")
    created_at: datetime = Field(description="When the key was created (ISO 8601, UTC).")


class ApiKeyCreated(ApiKey):
    """A new API key: `key` is in this answer only. Store it now: it cannot be shown again."""

    key: str = Field(description="The key to send as `X-Api-Key`. Shown once, never again.")


class ApiKeyList(ListEnvelope[ApiKey]):
    """A project's active API keys, oldest first."""


def _masked(record: ApiKeyRecord) -> ApiKey:
    return ApiKey(
        id=record.id,
        name=record.name,
        key_hint=record.key_hint,
        provider=answered_provider(record),
        created_at=record.created_at,
    )


@endpoint(
    bp,
    "POST",
    "manage/projects/{projectId}/api-keys",
    summary="Create an API key",
    description="Admins only. The answer's `key` is shown once: it is stored only as a hash.",
    tag=TAG,
    auth="user",
    body=ApiKeyCreate,
    response=ApiKeyCreated,
    status=201,
    errors=(403, 404),
)
def manage_create_api_key(ctx: RequestContext) -> Reply:
    platform = get_platform()
    store = management_store(platform)
    project_id = ctx.route("projectId")
    store.project(ctx.user, project_id, Action.MANAGE_API_KEYS)  # role before body
    body = ctx.body(ApiKeyCreate)
    record, key = store.create_api_key(
        ctx.user, project_id, body.name, body.provider, platform.secret_box.seal
    )
    answer = ApiKeyCreated(**dict(_masked(record)), key=key)
    return Reply(answer, status=201, headers={"Cache-Control": "no-store"})


@endpoint(
    bp,
    "GET",
    "manage/projects/{projectId}/api-keys",
    summary="List API keys",
    description="Admins only. Keys are masked (`keyHint`); revoked keys are not listed.",
    tag=TAG,
    auth="user",
    query=ListQuery,
    response=ApiKeyList,
    errors=(403, 404),
)
def manage_list_api_keys(ctx: RequestContext) -> ApiKeyList:
    records = management_store(get_platform()).api_keys_of(ctx.user, ctx.route("projectId"))
    query = ctx.query(ListQuery)
    return ApiKeyList(**paginate([_masked(r) for r in records], query, lambda key: key.name))


@endpoint(
    bp,
    "DELETE",
    "manage/projects/{projectId}/api-keys/{keyId}",
    summary="Revoke an API key",
    description="Admins only. The key stops authenticating at once (401 on `/public`).",
    tag=TAG,
    auth="user",
    status=204,
    errors=(403, 404),
)
def manage_revoke_api_key(ctx: RequestContext) -> Reply:
    platform = get_platform()
    management_store(platform).revoke_api_key(
        ctx.user, ctx.route("projectId"), ctx.route("keyId"), on_revoked=platform.api_keys.forget
    )
    return Reply(status=204)
