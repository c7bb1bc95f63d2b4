"""Pydantic models to Azure Table entities and back.

Table-native fields (str, bool, int, float, datetime, bytes, UUID, and str/int enums and literals) are
stored as typed properties, so they stay filterable. Everything else (lists, dicts, nested models, sets,
dates, decimals...) is stored as a JSON string of its JSON-mode dump and parsed back on read. The choice is
made from the field's annotation, never from the value, so reading back is never ambiguous.

Properties are named after the Python field names (not the camelCase aliases), so filters use those names.
``None`` is not stored (Azure has no null property); a missing property reads back as the field's default.
"""

from __future__ import annotations

import json
import types
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin
from uuid import UUID

from azure.data.tables import EdmType, EntityProperty
from pydantic import BaseModel

from shared.storage.names import check_key

# Names the service owns: a model field with one of these names would clash with the entity's own.
RESERVED_PROPERTIES = frozenset({"PartitionKey", "RowKey", "Timestamp", "etag"})

_NATIVE_TYPES: tuple[type, ...] = (str, bool, int, float, datetime, bytes, UUID)
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def is_native(annotation: Any) -> bool:
    """Whether a field with this annotation is stored as a typed property rather than JSON."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        # Optional[X] is native when X is; any other union goes to JSON, which keeps its type.
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        return len(members) == 1 and is_native(members[0])
    if origin is Literal:
        return all(isinstance(value, str | int) for value in get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return issubclass(annotation, str | int)
    return annotation in _NATIVE_TYPES


def check_model(model: type[BaseModel], id_field: str) -> None:
    if id_field not in model.model_fields:
        raise ValueError(f"{model.__name__} has no field {id_field!r} to use as the entity id.")
    clashes = RESERVED_PROPERTIES & set(model.model_fields)
    if clashes:
        raise ValueError(f"{model.__name__} uses reserved table property names: {sorted(clashes)}.")


def to_entity(model: BaseModel, partition: str, id_field: str) -> dict[str, Any]:
    """The entity to send: keys first, then one property per non-None field (the id is the RowKey)."""
    entity: dict[str, Any] = {
        "PartitionKey": check_key(partition, "partition"),
        "RowKey": check_key(_entity_id(model, id_field), "id"),
    }
    as_python = model.model_dump(mode="python")
    as_json = model.model_dump(mode="json")
    for name, field in type(model).model_fields.items():
        value = as_python.get(name)
        if name == id_field or value is None:
            continue
        if is_native(field.annotation):
            entity[name] = _native_property(value)
        else:
            entity[name] = json.dumps(as_json[name], separators=(",", ":"), ensure_ascii=False)
    return entity


def from_entity(model: type[BaseModel], entity: Mapping[str, Any], id_field: str) -> Any:
    """The model instance for a stored entity (typed ``Any`` here; the repository narrows it to T)."""
    data: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if name == id_field:
            data[name] = entity["RowKey"]
        elif name not in entity:
            if field.is_required():
                data[name] = None  # stored as None (omitted); let validation decide if that is allowed
        elif is_native(field.annotation):
            data[name] = _native_value(entity[name])
        else:
            data[name] = json.loads(entity[name])
    return model.model_validate(data, by_name=True, by_alias=False)


def _entity_id(model: BaseModel, id_field: str) -> str:
    value = getattr(model, id_field)
    return value if isinstance(value, str) else str(value)


def _native_property(value: Any) -> Any:
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, datetime) and value.tzinfo is None:
        # The SDK would read a naive datetime as local time; we define naive as UTC.
        return value.replace(tzinfo=UTC)
    if isinstance(value, int) and not isinstance(value, bool) and not _INT32_MIN <= value <= _INT32_MAX:
        return EntityProperty(value, EdmType.INT64)
    return value


def _native_value(value: Any) -> Any:
    if isinstance(value, EntityProperty):  # Int64 comes back wrapped
        value = value.value
    if isinstance(value, datetime):
        # The SDK returns its own datetime subclass; hand back a plain UTC datetime.
        return datetime.combine(value.date(), value.time(), tzinfo=UTC)
    return value
