"""What a function's bindings are, read from the decorators' binding JSON when the app is loaded.

Served: storage queue output, blob input/output, table input/output on any function, and the
``queueTrigger``, ``blobTrigger`` and ``eventGridTrigger`` triggers. Every other binding is refused at
start with its name and what to use instead (:data:`REFUSALS`): failing at start beats a ``TypeError``
at the first call. Parameters are checked against their annotations as the Python worker checks them,
with its words.
"""

from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass, field
from typing import Any

from azure.functions import meta

from .expressions import ExpressionError, compile_blob_pattern, resolve_settings
from .storage import StorageConnection, resolve_connection

# Binding types another part of devhost serves (HTTP, timers, durable).
HOST_BINDINGS = frozenset(
    {
        "httpTrigger",
        "http",
        "timerTrigger",
        "orchestrationTrigger",
        "activityTrigger",
        "entityTrigger",
        "durableClient",
    }
)
STORAGE_BINDINGS = frozenset({"queue", "blob", "table"})
TRIGGERS = frozenset({"queueTrigger", "blobTrigger", "eventGridTrigger"})
# Served by devhost but never called (the host calls it only on scale-out instances).
NEVER_CALLED = frozenset({"warmupTrigger"})

_FUNC_START = "Run the app with `func start` (Azure Functions Core Tools)"
REFUSALS: dict[str, str] = {
    "serviceBus": f"{_FUNC_START} against a Service Bus namespace (or its emulator), or use a storage "
    "queue locally (queue_trigger / queue_output).",
    "eventHub": f"{_FUNC_START} against an Event Hubs namespace (or its emulator), or use a storage "
    "queue locally (queue_trigger / queue_output).",
    "cosmosDB": f"{_FUNC_START} with the Cosmos DB emulator, or use a table binding (table_input / "
    "table_output) against Azurite.",
    "eventGrid": "Publish events with the azure-eventgrid SDK from your code, or use queue_output locally.",
    "signalR": f"{_FUNC_START}, or use Web PubSub through the azure-messaging-webpubsubservice SDK "
    "(devhost plays Web PubSub).",
    "webPubSub": "devhost plays the Web PubSub service, not its bindings: call it with the "
    "azure-messaging-webpubsubservice SDK and serve the event handler as an HTTP route.",
    "sql": f"{_FUNC_START}, or query the database with its driver.",
    "mysql": f"{_FUNC_START}, or query the database with its driver.",
    "kafka": f"{_FUNC_START} with a Kafka broker.",
    "dapr": f"{_FUNC_START} with the Dapr sidecar.",
    "sendGrid": "Send mail with the SendGrid SDK from your code.",
    "twilioSms": "Send messages with the Twilio SDK from your code.",
}
_ALIASES = {
    "serviceBusTrigger": "serviceBus",
    "eventHubTrigger": "eventHub",
    "cosmosDBTrigger": "cosmosDB",
    "signalRConnectionInfo": "signalR",
    "signalRTrigger": "signalR",
    "webPubSubTrigger": "webPubSub",
    "webPubSubConnection": "webPubSub",
    "webPubSubContext": "webPubSub",
    "sqlTrigger": "sql",
    "mysqlTrigger": "mysql",
    "kafkaTrigger": "kafka",
}


class BindingError(ValueError):
    pass


@dataclass(frozen=True)
class Parameter:
    """One bound parameter: how the worker would hand it over (``converter`` decodes or encodes)."""

    name: str  # the Python parameter, or "$return"
    binding_type: str  # queue, blob, table, queueTrigger ...
    settings: dict[str, Any]  # the binding JSON, %SETTING% resolved
    converter: Any  # an azure.functions converter class, or None: generic (str / bytes)
    wants: type | None  # str, bytes or None: what the annotation asks for (None: the converter's type)
    connection: StorageConnection | None = None


@dataclass(frozen=True)
class FunctionBindings:
    function_name: str
    trigger: Parameter | None = None  # for the three triggers served here
    inputs: list[Parameter] = field(default_factory=list)
    outputs: list[Parameter] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.trigger is None and not self.inputs and not self.outputs


@dataclass(frozen=True)
class TriggeredFunction:
    """A function whose trigger is served here (queue, blob, Event Grid)."""

    name: str
    trigger: Parameter
    bindings: FunctionBindings
    user_function: Any
    accepts_context: bool
    client_param: str | None = None  # a durable client binding's parameter, as HTTP triggers may have

    def describe(self, base_url: str) -> str:
        """One line for the start banner."""
        settings = self.trigger.settings
        connection = self.trigger.connection.setting if self.trigger.connection else ""
        if self.trigger.binding_type == "queueTrigger":
            return f"queueTrigger '{settings['queueName']}' ({connection})"
        if self.trigger.binding_type == "blobTrigger":
            return f"blobTrigger '{settings['path']}' ({connection})"
        return (
            f"eventGridTrigger {base_url}/runtime/webhooks/eventgrid?functionName={self.name}"
            "&code=<eventgrid_extension key>"
        )


def triggered_function(function: Any, bindings: FunctionBindings) -> TriggeredFunction:
    assert bindings.trigger is not None
    user_function = function.get_user_function()
    return TriggeredFunction(
        name=bindings.function_name,
        trigger=bindings.trigger,
        bindings=bindings,
        user_function=user_function,
        accepts_context="context" in inspect.signature(user_function).parameters,
        client_param=next((b.name for b in function.get_bindings() if b.type == "durableClient"), None),
    )


def refusal(function_name: str, binding_type: str, parameter: str) -> str:
    family = _ALIASES.get(binding_type, binding_type)
    advice = REFUSALS.get(family, f"{_FUNC_START} to use it.")
    return (
        f"Function '{function_name}': devhost does not serve the '{binding_type}' binding "
        f"(parameter '{parameter}'). {advice}"
    )


def read_bindings(function: Any) -> FunctionBindings:
    """The storage bindings and served triggers of an indexed function; refuse any other binding."""
    name = function.get_function_name()
    user_function = function.get_user_function()
    target = getattr(user_function, "client_function", user_function)
    annotations = _annotations(target)
    trigger_name = function.get_trigger().name
    result = FunctionBindings(name)
    trigger: Parameter | None = None
    for binding in function.get_bindings():
        described = _described(binding)
        binding_type = described["type"]
        if binding_type in HOST_BINDINGS or binding_type in NEVER_CALLED:
            continue
        parameter = described["name"]
        if binding_type not in STORAGE_BINDINGS and binding_type not in TRIGGERS:
            raise BindingError(refusal(name, binding_type, parameter))
        try:
            settings = {k: resolve_settings(v) if isinstance(v, str) else v for k, v in described.items()}
            if binding_type == "blobTrigger":
                compile_blob_pattern(settings["path"])
        except ExpressionError as error:
            raise BindingError(f"Function '{name}', binding '{parameter}': {error}") from error
        is_out = described.get("direction") in ("out", 1) or parameter == "$return"
        annotation = annotations.get("return" if parameter == "$return" else parameter)
        converter, wants = _check_annotation(name, parameter, binding_type, annotation, is_out)
        connection = None
        if binding_type != "eventGridTrigger":
            try:
                connection = resolve_connection(settings.get("connection") or "")
            except ValueError as error:
                raise BindingError(f"Function '{name}', binding '{parameter}': {error}") from error
        spec = Parameter(parameter, binding_type, settings, converter, wants, connection)
        if parameter == trigger_name and binding_type in TRIGGERS:
            trigger = spec
        elif is_out:
            result.outputs.append(spec)
        else:
            result.inputs.append(spec)
    return FunctionBindings(name, trigger, result.inputs, result.outputs)


def _described(binding: Any) -> dict[str, Any]:
    described: dict[str, Any] = dict(binding.get_dict_repr())
    direction = described.get("direction")
    described["direction"] = getattr(direction, "name", direction)
    if isinstance(described["direction"], str):
        described["direction"] = described["direction"].lower()
    data_type = described.get("dataType")
    described["dataType"] = getattr(data_type, "name", data_type)
    return described


def _annotations(target: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(target)
    except Exception:
        return {k: v for k, v in getattr(target, "__annotations__", {}).items() if not isinstance(v, str)}


def _check_annotation(
    function_name: str, parameter: str, binding_type: str, annotation: Any, is_out: bool
) -> tuple[Any, type | None]:
    """The converter the worker would use, and str/bytes when the annotation asks for the raw value."""
    converter = meta.get_binding_registry().get(binding_type)
    if annotation is None or annotation is inspect.Parameter.empty:
        return converter, None
    inner = annotation
    origin = typing.get_origin(annotation)
    is_out_annotation = getattr(origin or annotation, "__name__", "") == "Out"
    if is_out and parameter != "$return" and not is_out_annotation:
        raise BindingError(
            f"cannot load the {function_name} function: binding {parameter} is declared to have the "
            '"out" direction, but its annotation in Python is not a subclass of azure.functions.Out'
        )
    if not is_out and is_out_annotation:
        raise BindingError(
            f'cannot load the {function_name} function: binding {parameter} is declared to have the "in" '
            "direction in function.json, but its annotation is azure.functions.Out in Python"
        )
    if is_out_annotation:
        arguments = typing.get_args(annotation)
        inner = arguments[0] if arguments else str
    if inner in (str, bytes):
        return None, inner  # the worker's generic binding: the raw value
    try:
        checks = converter is not None and bool(
            converter.check_output_type_annotation(inner)
            if is_out
            else converter.check_input_type_annotation(inner)
        )
    except TypeError:  # a generic alias the converter cannot test
        checks = False
    if not checks:
        shown = getattr(inner, "__name__", repr(inner))
        raise BindingError(
            f"cannot load the {function_name} function: type of {parameter} binding in function.json "
            f'"{binding_type}" does not match its Python annotation "{shown}"'
        )
    return converter, None
