"""Load a Functions app directory the way the Python worker does, and index its functions.

The app's ``function_app.py`` is imported with the app directory first on ``sys.path`` (sibling
modules import as in Azure), after ``local.settings.json`` ``Values`` are put in the environment
(variables already set win, as with ``func start``). Functions are indexed from
``app.get_functions()``, by trigger type.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import azure.functions as func

from .bindings.spec import (
    BindingError,
    FunctionBindings,
    TriggeredFunction,
    read_bindings,
    triggered_function,
)
from .schedule import CronSchedule, IntervalSchedule, ScheduleError, parse_schedule

# The Web PubSub SDK's package: an app that imports it gets the stand-in (when its settings point here).
WEBPUBSUB_SDK = "azure.messaging.webpubsubservice"
# Likewise the Call Automation SDK's, for the ACS stand-in.
ACS_SDK = "azure.communication.callautomation"


class AppLoadError(RuntimeError):
    pass


@dataclass(frozen=True)
class HttpFunction:
    name: str
    route: str
    methods: frozenset[str]  # empty: every method
    trigger_param: str
    client_param: str | None
    user_function: Any
    accepts_context: bool


@dataclass(frozen=True)
class DurableFunction:
    name: str
    trigger_param: str
    user_function: Any
    accepts_context: bool = False


@dataclass(frozen=True)
class TimerFunction:
    name: str
    schedule: CronSchedule | IntervalSchedule
    trigger_param: str
    run_on_startup: bool
    use_monitor: bool | None  # None: the host's default (on for occurrences a minute or more apart)
    user_function: Any
    accepts_context: bool


@dataclass
class FunctionIndex:
    app_dir: Path
    route_prefix: str
    task_hub_name: str
    default_version: str = ""
    http: list[HttpFunction] = field(default_factory=list)
    orchestrators: dict[str, DurableFunction] = field(default_factory=dict)
    activities: dict[str, DurableFunction] = field(default_factory=dict)
    entities: dict[str, DurableFunction] = field(default_factory=dict)
    timers: dict[str, TimerFunction] = field(default_factory=dict)
    # The app uses Web PubSub: it imported the SDK, or its settings name the stand-in ("devhost").
    uses_webpubsub: bool = False
    # The app uses ACS Call Automation: it imported the SDK, or its settings name the stand-in.
    uses_acs: bool = False
    # Trigger types devhost does not serve yet (Web PubSub, Event Grid ...): function -> type.
    unsupported: dict[str, str] = field(default_factory=dict)
    # Storage input/output bindings, by the user function they belong to (devhost/bindings/).
    bindings: dict[Any, FunctionBindings] = field(default_factory=dict)
    # Queue-, blob- and Event Grid-triggered functions.
    triggered: dict[str, TriggeredFunction] = field(default_factory=dict)


def load_local_settings(app_dir: Path) -> dict[str, str]:
    settings_file = app_dir / "local.settings.json"
    if not settings_file.exists():
        return {}
    try:
        values = json.loads(settings_file.read_text()).get("Values", {})
    except ValueError as error:
        raise AppLoadError(f"{settings_file} is not valid JSON: {error}") from error
    applied = {}
    for key, value in values.items():
        if key not in os.environ:
            os.environ[key] = str(value)
            applied[key] = str(value)
    return applied


def read_host_json(app_dir: Path) -> dict[str, Any]:
    host_file = app_dir / "host.json"
    if not host_file.exists():
        return {}
    try:
        loaded: dict[str, Any] = json.loads(host_file.read_text())
        return loaded
    except ValueError as error:
        raise AppLoadError(f"{host_file} is not valid JSON: {error}") from error


def _resolve_app_setting(value: str) -> str:
    """host.json values may name an app setting as %NAME%."""
    if value.startswith("%") and value.endswith("%") and len(value) > 2:
        return os.environ.get(value[1:-1], value)
    return value


def load_app(app_dir: Path) -> FunctionIndex:
    app_dir = app_dir.resolve()
    entry = app_dir / "function_app.py"
    if not entry.exists():
        raise AppLoadError(
            f"No function_app.py in {app_dir}: devhost serves Python v2 programming model apps."
        )
    load_local_settings(app_dir)
    host = read_host_json(app_dir)
    extensions = host.get("extensions", {})
    route_prefix = extensions.get("http", {}).get("routePrefix", "api").strip("/")
    durable_task = extensions.get("durableTask", {})
    hub = _resolve_app_setting(str(durable_task.get("hubName", "TestHubName")))
    default_version = str(durable_task.get("defaultVersion") or "")

    sys.path.insert(0, str(app_dir))
    spec = importlib.util.spec_from_file_location("function_app", entry)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["function_app"] = module
    spec.loader.exec_module(module)
    app = find_app_object(module, entry.name)

    index = FunctionIndex(
        app_dir=app_dir, route_prefix=route_prefix, task_hub_name=hub, default_version=default_version
    )
    for function in app.get_functions():
        _index_function(index, function)
    index.uses_webpubsub = any(name.startswith(WEBPUBSUB_SDK) for name in sys.modules)
    index.uses_acs = any(name.startswith(ACS_SDK) for name in sys.modules)
    return index


def find_app_object(module: Any, script_name: str) -> func.FunctionRegister:
    """The module's one top-level ``FunctionApp`` / ``DFApp`` of any name, as the Python worker
    picks it (blueprints are registered on it, not found on their own); its words when none or two."""
    app: func.FunctionRegister | None = None
    for name in dir(module):
        candidate = getattr(module, name, None)
        if isinstance(candidate, func.FunctionRegister):
            if app is not None:
                raise AppLoadError(
                    f"More than one {type(app).__name__} or other top level function app instances "
                    "are defined."
                )
            app = candidate
    if app is None:
        raise AppLoadError(f"Could not find top level function app instances in {script_name}.")
    return app


def _index_function(index: FunctionIndex, function: Any) -> None:
    name = function.get_function_name()
    trigger = function.get_trigger()
    user_function = function.get_user_function()
    trigger_type = trigger.type
    try:
        served = read_bindings(function)  # refuses, at start, every binding devhost does not serve
    except BindingError as error:
        raise AppLoadError(str(error)) from error
    if not served.empty:
        index.bindings[user_function] = served
    if served.trigger is not None:
        index.triggered[name] = triggered_function(function, served)
    elif trigger_type == "httpTrigger":
        bindings = function.get_bindings()
        client = next((b.name for b in bindings if b.type == "durableClient"), None)
        # The durable client middleware wraps the user's function; its signature is the user's.
        target = getattr(user_function, "client_function", user_function)
        index.http.append(
            HttpFunction(
                name=name,
                route=(trigger.route or name).strip("/"),
                methods=frozenset(str(getattr(m, "value", m)).upper() for m in (trigger.methods or [])),
                trigger_param=trigger.name,
                client_param=client,
                user_function=user_function,
                accepts_context="context" in inspect.signature(target).parameters,
            )
        )
    elif trigger_type == "orchestrationTrigger":
        # As the extension: the trigger's orchestration= name, else the function's.
        durable_name = getattr(trigger, "orchestration", None) or name
        index.orchestrators[durable_name] = _durable_function(durable_name, trigger, user_function)
    elif trigger_type == "activityTrigger":
        durable_name = getattr(trigger, "activity", None) or name
        index.activities[durable_name] = _durable_function(durable_name, trigger, user_function)
    elif trigger_type == "entityTrigger":
        # As the extension: the trigger's entity_name, else the function's name.
        entity_name = getattr(trigger, "entity_name", None) or name
        index.entities[entity_name] = DurableFunction(entity_name, trigger.name, user_function)
    elif trigger_type == "timerTrigger":
        # The schedule may name an app setting, "%NAME%", as in the host.
        expression = _resolve_app_setting(str(trigger.schedule))
        try:
            schedule = parse_schedule(expression)
        except ScheduleError as error:
            raise AppLoadError(f"Timer function '{name}': {error}") from error
        index.timers[name] = TimerFunction(
            name=name,
            schedule=schedule,
            trigger_param=trigger.name,
            run_on_startup=bool(trigger.run_on_startup),
            use_monitor=trigger.use_monitor,
            user_function=user_function,
            accepts_context="context" in inspect.signature(user_function).parameters,
        )
    else:
        index.unsupported[name] = trigger_type


def _durable_function(name: str, trigger: Any, user_function: Any) -> DurableFunction:
    # The SDK's decorators wrap the user's function; the parameters are the user's.
    target = inspect.unwrap(user_function)
    accepts_context = "context" in inspect.signature(target).parameters and trigger.name != "context"
    return DurableFunction(name, trigger.name, user_function, accepts_context)
