"""``/public/functions``: a project's functions (tools) that agents let the model call.

Published pages: developers.napster.com/docs/building-your-agent/tools/custom-tools ("Creating
Tools") and the create-tool skill (docs/omniagent-public-api.md section 3): POST, GET list, GET one,
PUT (the published update verb, whole function), DELETE. We also accept PATCH (only the fields sent)
and add ``POST /public/functions/{functionId}/signing-secret/rotate``.

Explicit functions get a signing secret (32 random bytes, base64url), shown once in the answer that
made it and stored sealed; the platform signs each call with it (``x-omniagent-signature``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import azure.functions as func

from api.endpoint import Reply, RequestContext, endpoint, parse_model
from shared.api_errors import conflict, not_found, validation_failed
from shared.catalog.references import refuse_if_channels_use
from shared.catalog.usage import refuse_if_in_use
from shared.concurrency import UPDATE_ATTEMPTS, busy, matching_etag, pause_before_retry, stale
from shared.functions.models import Function, FunctionBody, FunctionPage, FunctionPatch, FunctionRecord
from shared.functions.rules import new_signing_secret
from shared.functions.store import (
    body_of,
    claim_name,
    functions,
    get_function,
    release_name,
    seal_headers,
    seal_signing_secret,
    to_wire,
)
from shared.functions.validation import definition_problems
from shared.ids import new_id
from shared.listing import ListQuery, paginate
from shared.platform import get_platform
from shared.secret_box import SecretBox
from shared.storage import ConcurrencyConflict, NotFound

bp = func.Blueprint()
TAG = "Functions"
ROUTE = "public/functions"
ITEM_ROUTE = "public/functions/{functionId}"


def _box() -> SecretBox:
    return get_platform().secret_box


def _check(body: FunctionBody) -> None:
    settings = get_platform().settings
    problems = definition_problems(body, allow_private=settings.is_local, own_host=settings.app_host)
    if problems:
        summary = "; ".join(f"{p.field}: {p.message}" for p in problems[:5])
        raise validation_failed(f"The function is not valid: {summary}", problems)


def _record(
    function_id: str, body: FunctionBody, sealed_secret: str | None, created: datetime | None = None
) -> FunctionRecord:
    return FunctionRecord(
        id=function_id,
        name=body.data.name,
        description=body.data.description,
        parameters=body.data.parameters,
        flow=body.flow,
        url=body.url,
        sealed_headers=seal_headers(_box(), function_id, body.headers),
        receive_messages=body.receiveMessages,
        prompt=body.prompt,
        connection_behavior=body.connectionBehavior.model_dump() if body.connectionBehavior else None,
        sealed_signing_secret=sealed_secret,
        created=created or datetime.now(UTC),
        updated=None if created is None else datetime.now(UTC),
    )


@endpoint(
    bp,
    "POST",
    ROUTE,
    summary="Create a function",
    tag=TAG,
    auth="api_key",
    body=FunctionBody,
    response=Function,
    status=201,
    errors=(409,),
    description="Creates a function (tool). `data.name` must match `^[a-zA-Z0-9_-]{1,64}$` and be "
    "unique in the project (409); `data.parameters` must be a JSON Schema (2020-12) with "
    '`"type": "object"`; an explicit function needs a `url` (http, https, ws or wss) that does not '
    "point to a loopback, private, link-local or metadata address. An explicit function's answer "
    "carries `signingSecret`, shown this once.",
)
def create_function(ctx: RequestContext) -> Reply:
    body = ctx.body(FunctionBody)
    _check(body)
    project_id, function_id = ctx.api_key.project_id, new_id("fn")
    secret = new_signing_secret() if body.flow == "explicit" else None
    sealed = seal_signing_secret(_box(), function_id, secret) if secret else None
    claim_name(project_id, body.data.name, function_id)
    try:
        stored = functions().create(project_id, _record(function_id, body, sealed))
    except Exception:
        release_name(project_id, body.data.name, function_id)
        raise
    return Reply(
        to_wire(_box(), stored.entity, secret),
        status=201,
        etag=stored.etag,
        headers={"Location": f"/{ROUTE}/{function_id}"},
    )


@endpoint(
    bp,
    "GET",
    ROUTE,
    summary="List the project's functions",
    tag=TAG,
    auth="api_key",
    query=ListQuery,
    response=FunctionPage,
    description="The project's functions in creation order, in the published list envelope; `search` "
    "looks at name and description. Signing secrets are never listed.",
)
def list_functions(ctx: RequestContext) -> dict[str, Any]:
    query = ctx.query(ListQuery)
    records = sorted(functions().list_all(ctx.api_key.project_id), key=lambda r: (r.created, r.id))
    page = paginate(records, query, lambda r: f"{r.name} {r.description}")
    page["items"] = [to_wire(_box(), record) for record in page["items"]]
    return page


@endpoint(
    bp,
    "GET",
    ITEM_ROUTE,
    summary="Get a function",
    tag=TAG,
    auth="api_key",
    response=Function,
    errors=(404,),
    description="A function of the key's project, with its `ETag` (never its signing secret).",
)
def get_function_by_id(ctx: RequestContext) -> Reply:
    stored = get_function(ctx.api_key.project_id, ctx.route("functionId"))
    return Reply(to_wire(_box(), stored.entity), etag=stored.etag)


def _update(ctx: RequestContext, new_body: Callable[[FunctionRecord], FunctionBody]) -> Reply:
    """Replace the function with ``new_body(current)``: validated, name claimed, ETag-conditional.

    With ``If-Match`` a stale ETag or a concurrent write is 412; without it a concurrent write makes us
    read again and re-apply, so no other request's update is lost.
    """
    project_id, function_id = ctx.api_key.project_id, ctx.route("functionId")
    for attempt in range(UPDATE_ATTEMPTS):
        pause_before_retry(attempt)
        stored = get_function(project_id, function_id)
        matching_etag(ctx.if_match, stored.etag, "function")
        current = stored.entity
        body = new_body(current)
        _check(body)
        secret: str | None = None
        sealed = current.sealed_signing_secret if body.flow == "explicit" else None
        if body.flow == "explicit" and sealed is None:
            secret = new_signing_secret()  # became explicit: shown in this answer only
            sealed = seal_signing_secret(_box(), function_id, secret)
        renamed = body.data.name != current.name
        claimed = claim_name(project_id, body.data.name, function_id) if renamed else False
        try:
            written = functions().update(
                project_id, _record(function_id, body, sealed, created=current.created), stored.etag
            )
        except (ConcurrencyConflict, NotFound) as error:
            if claimed:
                release_name(project_id, body.data.name, function_id)
            if isinstance(error, NotFound):
                raise not_found("Function", function_id) from None
            if ctx.if_match:
                raise stale("function") from None
            continue
        if renamed:
            release_name(project_id, current.name, function_id)
        return Reply(to_wire(_box(), written.entity, secret), etag=written.etag)
    raise busy("function")


@endpoint(
    bp,
    "PUT",
    ITEM_ROUTE,
    summary="Update a function",
    tag=TAG,
    auth="api_key",
    body=FunctionBody,
    response=Function,
    errors=(404, 409, 412),
    description="Replaces the whole function (the published update). Same rules as create; with "
    "`If-Match`, only if the function still has that ETag (else 412). Making a function explicit "
    "answers its new `signingSecret` once.",
)
def put_function(ctx: RequestContext) -> Reply:
    body = ctx.body(FunctionBody)
    return _update(ctx, lambda _current: body)


@endpoint(
    bp,
    "PATCH",
    ITEM_ROUTE,
    summary="Update some fields of a function",
    tag=TAG,
    auth="api_key",
    body=FunctionPatch,
    response=Function,
    errors=(404, 409, 412),
    description="Extension: changes only the fields sent (`data` fields one by one); `null` clears an "
    "optional field. Same rules and ETag handling as PUT.",
)
def patch_function(ctx: RequestContext) -> Reply:
    patch = ctx.body(FunctionPatch)

    def merged(current: FunctionRecord) -> FunctionBody:
        base = body_of(_box(), current).model_dump()
        for name in patch.model_fields_set:
            if name == "data" and patch.data is not None:
                for field in patch.data.model_fields_set:
                    base["data"][field] = getattr(patch.data, field)
            else:
                value = getattr(patch, name)
                base[name] = value.model_dump() if hasattr(value, "model_dump") else value
        return parse_model(FunctionBody, base)

    return _update(ctx, merged)


@endpoint(
    bp,
    "DELETE",
    ITEM_ROUTE,
    summary="Delete a function",
    tag=TAG,
    auth="api_key",
    status=204,
    errors=(404, 409, 412),
    description="Deletes the function. 409 while an agent (or an agent's channel config) uses it.",
)
def delete_function(ctx: RequestContext) -> Reply:
    project_id, function_id = ctx.api_key.project_id, ctx.route("functionId")
    stored = get_function(project_id, function_id)
    matching_etag(ctx.if_match, stored.etag, "function")
    tables = get_platform().tables
    refuse_if_in_use(tables, project_id, "function", function_id)
    refuse_if_channels_use(tables, project_id, "function", function_id)
    functions().delete(project_id, function_id, stored.etag)
    release_name(project_id, stored.entity.name, function_id)
    return Reply(status=204)


@endpoint(
    bp,
    "POST",
    "public/functions/{functionId}/signing-secret/rotate",
    summary="Rotate a function's signing secret",
    tag=TAG,
    auth="api_key",
    response=Function,
    errors=(404, 409, 412),
    description="Extension: replaces the signing secret of an explicit function and answers the new "
    "`signingSecret`, shown this once; the old one stops working at once. 409 for an implicit function.",
)
def rotate_signing_secret(ctx: RequestContext) -> Reply:
    project_id, function_id = ctx.api_key.project_id, ctx.route("functionId")
    for attempt in range(UPDATE_ATTEMPTS):
        pause_before_retry(attempt)
        stored = get_function(project_id, function_id)
        matching_etag(ctx.if_match, stored.etag, "function")
        if stored.entity.flow != "explicit":
            raise conflict("FunctionNotExplicit", "Only explicit functions have a signing secret.")
        secret = new_signing_secret()
        record = stored.entity.model_copy(
            update={
                "sealed_signing_secret": seal_signing_secret(_box(), function_id, secret),
                "updated": datetime.now(UTC),
            }
        )
        try:
            written = functions().update(project_id, record, stored.etag)
        except ConcurrencyConflict:
            if ctx.if_match:
                raise stale("function") from None
            continue
        return Reply(to_wire(_box(), written.entity, secret), etag=written.etag)
    raise busy("function")
