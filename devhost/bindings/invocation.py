"""Input and output bindings around one invocation, as the host and the Python worker do them.

Before the call, each input binding is read (a blob, a table entity or query) and decoded to the
parameter's type; each output parameter gets a ``func.Out``. After a successful call, every output
that was set (and a ``$return`` output binding) is encoded by the worker's converter and written:
a queue message (created queue, the host's ``messageEncoding``), a blob (created container,
overwritten), table entities (created table; the table output binding only inserts, as the host's).
A failed call writes nothing. Storage calls run in threads (the SDK clients are synchronous).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import azure.functions as func
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.functions import meta

from .expressions import json_properties, resolve
from .spec import FunctionBindings, Parameter


class BindingFailure(RuntimeError):
    """An input or output binding could not be served; the invocation fails with this message."""


class OutValue(func.Out):
    """What the worker passes for an output parameter."""

    def __init__(self) -> None:
        self._value: Any = None

    def set(self, val: Any) -> None:
        self._value = val

    def get(self) -> Any:
        return self._value


class BindingIO:
    def __init__(self, bindings: FunctionBindings, message_encoding: str = "base64") -> None:
        self.bindings = bindings
        self.message_encoding = message_encoding

    @property
    def returns_to_binding(self) -> bool:
        return any(p.name == "$return" for p in self.bindings.outputs)

    async def prepare(self, binding_data: Mapping[str, Any]) -> dict[str, Any]:
        """The keyword arguments for the input and output bindings."""
        kwargs: dict[str, Any] = {}
        for parameter in self.bindings.inputs:
            kwargs[parameter.name] = await asyncio.to_thread(self._read, parameter, binding_data)
        for parameter in self.bindings.outputs:
            if parameter.name != "$return":
                kwargs[parameter.name] = OutValue()
        return kwargs

    async def complete(self, kwargs: Mapping[str, Any], result: Any, binding_data: Mapping[str, Any]) -> None:
        """Write the outputs of a call that succeeded."""
        for parameter in self.bindings.outputs:
            value = result if parameter.name == "$return" else kwargs[parameter.name].get()
            if value is None:
                continue
            datum = self._encode(parameter, value)
            await asyncio.to_thread(self._write, parameter, datum, binding_data)

    # -- inputs ----------------------------------------------------------------------------------

    def _read(self, parameter: Parameter, binding_data: Mapping[str, Any]) -> Any:
        if parameter.binding_type == "blob":
            content = self._read_blob(parameter, binding_data)
            if content is None:
                return None  # as the host: a missing blob binds null
            return decode_value(parameter, meta.Datum(content, "bytes"))
        if parameter.binding_type == "table":
            document = self._read_table(parameter, binding_data)
            if document is None:
                return None  # no such entity: null, as for a missing blob
            return decode_value(parameter, meta.Datum(json.dumps(document), "json"))
        raise BindingFailure(f"'{parameter.binding_type}' is not an input binding.")

    def _read_blob(self, parameter: Parameter, binding_data: Mapping[str, Any]) -> bytes | None:
        container, blob_name = _blob_path(parameter, binding_data)
        assert parameter.connection is not None
        blob = parameter.connection.blobs().get_blob_client(container, blob_name)
        try:
            return bytes(blob.download_blob().readall())
        except ResourceNotFoundError:
            return None

    def _read_table(self, parameter: Parameter, binding_data: Mapping[str, Any]) -> Any:
        settings = parameter.settings
        table_name = resolve(str(settings["tableName"]), binding_data)
        assert parameter.connection is not None
        table = parameter.connection.tables().get_table_client(table_name)
        partition = _optional(settings.get("partitionKey"), binding_data)
        row = _optional(settings.get("rowKey"), binding_data)
        try:
            if partition is not None and row is not None:
                try:
                    return entity_json(table.get_entity(partition, row))
                except ResourceNotFoundError:
                    return None
            clauses = [f"PartitionKey eq '{_quoted(partition)}'"] if partition is not None else []
            if settings.get("filter"):
                clauses.append(f"({resolve(str(settings['filter']), binding_data)})")
            take = int(settings["take"]) if settings.get("take") else None
            entities = table.query_entities(" and ".join(clauses)) if clauses else table.list_entities()
            found: list[dict[str, Any]] = []
            for entity in entities:
                if take is not None and len(found) >= take:
                    break
                found.append(entity_json(entity))
            return found
        except ResourceNotFoundError:
            return [] if row is None else None  # no such table yet

    # -- outputs ---------------------------------------------------------------------------------

    def _encode(self, parameter: Parameter, value: Any) -> meta.Datum:
        converter = parameter.converter
        if converter is not None and parameter.wants is None:
            try:
                datum: meta.Datum = converter.encode(value, expected_type=None)
                return datum
            except NotImplementedError:
                pass
        if isinstance(value, str):
            return meta.Datum(value, "string")
        if isinstance(value, (bytes, bytearray)):
            return meta.Datum(bytes(value), "bytes")
        raise BindingFailure(
            f"The output binding '{parameter.name}' ({parameter.binding_type}) was given a "
            f"{type(value).__name__}; it takes {_takes(parameter)}."
        )

    def _write(self, parameter: Parameter, datum: meta.Datum, binding_data: Mapping[str, Any]) -> None:
        assert parameter.connection is not None
        if parameter.binding_type == "queue":
            queue_name = resolve(str(parameter.settings["queueName"]), binding_data)
            queue = parameter.connection.queues().get_queue_client(queue_name)
            messages = queue_messages(datum)
            with contextlib.suppress(ResourceExistsError):
                queue.create_queue()
            for message in messages:
                queue.send_message(encode_message(message, self.message_encoding))
        elif parameter.binding_type == "blob":
            container, blob_name = _blob_path(parameter, binding_data)
            content = datum.value.encode() if isinstance(datum.value, str) else datum.value
            service = parameter.connection.blobs()
            with contextlib.suppress(ResourceExistsError):
                service.create_container(container)
            service.get_blob_client(container, blob_name).upload_blob(content, overwrite=True)
        elif parameter.binding_type == "table":
            self._write_table(parameter, datum, binding_data)
        else:
            raise BindingFailure(f"'{parameter.binding_type}' is not an output binding.")

    def _write_table(self, parameter: Parameter, datum: meta.Datum, binding_data: Mapping[str, Any]) -> None:
        assert parameter.connection is not None
        try:
            document = json.loads(datum.value)
        except (TypeError, ValueError) as error:
            raise BindingFailure(
                f"The table output binding '{parameter.name}' takes a JSON object or an array of "
                f"entities: {error}"
            ) from error
        entities = document if isinstance(document, list) else [document]
        settings = parameter.settings
        table_name = resolve(str(settings["tableName"]), binding_data)
        service = parameter.connection.tables()
        service.create_table_if_not_exists(table_name)
        table = service.get_table_client(table_name)
        for entity in entities:
            if not isinstance(entity, dict):
                raise BindingFailure(f"A table entity must be a JSON object, not {json.dumps(entity)}.")
            entity = dict(entity)
            for key, setting in (("PartitionKey", "partitionKey"), ("RowKey", "rowKey")):
                if entity.get(key) is None and settings.get(setting):
                    entity[key] = resolve(str(settings[setting]), binding_data)
                if entity.get(key) is None:
                    raise BindingFailure(f"{key} must be specified for the table output '{parameter.name}'.")
            for ignored in ("Timestamp", "ETag", "odata.etag"):
                entity.pop(ignored, None)
            try:
                table.create_entity(entity)
            except ResourceExistsError as error:
                raise BindingFailure(
                    f"The entity ({entity['PartitionKey']}, {entity['RowKey']}) already exists in "
                    f"'{table_name}': the table output binding only inserts (update with the Tables SDK)."
                ) from error


def http_binding_data(request: func.HttpRequest) -> dict[str, Any]:
    """What binding expressions of an HTTP function see: the JSON body's properties, the query
    parameters, the route parameters (later ones win), and ``{Query.x}`` / ``{Headers.x}``."""
    return {
        **json_properties(request.get_body()),
        **dict(request.params),
        **dict(request.route_params),
        "Query": dict(request.params),
        "Headers": {k.lower(): v for k, v in request.headers.items()},
    }


def decode_value(parameter: Parameter, datum: meta.Datum, trigger_metadata: Any = None) -> Any:
    """The argument the worker makes of a datum: raw str/bytes, or the converter's type."""
    if parameter.wants is str:
        return (
            datum.value.decode("utf-8", errors="replace") if isinstance(datum.value, bytes) else datum.value
        )
    if parameter.wants is bytes:
        return datum.value.encode() if isinstance(datum.value, str) else datum.value
    if parameter.converter is not None:
        return parameter.converter.decode(datum, trigger_metadata=trigger_metadata)
    return datum.value  # the generic binding: the value as it came (a JSON text stays text)


def queue_messages(datum: meta.Datum) -> list[str | bytes]:
    """The messages one output value makes: a list gives one message per item."""
    if datum.type in ("string", "bytes"):
        return [datum.value]
    value = json.loads(datum.value)
    items = value if isinstance(value, list) else [value]
    messages: list[str | bytes] = []
    for item in items:
        if isinstance(item, str):
            messages.append(item)
        elif isinstance(item, dict) and "body" in item:
            messages.append(str(item["body"]))  # a func.QueueMessage
        else:
            messages.append(json.dumps(item))
    return messages


def encode_message(message: str | bytes, encoding: str) -> str:
    """A message as the host puts it on the queue: base64 by default, else the text as it is."""
    raw = message.encode() if isinstance(message, str) else message
    if encoding.lower() == "none":
        return raw.decode("utf-8")
    return base64.b64encode(raw).decode("ascii")


def entity_json(entity: Any) -> dict[str, Any]:
    """A table entity as the host hands it to a worker: keys, Timestamp and properties as JSON."""
    document: dict[str, Any] = {}
    timestamp = getattr(entity, "metadata", {}).get("timestamp")
    for key, value in entity.items():
        document[key] = _json_value(value)
    if timestamp is not None:
        document["Timestamp"] = _json_value(timestamp)
    return document


def _json_value(value: Any) -> Any:
    value = getattr(value, "value", value)  # an EntityProperty (Int64, Guid ...)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _blob_path(parameter: Parameter, binding_data: Mapping[str, Any]) -> tuple[str, str]:
    path = resolve(str(parameter.settings["path"]), binding_data).strip("/")
    container, _, blob_name = path.partition("/")
    if not container or not blob_name:
        raise BindingFailure(f"The blob path '{path}' must be 'container/blob'.")
    return container, blob_name


def _optional(template: Any, binding_data: Mapping[str, Any]) -> str | None:
    return resolve(str(template), binding_data) if template not in (None, "") else None


def _quoted(value: str | None) -> str:
    return (value or "").replace("'", "''")


def _takes(parameter: Parameter) -> str:
    if parameter.binding_type == "table":
        return "a JSON string (an entity object or an array of them)"
    if parameter.binding_type == "queue":
        return "str, bytes, func.QueueMessage or a list of them"
    return "str or bytes"
