"""Functions (tools): the stored record and the published wire shapes.

Published body (developers.napster.com/docs/building-your-agent/tools/custom-tools and the create-tool
skill; docs/omniagent-public-api.md section 3): ``{"data": {name, description, parameters}, "flow":
"implicit"|"explicit", "url", "headers", "receiveMessages", "prompt", "connectionBehavior"}``.
Our additive answer fields: ``id``, ``created``, ``updated``, ``hasSigningSecret`` and, once,
``signingSecret``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.listing import ListEnvelope
from shared.request_json import NotNull

Flow = Literal["implicit", "explicit"]


class WireModel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")  # unknown fields: 400 naming them


class FunctionData(WireModel):
    """What the model sees: the function's name, description and JSON Schema of its arguments."""

    name: str = Field(
        description="The name the model calls: 1-64 letters, digits, `_` or `-`; unique in the project."
    )
    description: str = Field(max_length=8000, description="What the function does, for the model.")
    parameters: dict[str, Any] = Field(
        description='JSON Schema (draft 2020-12) of the arguments; an object schema (`"type": "object"`).'
    )


class ConnectionBehavior(WireModel):
    """How a session treats a WebSocket function's connection (WebSocket explicit functions only)."""

    waitBeforeStart: bool = Field(
        default=False, description="Wait for the connection before the session starts."
    )
    abortOnFailure: bool = Field(default=False, description="End the session if the connection fails.")


class FunctionBody(WireModel):
    """Body of ``POST /public/functions`` and ``PUT /public/functions/{functionId}`` (whole function)."""

    data: FunctionData = Field(description="The function as the model sees it.")
    flow: Flow = Field(
        description="`implicit`: the connected client runs it (`function_implicitly_called`); `explicit`: "
        "the platform calls `url`."
    )
    url: str | None = Field(
        None, max_length=2048, description="Endpoint of an explicit function: http, https, ws or wss URL."
    )
    headers: dict[str, str] | None = Field(default=None, description="Headers sent with each explicit call.")
    receiveMessages: bool | None = Field(
        None, description="WebSocket explicit functions: stream the conversation to the endpoint."
    )
    prompt: str | None = Field(
        None, max_length=8000, description="Guidance added to the system prompt under the function's name."
    )
    connectionBehavior: ConnectionBehavior | None = Field(
        None, description="WebSocket explicit functions: `{waitBeforeStart, abortOnFailure}`."
    )


class FunctionDataPatch(WireModel):
    """Fields of ``data`` to change."""

    name: NotNull[str] = Field(default=None, description="New name (unique in the project).")
    description: NotNull[Annotated[str, Field(max_length=8000)]] = Field(
        default=None, description="New description."
    )
    parameters: NotNull[dict[str, Any]] = Field(default=None, description="New JSON Schema of the arguments.")


class FunctionPatch(WireModel):
    """Body of ``PATCH /public/functions/{functionId}``: only the fields sent change (`null` clears an
    optional one; `data`, `flow` and the fields of `data` are required and cannot be null)."""

    data: NotNull[FunctionDataPatch] = Field(default=None, description="Fields of `data` to change.")
    flow: NotNull[Flow] = Field(default=None, description="`implicit` or `explicit`.")
    url: str | None = Field(default=None, max_length=2048, description="Endpoint of an explicit function.")
    headers: dict[str, str] | None = Field(default=None, description="Replaces all headers.")
    receiveMessages: bool | None = Field(
        default=None, description="Stream the conversation (WebSocket only)."
    )
    prompt: str | None = Field(default=None, max_length=8000, description="Guidance for the system prompt.")
    connectionBehavior: ConnectionBehavior | None = Field(
        default=None, description="WebSocket connection behavior."
    )


class FunctionRecord(BaseModel):
    """A project's function as stored (partition = project id). Headers and the signing secret are
    sealed with the secret box, owned by the function id."""

    id: str = Field(description="Function id (`fn_…`).")
    name: str = Field(description="`data.name`: the name the model calls.")
    description: str = Field(description="`data.description`.")
    parameters: dict[str, Any] = Field(description="`data.parameters`: the arguments' JSON Schema.")
    flow: str = Field(description="`implicit` or `explicit`.")
    url: str | None = Field(default=None, description="Endpoint of an explicit function.")
    sealed_headers: str | None = Field(
        None, description="The headers as JSON, sealed (owner `<id>:headers`)."
    )
    receive_messages: bool | None = Field(default=None, description="`receiveMessages`.")
    prompt: str | None = Field(default=None, description="Guidance for the system prompt.")
    connection_behavior: dict[str, bool] | None = Field(default=None, description="`connectionBehavior`.")
    sealed_signing_secret: str | None = Field(
        None, description="The signing secret, sealed (owner = the function id); explicit functions only."
    )
    created: datetime = Field(default_factory=lambda: datetime.now(UTC), description="Creation time (UTC).")
    updated: datetime | None = Field(default=None, description="Last update time (UTC).")


class Function(WireModel):
    """A function as answered: the published body plus `id` and our extensions."""

    id: str = Field(description="Function id (`fn_…`).")
    data: FunctionData = Field(description="The function as the model sees it.")
    flow: Flow = Field(description="`implicit` or `explicit`.")
    url: str | None = Field(description="Endpoint of an explicit function.")
    headers: dict[str, str] | None = Field(description="Headers sent with each explicit call.")
    receiveMessages: bool | None = Field(description="Stream the conversation (WebSocket only).")
    prompt: str | None = Field(description="Guidance for the system prompt.")
    connectionBehavior: ConnectionBehavior | None = Field(description="WebSocket connection behavior.")
    hasSigningSecret: bool = Field(description="Extension: whether explicit calls are signed.")
    signingSecret: str | None = Field(
        None,
        description="Extension: the HMAC-SHA256 key of explicit calls (`x-omniagent-signature`); present "
        "only in the answer that created it (create, rotate, or an update that made the function "
        "explicit). Store it: it is never shown again.",
    )
    created: int = Field(description="Creation time, unix seconds.")
    updated: int | None = Field(description="Last update time, unix seconds, or null.")


class FunctionPage(ListEnvelope[Function]):
    """The published list envelope of functions."""
