"""Durable HTTP calls (``context.call_http``): the extension's built-in HTTP activity, run by the host.

What the Durable extension does, and so the devhost (``TaskHttpActivityShim`` and
``DurableOrchestrationContext.CallHttpAsync`` in azure-functions-durable-extension):

* The orchestrator's ``CallHttp`` action is a task named ``BuiltIn::HttpActivity``: ``TaskScheduled``
  with the request as its input (``[request]``), then ``TaskCompleted`` whose result is the
  ``DurableHttpResponse`` JSON the SDK hands to the orchestrator: ``{"statusCode", "headers",
  "content"}``. Any status is a response (a 500 too); only a transport error or the client's
  timeout (240 s) fails the task.
* ``headers`` are .NET's ``HttpResponseMessage.Headers``: the response headers without the content
  headers (``Content-Type``, ``Content-Length``, ...); one value is a string, several a list.
* A request ``Content-Type`` header types the content; content without one is ``text/plain``.
* A 202 with ``Location`` is polled: wait ``Retry-After`` seconds (else 30 s), ``GET`` the location
  with the same headers (less ``x-functions-key``) and token source, until an answer that is not 202,
  unless the request says ``asynchronousPatternEnabled: false``.
* ``ManagedIdentityTokenSource(resource)``: a bearer token from azure-identity's
  ``DefaultAzureCredential`` (the extension uses the .NET one), the management and Graph roots
  mapped to their ``/.default`` scopes. Locally that credential finds a service principal, an
  ``az login``, or a managed-identity endpoint; with none, the task fails naming those settings.

The difference: the extension records each poll in the history (a durable timer and one more
``BuiltIn::HttpActivity`` task), while the devhost polls between the call's one ``TaskScheduled`` and
its ``TaskCompleted``, because the Python SDK numbers one task per ``call_http`` and would match the
extra events to the orchestrator's next tasks. Each poll is a delayed work message, so a restart goes
on polling the location instead of sending the first request again.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import aiohttp

from .history import NO_DETAILS, EventType, HistoryEvent, event
from .store import Message, NewMessage

if TYPE_CHECKING:
    from .engine import DurableEngine
    from .scheduling import Step

HTTP_ACTIVITY_NAME = "BuiltIn::HttpActivity"
HTTP_WORK = "http"

# The extension's HttpClient.Timeout (DurableHttpClientFactory) and its
# httpSettings.defaultAsyncRequestSleepTimeMilliseconds default.
CLIENT_TIMEOUT_S = 240.0
DEFAULT_POLL_INTERVAL_S = 30.0

# .NET keeps these in HttpContent.Headers, not HttpResponseMessage.Headers, so the
# DurableHttpResponse the extension builds from the latter never carries them.
CONTENT_HEADERS = frozenset(
    {
        "allow",
        "content-disposition",
        "content-encoding",
        "content-language",
        "content-length",
        "content-location",
        "content-md5",
        "content-range",
        "content-type",
        "expires",
        "last-modified",
    }
)

# ManagedIdentityTokenSource maps these resources to scopes; any other resource is the scope itself.
_SCOPES = {
    "https://management.core.windows.net": "https://management.core.windows.net/.default",
    "https://graph.microsoft.com": "https://graph.microsoft.com/.default",
}
MANAGED_IDENTITY_KIND = "AzureManagedIdentity"
CREDENTIAL_SETTINGS = (
    "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (a service principal), `az login`, "
    "or IDENTITY_ENDPOINT and IDENTITY_HEADER (a managed-identity endpoint); "
    "AZURE_TOKEN_CREDENTIALS picks one of them"
)


class HttpCallFailed(Exception):
    """Fails the call_http task: ``reason`` is the TaskFailed reason the orchestrator sees."""

    def __init__(self, reason: str, details: str = NO_DETAILS) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


@dataclass(frozen=True)
class DurableHttpRequest:
    """The SDK's ``httpRequest`` JSON, checked: what one attempt sends."""

    method: str
    uri: str
    headers: list[tuple[str, str]]
    content_type: str | None
    content: str | None
    token_resource: str | None

    @classmethod
    def from_json(cls, request: dict[str, Any]) -> DurableHttpRequest:
        method = str(request.get("method") or "GET").upper()
        uri = request.get("uri")
        if not isinstance(uri, str) or urlsplit(uri).scheme not in ("http", "https"):
            raise HttpCallFailed(f"call_http needs an absolute http or https uri, not {uri!r}.")
        headers: list[tuple[str, str]] = []
        content_type = None
        for name, values in (request.get("headers") or {}).items():
            for value in values if isinstance(values, list) else [values]:
                if name.lower() != "content-type":
                    headers.append((name, str(value)))
                elif "multipart" in str(value):
                    raise HttpCallFailed("Multipart content is not supported with CallHttpAsync.")
                else:
                    content_type = str(value)
        return cls(
            method=method,
            uri=uri,
            headers=headers,
            content_type=content_type,
            content=request.get("content"),
            token_resource=_token_resource(request.get("tokenSource")),
        )


def _token_resource(token_source: Any) -> str | None:
    if token_source is None:
        return None
    kind = token_source.get("kind") if isinstance(token_source, dict) else None
    if kind != MANAGED_IDENTITY_KIND or not isinstance(token_source.get("resource"), str):
        raise HttpCallFailed(f"The token source kind {json.dumps(kind)} is not supported.")
    resource: str = token_source["resource"]
    return resource


# -- scheduling (scheduling.SCHEDULERS[ActionType.CALL_HTTP]) ----------------------------------


def schedule_http_call(step: Step, event_id: int, action: dict[str, Any]) -> None:
    request = action.get("httpRequest") or {}
    step.outputs.append(
        event(
            EventType.TASK_SCHEDULED,
            step.now,
            event_id,
            Name=HTTP_ACTIVITY_NAME,
            Input=json.dumps([request]),
        )
    )
    step.write.new_messages.append(
        step.work_message(HTTP_WORK, {"taskId": event_id, "request": request, "polls": 0})
    )


# -- running (engine.WORK_RUNNERS["http"]) -----------------------------------------------------


async def run_http_call(engine: DurableEngine, message: Message) -> HistoryEvent | NewMessage:
    """One attempt: the call's completion, or the next poll (a work message due after Retry-After)."""
    body = message.body
    task_id = body["taskId"]
    try:
        try:
            request = DurableHttpRequest.from_json(body["request"])
            response = await send(request)
            poll = next_poll(body["request"], response)
        except (ValueError, TypeError, AttributeError) as error:  # a request aiohttp cannot send
            uri = (body["request"] or {}).get("uri")
            reason = f"call_http could not send to {uri!r}: {type(error).__name__}: {error}"
            raise HttpCallFailed(reason) from None
    except HttpCallFailed as failure:
        return event(
            EventType.TASK_FAILED,
            engine.now(),
            TaskScheduledId=task_id,
            Reason=failure.reason,
            Details=failure.details,
        )
    if poll is not None and _still_waiting(engine, message):
        poll_request, delay = poll
        return NewMessage(
            instance_id=message.instance_id,
            kind="activity",
            visible_at=(engine.now() + delay).timestamp(),
            body={**body, "request": poll_request, "polls": int(body.get("polls", 0)) + 1},
        )
    return event(
        EventType.TASK_COMPLETED, engine.now(), TaskScheduledId=task_id, Result=json.dumps(response)
    )


def _still_waiting(engine: DurableEngine, message: Message) -> bool:
    """Poll on only for the execution that asked: a terminated or restarted instance stops it."""
    instance = engine.store.get_instance(message.instance_id)
    return (
        instance is not None
        and not instance.is_terminal
        and instance.execution_id == message.body.get("executionId")
    )


def next_poll(
    request: dict[str, Any], response: dict[str, Any]
) -> tuple[dict[str, Any], timedelta] | None:
    """The poll request and the wait before it, when the response asks for one."""
    if response["statusCode"] != 202 or request.get("asynchronousPatternEnabled", True) is False:
        return None
    location = response_header(response, "Location")
    if location is None:
        return None  # nothing to poll: the 202 is the answer
    retry_after = response_header(response, "Retry-After")
    if retry_after is None:
        delay = DEFAULT_POLL_INTERVAL_S
    else:
        try:
            delay = float(int(retry_after.strip()))
        except ValueError:
            raise HttpCallFailed(
                f"The 202 response from {request.get('uri')} has Retry-After {retry_after!r}, "
                "which is not a number of seconds."
            ) from None
    headers = {
        name: value
        for name, value in (request.get("headers") or {}).items()
        if name.lower() != "x-functions-key"  # a function key rarely opens the status endpoint
    }
    poll = {
        **request,
        "method": "GET",
        "uri": urljoin(str(request.get("uri")), location),
        "content": None,
        "headers": headers,
    }
    return poll, timedelta(seconds=max(delay, 0.0))


def response_header(response: dict[str, Any], name: str) -> str | None:
    for key, value in response["headers"].items():
        if key.lower() == name.lower():
            return str(value[0] if isinstance(value, list) else value)
    return None


# -- the request -------------------------------------------------------------------------------


async def send(request: DurableHttpRequest) -> dict[str, Any]:
    """Make the request; answer its DurableHttpResponse JSON, whatever the status."""
    headers = list(request.headers)
    data = None
    if request.content is not None:
        content_type = request.content_type or "text/plain"
        if content_type.lower() == "application/x-www-form-urlencoded":
            content_type += "; charset=utf-8"  # what .NET's StringContent(content, UTF8, type) sends
        headers.append(("Content-Type", content_type))
        data = request.content.encode("utf-8")
    if request.token_resource is not None:  # the token replaces any Authorization header, as in .NET
        token = await bearer_token(request.token_resource)
        headers = [(name, value) for name, value in headers if name.lower() != "authorization"]
        headers.append(("Authorization", f"Bearer {token}"))
    where = f"{request.method} {request.uri}"
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=CLIENT_TIMEOUT_S)) as session,
            session.request(
                request.method,
                request.uri,
                headers=headers,
                data=data,
                # .NET's HttpClient sends neither, and leaves bodies compressed as they came.
                skip_auto_headers=("Accept", "Accept-Encoding"),
            ) as response,
        ):
            raw = await response.read()
            return durable_http_response(response.status, response.raw_headers, raw, response.charset)
    except TimeoutError:
        raise HttpCallFailed(
            f"The HTTP request {where} timed out after {CLIENT_TIMEOUT_S:.0f} seconds."
        ) from None
    except aiohttp.ClientError as error:
        raise HttpCallFailed(
            f"The HTTP request {where} failed: {error}",
            details=f"{type(error).__module__}.{type(error).__qualname__}",
        ) from None


def durable_http_response(
    status: int, raw_headers: Any, body: bytes, charset: str | None
) -> dict[str, Any]:
    grouped: dict[str, list[str]] = {}
    spelled: dict[str, str] = {}  # the first spelling of each header name, as the server sent it
    for raw_name, raw_value in raw_headers:
        name = raw_name.decode("latin-1")
        key = name.lower()
        if key in CONTENT_HEADERS:
            continue
        spelled.setdefault(key, name)
        grouped.setdefault(key, []).append(raw_value.decode("latin-1"))
    headers: dict[str, str | list[str]] = {
        spelled[key]: values[0] if len(values) == 1 else values for key, values in grouped.items()
    }
    try:
        content = body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        content = body.decode("utf-8", errors="replace")
    return {"statusCode": status, "headers": headers, "content": content}


# -- managed identity --------------------------------------------------------------------------

_credential: Any = None


async def bearer_token(resource: str) -> str:
    """A token for ManagedIdentityTokenSource(resource), from DefaultAzureCredential."""
    global _credential
    scope = _SCOPES.get(resource.rstrip("/"), resource)
    failure = (
        f"ManagedIdentityTokenSource({resource!r}) got no token: devhost asks azure-identity's "
        f"DefaultAzureCredential for the scope {scope!r}, as the extension does, and it needs one "
        f"of {CREDENTIAL_SETTINGS} (see docs/devhost.md, Durable HTTP)."
    )
    try:
        from azure.core.exceptions import ClientAuthenticationError
        from azure.identity import DefaultAzureCredential
    except ImportError as error:
        raise HttpCallFailed(f"{failure} azure-identity is not installed: {error}") from None
    try:
        if _credential is None:
            _credential = DefaultAzureCredential()
        token = await asyncio.to_thread(_credential.get_token, scope)
    except (ClientAuthenticationError, ValueError) as error:
        raise HttpCallFailed(failure, details=str(error)) from None
    access_token: str = token.token
    return access_token
