"""The OpenAPI 3.1 document, generated from the endpoint specs and their pydantic models.

The same models validate requests and serialise answers, so the document cannot drift from the
code: one source of truth per shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shared.auth.project_members import KEY_HEADER, PROJECT_HEADER
from shared.body_limits import DEFAULT_MAX_BODY_BYTES
from shared.management.roles import public_action, roles_allowed

AuthScheme = Literal["api_key", "user", "none"]

_ROUTE_PARAMETER = re.compile(r"\{\*?([A-Za-z_][A-Za-z0-9_]*)[^}]*\}")


@dataclass(frozen=True)
class EndpointSpec:
    method: str
    route: str
    operation_id: str
    summary: str
    tag: str
    auth: AuthScheme
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    response_is_list: bool = False
    status: int = 200
    errors: tuple[int, ...] = ()
    description: str = ""
    body_content_types: tuple[str, ...] = ("application/json",)
    # Other request bodies the endpoint takes, by content type (e.g. a multipart upload's parts).
    other_bodies: dict[str, type[BaseModel]] = field(default_factory=dict)
    # Other success statuses answering the same body, with what each means.
    other_successes: dict[int, str] = field(default_factory=dict)
    # A success answered as bytes of this media type (e.g. `audio/wav`) instead of a JSON `response`.
    response_media_type: str | None = None
    # The largest body the operation takes, refused with 413 before it is parsed (JSON: at most
    # shared.body_limits.MAX_JSON_BODY_BYTES whatever this says).
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    @property
    def path(self) -> str:
        """The OpenAPI path: ``/public/agents/{agentId}`` (catch-all and constraints removed)."""
        return "/" + _ROUTE_PARAMETER.sub(lambda m: "{" + m.group(1) + "}", self.route).strip("/")

    @property
    def path_parameters(self) -> list[str]:
        return _ROUTE_PARAMETER.findall(self.route)


_ERROR_DESCRIPTIONS = {
    400: "The request is not valid: `details` names each offending field.",
    401: "Missing or invalid credentials.",
    402: "The organization's subscription does not allow this.",
    403: "The caller's role does not allow this.",
    404: "No such resource in the caller's project or organization.",
    409: "The request conflicts with the resource's state.",
    412: "The `If-Match` ETag is stale: read the resource again.",
    413: "The body is larger than the operation takes (`x-omniagent-max-body-bytes`); the "
    "description names the limit in bytes. Nothing is written.",
    415: "The body's `Content-Type` is not one the operation takes (JSON bodies: `application/json` or "
    "a `+json` type; no `Content-Type` is read as JSON). Nothing is written.",
    429: "Too many requests: retry after `Retry-After` seconds.",
    501: "The request is valid, but this version does not carry it out yet; nothing was done.",
    503: "A service the operation needs is unavailable: retry after `Retry-After` seconds.",
}


# What a signed-in caller of /public may get on any operation: no X-Project-Id (400), not in the
# project's organization (404), no usable API key in the project (409).
_SIGNED_IN_ERRORS = frozenset({400, 404, 409})


class ErrorBody(BaseModel):
    """The error answer of every endpoint (the published Omniagent error body)."""

    code: str
    description: str
    type: int
    numericType: int
    details: list[dict[str, str]] | None = None


def build_document(specs: list[EndpointSpec], title: str, version: str) -> dict[str, Any]:
    models: set[type[BaseModel]] = {ErrorBody}
    for spec in specs:
        models.update(m for m in (spec.body, spec.response) if m is not None)
        models.update(spec.other_bodies.values())
    ordered = sorted(models, key=lambda m: m.__name__)
    refs, definitions = models_json_schema(
        [(m, "validation" if _is_request(m, specs) else "serialization") for m in ordered],
        ref_template="#/components/schemas/{model}",
        by_alias=True,
    )
    schema_ref: dict[Any, Any] = {model: refs[(model, mode)] for (model, mode) in refs}

    paths: dict[str, dict[str, Any]] = {}
    for spec in specs:
        operation: dict[str, Any] = {
            "operationId": spec.operation_id,
            "summary": spec.summary,
            "tags": [spec.tag],
            "parameters": _parameters(spec),
            "responses": _responses(spec, schema_ref),
        }
        if spec.description:
            operation["description"] = spec.description
        if spec.auth == "api_key":
            # An API key, or a signed-in user of the project (the Playground, the dashboard).
            operation["security"] = [{"ApiKeyAuth": []}, {"BearerAuth": [], "ProjectIdHeader": []}]
            operation["x-omniagent-roles"] = roles_allowed(public_action(spec.method, spec.path))
        elif spec.auth == "user":
            operation["security"] = [{"BearerAuth": []}]
        else:
            operation["security"] = []
        if spec.body is not None:
            content = {ct: {"schema": schema_ref[spec.body]} for ct in spec.body_content_types}
            content.update({ct: {"schema": schema_ref[model]} for ct, model in spec.other_bodies.items()})
            operation["requestBody"] = {"required": True, "content": content}
            operation["x-omniagent-max-body-bytes"] = spec.max_body_bytes
        paths.setdefault(spec.path, {})[spec.method.lower()] = operation

    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "ApiKeyAuth": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Api-Key",
                    "description": "API key for authentication. Passed as a header on every request.",
                },
                "BearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "ProjectIdHeader": {
                    "type": "apiKey",
                    "in": "header",
                    "name": PROJECT_HEADER,
                    "description": "With a management bearer token on /public: the project to act in. "
                    "The user must be in the project's organization (else 404); Members may call the "
                    "operations whose `x-omniagent-roles` name `member` (reads, connections, knowledge "
                    "search), Admins all (403 otherwise). One of the project's active keys provides "
                    f"the model: the one named by `{KEY_HEADER}`, else the oldest (409 `NoApiKey` "
                    "when the project has none).",
                },
            },
        },
    }


def _is_request(model: type[BaseModel], specs: list[EndpointSpec]) -> bool:
    bodies = {spec.body for spec in specs} | {m for spec in specs for m in spec.other_bodies.values()}
    return model in bodies and not any(spec.response is model for spec in specs)


def _parameters(spec: EndpointSpec) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in spec.path_parameters
    ]
    if spec.query is not None:
        schema = spec.query.model_json_schema(by_alias=True)
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            parameters.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    if spec.auth == "api_key":
        parameters.append(
            {"name": "X-API-Version", "in": "header", "required": False, "schema": {"type": "string"}}
        )
        parameters.append(
            {
                "name": KEY_HEADER,
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
                "description": "With a bearer token and `X-Project-Id`: which of the project's active "
                "keys provides the model and voices (default: its oldest active key). 404 if it is not "
                "a key of the project, 409 `ApiKeyRevoked` if revoked.",
            }
        )
    if spec.method in ("PATCH", "PUT"):
        parameters.append(
            {
                "name": "If-Match",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
                "description": "Update only if the resource still has this ETag (else 412).",
            }
        )
    return parameters


def _responses(spec: EndpointSpec, schema_ref: dict[Any, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, description in {spec.status: "Success.", **spec.other_successes}.items():
        if spec.response is not None:
            schema = schema_ref[spec.response]
            if spec.response_is_list:
                schema = {"type": "array", "items": schema}
            responses[str(status)] = {
                "description": description,
                "content": {"application/json": {"schema": schema}},
            }
        elif spec.response_media_type is not None:
            binary = {"type": "string", "contentMediaType": spec.response_media_type}
            responses[str(status)] = {
                "description": description,
                "content": {spec.response_media_type: {"schema": binary}},
            }
        else:
            responses[str(status)] = {"description": description}
    error_schema = schema_ref[ErrorBody]
    statuses = set(spec.errors) | (
        _SIGNED_IN_ERRORS | {401, 429} if spec.auth == "api_key" else {401} if spec.auth == "user" else set()
    )
    if spec.auth != "none":
        statuses.add(429)  # too many failed authentications from the caller's address (/manage too)
    if spec.auth == "api_key" and "member" not in roles_allowed(public_action(spec.method, spec.path)):
        statuses.add(403)  # a signed-in Member calling an Admin-only operation
    if spec.body is not None:
        statuses.add(413)  # over the operation's x-omniagent-max-body-bytes
    if spec.body is not None and "application/json" in spec.body_content_types:
        statuses.add(415)  # a body sent as another type (shared.request_json)
    for status in sorted(statuses):
        responses[str(status)] = {
            "description": _ERROR_DESCRIPTIONS.get(status, "Error."),
            "content": {"application/json": {"schema": error_schema}},
        }
    return responses
