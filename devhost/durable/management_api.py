"""The Durable Functions HTTP management API ("HTTP API reference" of Durable Functions).

Served twice by the same handlers: at ``/runtime/webhooks/durabletask/...`` (the public webhook
URLs that ``create_check_status_response`` hands out) and at ``/durabletask/...`` (the ``rpcBaseUrl``
the Python SDK's durable client calls). Every route needs the ``durabletask_extension`` system key or
the master key (``devhost/host_keys.py``); the URLs handed out carry the system key. ``taskHub`` and
``connection`` are accepted and ignored: devhost serves one task hub.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from aiohttp import web

from ..host_keys import KEY_QUERY, RPC_USER, HostKeys
from .engine import ClientOutcome, DurableEngine
from .entity_api import EntityApi
from .history import format_for_api, query_timestamp
from .store import Instance

WEBHOOK_PREFIX = "/runtime/webhooks/durabletask"
RPC_PREFIX = "/durabletask"
RUNNING_STATUSES = {"Pending", "Running", "ContinuedAsNew", "Suspended"}
_DEFAULT_PAGE_SIZE = 100


def required_query(task_hub: str, keys: HostKeys) -> str:
    """What the host's binding calls ``requiredQueryStringParameters``: the system key as ``code``."""
    return f"taskHub={quote(task_hub)}&connection=Storage&{KEY_QUERY}={quote(keys.durable)}"


def management_urls(base_url: str, task_hub: str, instance_id: str, keys: HostKeys) -> dict[str, str]:
    """The payload of ``create_http_management_payload``: every URL for one instance."""
    root = f"{base_url}{WEBHOOK_PREFIX}/instances/{quote(instance_id, safe='')}"
    query = required_query(task_hub, keys)
    return {
        "id": instance_id,
        "statusQueryGetUri": f"{root}?{query}",
        "sendEventPostUri": f"{root}/raiseEvent/{{eventName}}?{query}",
        "terminatePostUri": f"{root}/terminate?reason={{text}}&{query}",
        "rewindPostUri": f"{root}/rewind?reason={{text}}&{query}",
        "purgeHistoryDeleteUri": f"{root}?{query}",
        "restartPostUri": f"{root}/restart?{query}",
        "suspendPostUri": f"{root}/suspend?reason={{text}}&{query}",
        "resumePostUri": f"{root}/resume?reason={{text}}&{query}",
    }


def client_binding_data(base_url: str, task_hub: str, keys: HostKeys) -> str:
    """The JSON the Functions host gives a ``durableClient`` binding (``DurableOrchestrationBindings``).

    ``rpcBaseUrl`` carries the system key as its userinfo (sent as Basic auth): the SDK appends paths
    and queries to it, so it cannot carry ``code``.
    """
    placeholder = "INSTANCEID"
    query = required_query(task_hub, keys)
    scheme, _, authority = base_url.partition("://")
    rpc_base_url = f"{scheme}://{RPC_USER}:{keys.durable}@{authority}{RPC_PREFIX}/"
    return json.dumps(
        {
            "taskHubName": task_hub,
            "creationUrls": {
                "createNewInstancePostUri": f"{base_url}{WEBHOOK_PREFIX}/orchestrators/{{functionName}}"
                f"[/{{instanceId}}]?{query}",
                "createAndWaitOnNewInstancePostUri": f"{base_url}{WEBHOOK_PREFIX}/orchestrators/"
                f"{{functionName}}[/{{instanceId}}]?timeout={{timeoutInSeconds}}&pollingInterval="
                f"{{intervalInSeconds}}&{query}",
            },
            "managementUrls": management_urls(base_url, task_hub, placeholder, keys),
            "rpcBaseUrl": rpc_base_url,
            "baseUrl": f"{base_url}{WEBHOOK_PREFIX}",
            "requiredQueryStringParameters": query,
            "httpBaseUrl": f"{base_url}{WEBHOOK_PREFIX}",
        }
    )


class BadInput(ValueError):
    pass


def payload_json(body: str, decode_once: bool = False) -> str | None:
    """The JSON text of an orchestration input or event payload in a request body.

    The Python SDK posts ``json=df_dumps(value)``, so its bodies are a JSON string holding the JSON
    text; plain HTTP clients post the JSON itself. Both are accepted. With ``decode_once`` (an event
    raised through the public event URL) the body is the payload as the extension reads it: the JSON
    string ``"9361"`` is the string, not the number.
    """
    if not body.strip():
        return None
    try:
        parsed = json.loads(body)
    except ValueError as error:
        raise BadInput("The request body must be JSON.") from error
    if isinstance(parsed, str) and not decode_once:
        try:
            json.loads(parsed)
        except ValueError:
            return body
        return parsed
    return body


def created_time_filter(request: web.Request, name: str) -> str | None:
    """A ``createdTimeFrom`` / ``createdTimeTo`` query value as the task hub's UTC timestamp text, so
    it compares as an instant (offsets honoured); a value that is no date is refused."""
    text = request.query.get(name)
    if not text:
        return None
    try:
        return query_timestamp(text)
    except ValueError as error:
        raise BadInput(f"{name} is not a valid date and time: {text!r}.") from error


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() == "true"


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"Message": message}, status=status)


def _origin(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


class ManagementApi:
    def __init__(self, engine: DurableEngine, task_hub: str, keys: HostKeys) -> None:
        self.engine = engine
        self.task_hub = task_hub
        self.keys = keys

    def register(self, router: web.UrlDispatcher) -> None:
        # Every handler behind the key check, so no route of this API can be reached without it.
        guard = self.keys.require_durable
        entities = EntityApi(self.engine)
        for prefix in (WEBHOOK_PREFIX, RPC_PREFIX):
            entities.register(router, prefix, guard)
            router.add_post(prefix + "/orchestrators/{name}", guard(self.start))
            router.add_post(prefix + "/orchestrators/{name}/{instance_id}", guard(self.start))
            for instances in (prefix + "/instances", prefix + "/instances/"):
                router.add_get(instances, guard(self.list_instances))
                router.add_delete(instances, guard(self.purge_many))
            instance = prefix + "/instances/{instance_id}"
            router.add_get(instance, guard(self.status))
            router.add_delete(instance, guard(self.purge))
            router.add_post(instance + "/raiseEvent/{event_name}", guard(self.raise_event))
            router.add_post(instance + "/terminate", guard(self.terminate))
            router.add_post(instance + "/suspend", guard(self.suspend))
            router.add_post(instance + "/resume", guard(self.resume))
            router.add_post(instance + "/rewind", guard(self.not_supported))
            router.add_post(instance + "/restart", guard(self.not_supported))

    # -- handlers ------------------------------------------------------------------------------

    async def start(self, request: web.Request) -> web.Response:
        try:
            input_json = payload_json(await request.text())
        except BadInput as error:
            return _error(400, f"{error} It is the orchestration input.")
        outcome, detail = self.engine.start_new(
            request.match_info["name"],
            request.match_info.get("instance_id"),
            input_json,
            version=request.query.get("version"),
        )
        if outcome in (ClientOutcome.NOT_FOUND, ClientOutcome.INVALID):
            # The SDK's start_new reads ExceptionMessage from a 400.
            return web.json_response({"Message": detail, "ExceptionMessage": detail}, status=400)
        if outcome is ClientOutcome.CONFLICT:
            return web.json_response({"Message": detail, "ExceptionMessage": detail}, status=409)
        urls = management_urls(_origin(request), self.task_hub, detail, self.keys)
        return web.json_response(urls, status=202, headers={"Location": urls["statusQueryGetUri"]})

    async def status(self, request: web.Request) -> web.Response:
        instance = self.engine.store.get_instance(request.match_info["instance_id"])
        if instance is None:
            return web.json_response(None, status=404)
        payload = self._status_payload(
            instance, show_input=request.query.get("showInput", "true").lower() != "false"
        )
        if _flag(request, "showHistory"):
            history = self.engine.store.history(instance.instance_id)
            payload["historyEvents"] = format_for_api(history, _flag(request, "showHistoryOutput"))
        if instance.runtime_status in RUNNING_STATUSES:
            location = str(request.url)
            return web.json_response(payload, status=202, headers={"Location": location, "Retry-After": "1"})
        failed = instance.runtime_status == "Failed" and _flag(request, "returnInternalServerErrorOnFailure")
        return web.json_response(payload, status=500 if failed else 200)

    async def list_instances(self, request: web.Request) -> web.Response:
        statuses = [s for s in request.query.get("runtimeStatus", "").split(",") if s]
        try:
            top = int(request.query.get("top", _DEFAULT_PAGE_SIZE))
            offset = int(request.headers.get("x-ms-continuation-token") or 0)
        except ValueError:
            return _error(400, "top and x-ms-continuation-token must be whole numbers.")
        try:
            created_from = created_time_filter(request, "createdTimeFrom")
            created_to = created_time_filter(request, "createdTimeTo")
        except BadInput as error:
            return _error(400, str(error))
        instances = self.engine.store.query_instances(
            statuses=statuses,
            created_from=created_from,
            created_to=created_to,
            id_prefix=request.query.get("instanceIdPrefix"),
            offset=offset,
            limit=top + 1,
        )
        headers = {}
        if len(instances) > top:
            instances = instances[:top]
            headers["x-ms-continuation-token"] = str(offset + top)
        show_input = _flag(request, "showInput")
        return web.json_response([self._status_payload(i, show_input) for i in instances], headers=headers)

    async def purge(self, request: web.Request) -> web.Response:
        deleted = self.engine.store.purge(request.match_info["instance_id"])
        if not deleted:
            return web.json_response(None, status=404)
        return web.json_response({"instancesDeleted": 1})

    async def purge_many(self, request: web.Request) -> web.Response:
        try:
            created_from = created_time_filter(request, "createdTimeFrom")
            created_to = created_time_filter(request, "createdTimeTo")
        except BadInput as error:
            return _error(400, str(error))
        if not created_from:
            return _error(400, "createdTimeFrom is required to purge instance history.")
        statuses = [s for s in request.query.get("runtimeStatus", "").split(",") if s]
        instances = self.engine.store.query_instances(
            statuses=statuses, created_from=created_from, created_to=created_to
        )
        deleted = sum(self.engine.store.purge(i.instance_id) for i in instances if i.is_terminal)
        if not deleted:
            return web.json_response(None, status=404)
        return web.json_response({"instancesDeleted": deleted})

    async def raise_event(self, request: web.Request) -> web.Response:
        # The body is decoded once, as the extension does, on both routes: the SDK's client.raise_event
        # posts json.dumps(data) as a JSON string, so its payload arrives as the JSON text of data
        # (azure-functions-durable-python#295), exactly as under func start (docs/devhost.md).
        try:
            data_json = payload_json(await request.text(), decode_once=True)
        except BadInput as error:
            return _error(400, f"{error} It is the event data.")
        outcome = self.engine.raise_event(
            request.match_info["instance_id"], request.match_info["event_name"], data_json
        )
        return self._outcome_response(outcome)

    async def terminate(self, request: web.Request) -> web.Response:
        outcome = self.engine.terminate(request.match_info["instance_id"], request.query.get("reason"))
        return self._outcome_response(outcome)

    async def suspend(self, request: web.Request) -> web.Response:
        outcome = self.engine.suspend(request.match_info["instance_id"], request.query.get("reason"))
        return self._outcome_response(outcome)

    async def resume(self, request: web.Request) -> web.Response:
        outcome = self.engine.resume(request.match_info["instance_id"], request.query.get("reason"))
        return self._outcome_response(outcome)

    async def not_supported(self, request: web.Request) -> web.Response:
        return _error(501, "devhost does not support rewind or restart yet; run the app with `func start`.")

    # -- shapes --------------------------------------------------------------------------------

    @staticmethod
    def _outcome_response(outcome: ClientOutcome) -> web.Response:
        if outcome is ClientOutcome.NOT_FOUND:
            return web.json_response(None, status=404)
        if outcome is ClientOutcome.GONE:
            return _error(410, "The instance has already completed, failed or been terminated.")
        return web.Response(status=202)

    @staticmethod
    def _status_payload(instance: Instance, show_input: bool) -> dict[str, Any]:
        return {
            "name": instance.name,
            "instanceId": instance.instance_id,
            "runtimeStatus": instance.runtime_status,
            "input": _loads(instance.input) if show_input else None,
            "customStatus": _loads(instance.custom_status),
            "output": _loads(instance.output),
            "createdTime": instance.created_time[:19] + "Z",
            "lastUpdatedTime": instance.last_updated_time[:19] + "Z",
        }
