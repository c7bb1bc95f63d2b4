"""How every HTTP trigger of the API is declared and answered.

``@endpoint(bp, "POST", "public/agents", ...)`` registers the trigger on a blueprint and records an
``EndpointSpec`` for the OpenAPI document. The wrapper does what every route needs, once:

- a request id on every answer (``X-Request-Id``: the caller's, or a new one);
- authentication (``X-Api-Key`` or ``Authorization: Bearer``; on ``/public`` a bearer with
  ``X-Project-Id``, ``shared.auth.project_members``) and the per-key (or per-user) rate limit;
- the body's size, before anything reads or parses it (``max_body_bytes``, default 1 MiB: 413
  naming the limit; ``shared.body_limits``);
- body and query validation through the declared pydantic models (400 with field ``details``);
- the error body for every ``ApiError``, the mapping of storage conflicts, and a bare 500 (with the
  request id, never the exception's text) for the unexpected.
Handlers receive a ``RequestContext`` and return a ``Reply`` (or a model, answered 200).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import azure.durable_functions as df
import azure.functions as func
from azure.core.exceptions import ServiceRequestError, ServiceResponseError
from pydantic import BaseModel, ValidationError

from shared import request_json
from shared.api_errors import (
    ApiError,
    ErrorKind,
    FieldError,
    internal_error,
    invalid_field,
    precondition_failed,
    service_unavailable,
    validation_failed,
)
from shared.auth.principals import ApiKeyPrincipal, UserPrincipal
from shared.auth.project_members import KEY_HEADER, PROJECT_HEADER, signed_in_principal
from shared.body_limits import DEFAULT_MAX_BODY_BYTES, MAX_JSON_BODY_BYTES, check_body_size, too_large
from shared.management.roles import public_action
from shared.management.store import management_store
from shared.openapi import AuthScheme, EndpointSpec
from shared.platform import get_platform
from shared.storage import AlreadyExists, ConcurrencyConflict, InvalidCursor, NotFound

log = logging.getLogger("omniagent.api")

ENDPOINTS: list[EndpointSpec] = []
REQUEST_ID_HEADER = "X-Request-Id"

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass
class Reply:
    payload: BaseModel | dict[str, Any] | list[Any] | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    raw_body: bytes | None = None
    content_type: str = "application/json"


class DurableClient:
    """The durable client for synchronous handlers: each call runs on the event loop the trigger was
    invoked on (where the SDK's HTTP session lives) and waits for its answer."""

    def __init__(self, client: df.DurableOrchestrationClient, loop: asyncio.AbstractEventLoop) -> None:
        self._client = client
        self._loop = loop

    def start_new(self, orchestrator: str, instance_id: str, client_input: Any) -> str:
        return str(self._run(self._client.start_new(orchestrator, instance_id, client_input)))

    def raise_event(self, instance_id: str, event_name: str, data: Any = None) -> None:
        self._run(self._client.raise_event(instance_id, event_name, data))

    def _run(self, call: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(call, self._loop).result(timeout=60)


@dataclass
class RequestContext:
    request: func.HttpRequest
    spec: EndpointSpec
    request_id: str
    principal: ApiKeyPrincipal | UserPrincipal | None
    durable: DurableClient | None = None

    @property
    def api_key(self) -> ApiKeyPrincipal:
        assert isinstance(self.principal, ApiKeyPrincipal), "endpoint is not declared with auth='api_key'"
        return self.principal

    @property
    def user(self) -> UserPrincipal:
        assert isinstance(self.principal, UserPrincipal), "endpoint is not declared with auth='user'"
        return self.principal

    def route(self, name: str) -> str:
        return self.request.route_params[name]

    def body(self, model: type[ModelT]) -> ModelT:
        """The JSON body as ``model``, by the rules of ``shared.request_json`` (415, 400)."""
        raw = self.request.get_body()
        if len(raw) > MAX_JSON_BODY_BYTES:  # a route taking larger uploads still parses no more JSON
            raise too_large(len(raw), MAX_JSON_BODY_BYTES)
        request_json.check_json_media_type(self.request.headers.get("Content-Type"))
        if not raw.strip():
            raise validation_failed("A JSON request body is required.")
        try:
            data = request_json.loads(raw)
        except request_json.InvalidJson as bad:
            raise validation_failed(f"The request body is not valid: {bad}") from None
        parsed = parse_model(model, data, extra=request_json.extra_rule(model))
        if loose := request_json.loose_booleans(parsed, data):
            raise request_json.boolean_error(loose)
        return parsed

    def query(self, model: type[ModelT]) -> ModelT:
        return parse_model(model, dict(self.request.params), location="query")

    @property
    def if_match(self) -> str | None:
        value = self.request.headers.get("If-Match")
        return value.strip() if value else None


def parse_model(
    model: type[ModelT], data: Any, location: str = "", extra: Literal["forbid"] | None = None
) -> ModelT:
    try:
        return model.model_validate(data, extra=extra)
    except ValidationError as error:
        details = [
            FieldError(_field_path(location, e["loc"], data), e["msg"])
            for e in error.errors(include_url=False)
        ]
        summary = "; ".join(f"{d.field}: {d.message}" for d in details[:5])
        raise validation_failed(f"The request is not valid: {summary}", details) from None


def _field_path(location: str, loc: tuple[Any, ...], data: Any) -> str:
    """The offending field as the caller wrote it: ``functions[1]``, ``provider.endpoint``.

    pydantic's location also names the union member it tried (``provider.azure-openai.endpoint``);
    such steps are not in the request, so they are left out.
    """
    path = location
    for step in loc:
        if isinstance(step, int) and isinstance(data, list):
            path += f"[{step}]"
            data = data[step] if step < len(data) else None
        elif isinstance(data, dict) and step not in data and step in data.values():
            continue  # the tag of the union member pydantic tried (``"type": "azure-openai"``)
        else:
            path = f"{path}.{step}" if path else str(step)
            data = data.get(step) if isinstance(data, dict) else None
    return path


def endpoint(
    blueprint: func.Blueprint,
    method: str,
    route: str,
    *,
    summary: str,
    tag: str,
    auth: AuthScheme,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    response_is_list: bool = False,
    status: int = 200,
    other_successes: dict[int, str] | None = None,
    errors: tuple[int, ...] = (),
    description: str = "",
    body_content_types: tuple[str, ...] = ("application/json",),
    other_bodies: dict[str, type[BaseModel]] | None = None,
    response_media_type: str | None = None,
    rate_limit_bucket: str | None = None,
    durable_client: bool = False,
    documented: bool = True,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> Callable[[Callable[[RequestContext], Any]], Callable[[RequestContext], Any]]:
    """Declare an endpoint; with ``durable_client`` (on a ``df.Blueprint``) the handler gets
    ``ctx.durable`` to start orchestrations and raise events. ``documented=False`` keeps a route that
    is no customer API (the Marketplace's landing page and webhook) out of the OpenAPI document.
    ``max_body_bytes``: the largest body taken (413 above, before parsing); raise it only for an
    upload, whose own documented limit it should be."""

    def decorate(handler: Callable[[RequestContext], Any]) -> Callable[[RequestContext], Any]:
        spec = EndpointSpec(
            method=method,
            route=route,
            operation_id=handler.__name__,
            summary=summary,
            tag=tag,
            auth=auth,
            body=body,
            query=query,
            response=response,
            response_is_list=response_is_list,
            status=status,
            other_successes=other_successes or {},
            # 503: storage (or another service the operation needs) unreachable, on any operation.
            errors=tuple(sorted(set(errors) | ({400} if body or query else set()) | {503})),
            description=description,
            body_content_types=body_content_types,
            other_bodies=other_bodies or {},
            response_media_type=response_media_type,
            max_body_bytes=max_body_bytes,
        )
        if documented:
            ENDPOINTS.append(spec)

        route_binding = blueprint.route(route=route, methods=[method], auth_level=func.AuthLevel.ANONYMOUS)
        if durable_client:
            assert isinstance(blueprint, df.Blueprint), "durable endpoints need a df.Blueprint"

            async def durable_trigger(
                req: func.HttpRequest, client: df.DurableOrchestrationClient
            ) -> func.HttpResponse:
                durable = DurableClient(client, asyncio.get_running_loop())
                # Storage calls are blocking: the handler runs on a worker thread, off the event loop.
                return await asyncio.to_thread(handle, spec, handler, req, rate_limit_bucket, durable)

            durable_trigger.__name__ = handler.__name__
            blueprint.function_name(handler.__name__)(
                route_binding(blueprint.durable_client_input(client_name="client")(durable_trigger))
            )
            return handler

        def trigger(req: func.HttpRequest) -> func.HttpResponse:
            return handle(spec, handler, req, rate_limit_bucket)

        trigger.__name__ = handler.__name__
        blueprint.function_name(handler.__name__)(route_binding(trigger))
        return handler

    return decorate


def handle(
    spec: EndpointSpec,
    handler: Callable[[RequestContext], Any],
    req: func.HttpRequest,
    rate_limit_bucket: str | None = None,
    durable: DurableClient | None = None,
) -> func.HttpResponse:
    request_id = (req.headers.get(REQUEST_ID_HEADER) or "").strip()[:128] or uuid.uuid4().hex
    try:
        # Before authentication too: refusing costs nothing, and no storage read is spent on it.
        check_body_size(req.headers, req.get_body(), spec.max_body_bytes)
        principal = (  # failed authentications are limited per client address (shared.auth.failed_attempts)
            get_platform().failed_authentications.guard(req.headers, lambda: _authenticate(spec, req))
            if spec.auth != "none"
            else None
        )
        if isinstance(principal, ApiKeyPrincipal):
            get_platform().rate_limiter.check(principal.rate_limit_key, rate_limit_bucket or "default")
        result = handler(RequestContext(req, spec, request_id, principal, durable))
        reply = result if isinstance(result, Reply) else Reply(result)
        return _answer(reply, request_id)
    except ApiError as error:
        return _error_answer(error, request_id)
    except NotFound:
        return _error_answer(
            ApiError(404, "NotFound", "The resource was not found.", ErrorKind.NOT_FOUND), request_id
        )
    except ConcurrencyConflict:
        return _error_answer(
            precondition_failed("The resource was changed by another request: read it again."), request_id
        )
    except AlreadyExists:
        return _error_answer(
            ApiError(409, "AlreadyExists", "The resource already exists.", ErrorKind.CONFLICT), request_id
        )
    except InvalidCursor:
        return _error_answer(invalid_field("cursor", "is not a cursor this API issued"), request_id)
    except (ServiceRequestError, ServiceResponseError) as unreachable:  # storage down or cut off
        log.warning("%s %s (request %s): %r", spec.method, spec.route, request_id, unreachable)
        return _error_answer(service_unavailable(), request_id)
    except Exception:
        log.exception("Unhandled error in %s %s (request %s)", spec.method, spec.route, request_id)
        return _error_answer(internal_error(), request_id)


def _authenticate(spec: EndpointSpec, req: func.HttpRequest) -> ApiKeyPrincipal | UserPrincipal | None:
    platform, scheme = get_platform(), spec.auth
    if scheme == "api_key":
        api_key, authorization = req.headers.get("X-Api-Key"), req.headers.get("Authorization")
        if not api_key and authorization and authorization.lower().startswith("bearer "):
            # A signed-in user (Playground, dashboard): acts through one of the project's keys.
            return signed_in_principal(
                management_store(platform),
                platform.tokens.authenticate(authorization),
                req.headers.get(PROJECT_HEADER),
                req.headers.get(KEY_HEADER),
                public_action(spec.method, spec.path),
            )
        return platform.api_keys.authenticate(api_key)
    if scheme == "user":
        return platform.tokens.authenticate(req.headers.get("Authorization"))
    return None


def _answer(reply: Reply, request_id: str) -> func.HttpResponse:
    headers = {REQUEST_ID_HEADER: request_id, **reply.headers}
    if reply.etag:
        headers["ETag"] = reply.etag
    if reply.raw_body is not None:
        return func.HttpResponse(
            reply.raw_body, status_code=reply.status, headers=headers, mimetype=reply.content_type
        )
    if reply.payload is None:
        return func.HttpResponse(status_code=204 if reply.status == 200 else reply.status, headers=headers)
    return func.HttpResponse(
        json.dumps(to_json(reply.payload)),
        status_code=reply.status,
        headers=headers,
        mimetype="application/json",
    )


def to_json(payload: Any) -> Any:
    if isinstance(payload, BaseModel):
        return payload.model_dump(mode="json", by_alias=True)
    if isinstance(payload, list):
        return [to_json(item) for item in payload]
    if isinstance(payload, dict):
        return {key: to_json(value) for key, value in payload.items()}
    return payload


def _error_answer(error: ApiError, request_id: str) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(error.body()),
        status_code=error.status,
        headers={REQUEST_ID_HEADER: request_id, **error.headers},
        mimetype="application/json",
    )
