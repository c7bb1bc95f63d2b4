"""The devhost's HTTP server: HTTP triggers, timer triggers, the durable management API and the admin routes.

Invocation follows the Python worker: sync functions run in a thread pool, async ones on the event
loop; the trigger parameter gets a ``func.HttpRequest``, a ``durableClient`` parameter gets the
binding JSON (the SDK's middleware turns it into a ``DurableOrchestrationClient``), and a parameter
named ``context`` gets the invocation context. Timer functions get a ``func.TimerRequest`` (see
``timers.py``); ``POST /admin/functions/{name}`` runs one now, as the host's admin API does.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import azure.functions as func
from aiohttp import web

from .acs import AcsStandIn, AcsStandInConfig
from .app_loader import DurableFunction, FunctionIndex, HttpFunction, TimerFunction
from .bindings.expressions import json_properties
from .bindings.invocation import http_binding_data
from .bindings.runtime import BindingRuntime
from .bindings.spec import TriggeredFunction
from .durable.engine import ActivityNotFound, DurableEngine, FunctionCatalog
from .durable.management_api import RPC_PREFIX, WEBHOOK_PREFIX, ManagementApi, client_binding_data
from .durable.store import TaskHubStore
from .function_calls import InvocationContext, activity_arguments, activity_output, orchestrate, run_entity
from .host_keys import HostKeys
from .http_edges import edge_middlewares, error_body, route_method
from .routes import RouteTable, app_routes_first
from .timers import TimerScheduler
from .webpubsub import StandInConfig, WebPubSubStandIn
from .worker_processes import WorkerProcesses, worker_process_count

log = logging.getLogger("devhost")

# The Functions host's request body limit: its app setting, and its default (100 MB).
BODY_LIMIT_SETTING = "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"
DEFAULT_BODY_LIMIT = 104_857_600


class FunctionHost:
    def __init__(self, index: FunctionIndex, data_dir: Path, port: int, keys: HostKeys | None = None) -> None:
        self.index = index
        # The master key and the durable system key: made on the first start, kept in the data dir.
        self.keys = keys or HostKeys.load_or_create(data_dir)
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self._threads = ThreadPoolExecutor(max_workers=16, thread_name_prefix="function")
        self._routes: RouteTable[HttpFunction] = RouteTable()
        for function in index.http:
            prefixed = "/".join(p for p in (index.route_prefix, function.route) if p)
            self._routes.add(prefixed, function)
        self.store = TaskHubStore(data_dir / "taskhub.sqlite3")
        # FUNCTIONS_WORKER_PROCESS_COUNT above 1: orchestrators and activities run in worker processes.
        count = worker_process_count(os.environ)
        self.workers = WorkerProcesses(index.app_dir, count - 1) if count > 1 else None
        self.engine = DurableEngine(
            self.store,
            FunctionCatalog(
                orchestrators={
                    name: partial(self._run_orchestrator, name, f) for name, f in index.orchestrators.items()
                },
                run_activity=self._run_activity,
                activity_names=set(index.activities),
                entities={name.lower(): partial(run_entity, f) for name, f in index.entities.items()},
                default_version=index.default_version,
            ),
        )
        self.timers = TimerScheduler(index.timers, data_dir / "timers", self._invoke_timer)
        # Storage bindings on Azurite and the queue, blob and Event Grid triggers (devhost/bindings/).
        self.bindings = BindingRuntime(index, self.keys, self._invoke_triggered)
        # The Web PubSub stand-in, when the app uses Web PubSub and its connection string points here.
        wps_config = StandInConfig.from_environment(os.environ, port)
        self.webpubsub = (
            WebPubSubStandIn(wps_config, self.base_url) if wps_config and index.uses_webpubsub else None
        )
        # The ACS (Call Automation) stand-in, likewise when the app uses ACS and its settings point here.
        acs_config = AcsStandInConfig.from_environment(os.environ, port, data_dir)
        self.acs = (
            AcsStandIn(acs_config, self.base_url, self.keys.require_master, self.keys.eventgrid)
            if acs_config and index.uses_acs
            else None
        )
        # As the Functions host: a body over this is refused (413) before it is buffered whole.
        self.max_body_bytes = _body_limit(os.environ)

    # -- the aiohttp application ---------------------------------------------------------------

    def web_app(self) -> web.Application:
        # CORS as func start applies Host.CORS, and the JSON error body on the host's own errors.
        edges = edge_middlewares(self.index.app_dir)
        app = web.Application(client_max_size=100 * 1024 * 1024, middlewares=edges)
        # As the host: /admin/* needs the master key, but the ping answers anyone (a health probe).
        app.router.add_route("GET", "/admin/host/ping", self._ping)
        app.router.add_route("POST", "/admin/host/ping", self._ping)
        admin = self.keys.require_master
        app.router.add_get("/admin/host/status", admin(self._host_status))
        app.router.add_get("/admin/durable/instances/{instance_id}/replays", admin(self._replay_stats))
        app.router.add_post("/admin/functions/{name}", admin(self._run_function_now))
        ManagementApi(self.engine, self.index.task_hub_name, self.keys).register(app.router)
        self.bindings.register(app.router)
        registered = len(app.router.routes())
        if self.webpubsub is not None:
            self.webpubsub.register(app)
        if self.acs is not None:
            self.acs.register(app)  # /calling/... (Call Automation) and /devhost/acs/... (the caller)
        stand_in_routes = set(list(app.router.routes())[registered:])
        if stand_in_routes:
            has_app_route = lambda path: bool(self._routes.match(path))  # noqa: E731
            app.middlewares.append(app_routes_first(stand_in_routes, has_app_route, self._dispatch_http))
        # (?s): a path parameter may hold an encoded newline (%0A); the app answers it, not aiohttp.
        app.router.add_route("*", "/{tail:(?s:.*)}", self._dispatch_http)
        app.on_startup.append(self._on_startup)
        app.on_cleanup.append(self._on_cleanup)
        return app

    async def _on_startup(self, _app: web.Application) -> None:
        if self.workers is not None:  # each loads the app before the host answers its first request
            await asyncio.gather(*(asyncio.wrap_future(ready) for ready in self.workers.warm()))
        await self.engine.start()
        self.timers.start()
        self.bindings.start()

    async def _on_cleanup(self, _app: web.Application) -> None:
        await self.timers.stop()
        await self.bindings.stop()
        await self.engine.stop()
        if self.workers is not None:
            self.workers.close()
        self._threads.shutdown(wait=False, cancel_futures=True)
        self.store.close()

    async def _ping(self, _request: web.Request) -> web.Response:
        return web.Response(status=200, headers={"Cache-Control": "no-store"})

    async def _host_status(self, _request: web.Request) -> web.Response:
        return web.json_response({"state": "Running", "functions": self.function_names()})

    async def _replay_stats(self, request: web.Request) -> web.Response:
        """devhost only: how often an instance was replayed since start, and the SDK's time for it."""
        stats = self.engine.replay_stats.get(request.match_info["instance_id"])
        if stats is None:
            return web.json_response(
                {"Message": "No replays of that instance since this host started."}, status=404
            )
        return web.json_response(stats.to_json())

    def function_names(self) -> list[str]:
        return sorted(
            [f.name for f in self.index.http]
            + list(self.index.orchestrators)
            + list(self.index.activities)
            + list(self.index.entities)
            + list(self.index.timers)
            + list(self.index.triggered)
        )

    # -- running a non-HTTP function on demand -------------------------------------------------

    async def _run_function_now(self, request: web.Request) -> web.Response:
        """``POST /admin/functions/{name}`` with ``{"input": ...}``: 202, the function runs in the background.

        The body may be empty here (Azure wants at least ``{}``); a timer function ignores the input.
        """
        requested = request.match_info["name"]
        body = await request.read()
        if body.strip():
            try:
                payload = json.loads(body)
            except ValueError:
                payload = None
            if not isinstance(payload, dict):
                return _admin_error(400, 'The body must be a JSON object such as {"input": ""}.')
        kind, name = self._find_function(requested)
        if kind is None:
            return _admin_error(404, f"No function named '{requested}' in this app.")
        if kind == "timerTrigger":
            self.timers.run_now(self.index.timers[name])
            return web.Response(status=202)
        if kind == "httpTrigger":
            return _admin_error(
                400,
                f"'{name}' is an HTTP-triggered function: call its route instead. "
                "POST /admin/functions/{name} runs non-HTTP functions.",
            )
        return _admin_error(
            400, f"'{name}' is a {kind} function; devhost runs only timer-triggered functions on demand."
        )

    def _find_function(self, requested: str) -> tuple[str | None, str]:
        """The trigger type and name of a function; names are case-insensitive, as in the host."""
        kinds: list[tuple[str, list[str]]] = [
            ("timerTrigger", list(self.index.timers)),
            ("httpTrigger", [f.name for f in self.index.http]),
            ("orchestrationTrigger", list(self.index.orchestrators)),
            ("activityTrigger", list(self.index.activities)),
            ("entityTrigger", list(self.index.entities)),
        ]
        kinds += [(trigger, [name]) for name, trigger in self.index.unsupported.items()]
        kinds += [(f.trigger.binding_type, [name]) for name, f in self.index.triggered.items()]
        for kind, names in kinds:
            for name in names:
                if name.lower() == requested.lower():
                    return kind, name
        return None, requested

    async def _invoke_timer(
        self, function: TimerFunction, timer: func.TimerRequest, invocation_id: str
    ) -> Any:
        kwargs: dict[str, Any] = {function.trigger_param: timer}
        if function.accepts_context:
            kwargs["context"] = InvocationContext(invocation_id, function.name, str(self.index.app_dir))
        return await self._call(function.user_function, kwargs)

    async def _invoke_triggered(
        self, function: TriggeredFunction, kwargs: dict[str, Any], invocation_id: str
    ) -> Any:
        if function.accepts_context:
            kwargs["context"] = InvocationContext(invocation_id, function.name, str(self.index.app_dir))
        if function.client_param:  # a durable client on a queue, blob or Event Grid trigger
            kwargs[function.client_param] = client_binding_data(
                self.base_url, self.index.task_hub_name, self.keys
            )
        return await self._call(function.user_function, kwargs)

    # -- HTTP triggers -------------------------------------------------------------------------

    async def _dispatch_http(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith((WEBHOOK_PREFIX, RPC_PREFIX + "/")):
            raise web.HTTPNotFound()
        candidates = self._routes.match(path)
        if not candidates:
            raise web.HTTPNotFound()
        for function, params in candidates:
            if route_method(request.method, set(function.methods)) is not None:  # HEAD runs GET
                return await self._invoke_http(function, request, params)
        allowed = {m for f, _ in candidates for m in f.methods}
        allowed |= {"HEAD"} if "GET" in allowed else set()
        raise web.HTTPMethodNotAllowed(request.method, sorted(allowed))

    async def _invoke_http(
        self, function: HttpFunction, request: web.Request, params: dict[str, str]
    ) -> web.Response:
        body = await _read_capped(request, self.max_body_bytes)
        if body is None:
            return _body_too_large(self.max_body_bytes)
        http_request = func.HttpRequest(
            method=request.method,
            url=str(request.url),
            headers=dict(request.headers),
            params=dict(request.query),
            route_params=params,
            body=body,
        )
        kwargs: dict[str, Any] = {function.trigger_param: http_request}
        if function.client_param:
            kwargs[function.client_param] = client_binding_data(
                self._origin(request), self.index.task_hub_name, self.keys
            )
        if function.accepts_context:
            kwargs["context"] = InvocationContext(uuid.uuid4().hex, function.name, str(self.index.app_dir))
        io = self.bindings.io_for(function.user_function)
        try:
            binding_data = http_binding_data(http_request) if io else {}
            kwargs.update(await io.prepare(binding_data) if io else {})
            result = await self._call(function.user_function, kwargs)
            if io:
                await io.complete(kwargs, None, binding_data)  # $return is the HTTP response
        except Exception:
            # As the Functions host: the failure is logged, the caller sees a bare 500.
            log.exception("Function '%s' failed", function.name)
            return web.Response(status=500)
        return _to_web_response(result)

    def _origin(self, request: web.Request) -> str:
        return f"{request.scheme}://{request.host}"

    async def _call(self, user_function: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        if inspect.iscoroutinefunction(user_function):
            return await user_function(**kwargs)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, partial(user_function, **kwargs))

    # -- durable functions, called by the engine -----------------------------------------------

    def _run_orchestrator(self, name: str, function: DurableFunction, context_json: str) -> str:
        if self.workers is not None:
            return self.workers.run_orchestrator(name, context_json)
        return orchestrate(function, context_json)

    async def _run_activity(self, name: str, input_json: str | None) -> str:
        function = self.index.activities.get(name)
        if function is None:
            raise ActivityNotFound(name)
        io = self.bindings.io_for(function.user_function)
        if io is None and self.workers is not None:
            return await self.workers.run_activity(name, input_json)
        kwargs = activity_arguments(function, input_json, str(self.index.app_dir))
        binding_data = json_properties(input_json or "") if io else {}
        kwargs.update(await io.prepare(binding_data) if io else {})
        result = await self._call(function.user_function, kwargs)
        if io:
            await io.complete(kwargs, None, binding_data)  # $return is the activity's output
        return activity_output(result)


def _body_limit(environ: Mapping[str, str]) -> int:
    value = environ.get(BODY_LIMIT_SETTING, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_BODY_LIMIT


async def _read_capped(request: web.Request, limit: int) -> bytes | None:
    """The body, or None when it is over ``limit``: refused by its ``Content-Length`` before any of
    it is read, else (chunked) as soon as what arrived passes the limit, never buffered beyond it."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None  # aiohttp discards the rest of the body before the connection is reused
        chunks.append(chunk)
    return b"".join(chunks)


def _body_too_large(limit: int) -> web.Response:
    # The app's published error body (code, description, type, numericType), not text/plain.
    limits = f"({limit} bytes, {BODY_LIMIT_SETTING})"
    return error_body(413, f"The request body is larger than this host takes {limits}.")


def _admin_error(status: int, message: str) -> web.Response:
    return web.json_response({"Message": message}, status=status)


def _to_web_response(result: Any) -> web.Response:
    if isinstance(result, func.HttpResponse):
        headers = dict(result.headers)
        if not any(k.lower() == "content-type" for k in headers):
            # As the worker: the mimetype (default text/plain) and charset make the header.
            headers["Content-Type"] = f"{result.mimetype}; charset={result.charset}"
        return web.Response(status=result.status_code, body=result.get_body(), headers=headers)
    if result is None:
        return web.Response(status=204)
    if isinstance(result, bytes):
        return web.Response(body=result, content_type="application/octet-stream")
    if isinstance(result, str):
        return web.Response(text=result, content_type="text/plain")
    return web.Response(text=json.dumps(result), content_type="application/json")
