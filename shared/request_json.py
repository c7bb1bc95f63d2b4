"""How a JSON request body is read: one set of rules for every route and every live-protocol frame
(issue 16, defects 2 and 9). The size comes first (``shared.body_limits``), then:

- the media type: ``application/json`` or a ``+json`` type, any parameters (``; charset=utf-8``);
  no ``Content-Type`` at all is read as JSON; any other type is a 415 ``UnsupportedMediaType``;
- the text: valid JSON, nested at most as deep as the parser's stack allows, and no object naming a
  key twice (RFC 8259 leaves duplicates to the parser: Python keeps the last one silently, another
  parser the first, so a body could mean two things);
- the model: unknown fields are refused (400 naming them), unless the model itself says it takes
  them (``extra="ignore"``: the Marketplace webhook, whose sender may add fields);
- booleans are JSON ``true`` / ``false`` only: pydantic would read ``0``, ``1``, ``"yes"`` or
  ``"off"`` as a boolean, so ``"memory": {"enabled": 0}`` would silently turn memory off.

``PATCH`` bodies, every resource: a field left out is unchanged; ``null`` resets a field the resource
may go without (optional when it is created) to the default a create without it gets; a field it
requires is typed ``NotNull[...]``: documented non-nullable, and ``null`` for it is a 400 naming it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, Field

from shared.api_errors import ApiError, FieldError, unsupported_media_type, validation_failed

JSON_MEDIA_TYPE = "application/json"
NOT_NULL_MESSAGE = "cannot be null: the resource requires it (leave it out to keep it)"

T = TypeVar("T")


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise ValueError(NOT_NULL_MESSAGE)
    return value


def _no_null_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)  # "left out" is not a null the document should show


# A PATCH field the resource requires: may be left out (None in Python), never sent as null.
if TYPE_CHECKING:  # left out, the field is None in Python
    NotNull = Annotated[T | None, "not null"]
else:  # validated as T alone (pydantic never validates a default): no null in the document, and a
    # wrong value is reported at the field itself, not at a member of a union with None
    NotNull = Annotated[T, BeforeValidator(_refuse_null), Field(json_schema_extra=_no_null_default)]


def reset_nulls(changes: dict[str, Any], create: type[BaseModel]) -> dict[str, Any]:
    """``changes`` with each ``null`` replaced by the default ``create`` gives that field."""
    return {
        name: create.model_fields[name].get_default(call_default_factory=True) if value is None else value
        for name, value in changes.items()
    }


class InvalidJson(ValueError):
    """The body's text is not JSON this API reads; the message says why."""


def check_json_media_type(content_type: str | None) -> None:
    """Raise the 415 unless ``content_type`` is JSON (or absent)."""
    if content_type is None or not content_type.strip():
        return
    media_type = content_type.split(";", 1)[0].strip().lower()
    structured = media_type.startswith("application/") and media_type.endswith("+json")
    if media_type == JSON_MEDIA_TYPE or structured:
        return
    raise unsupported_media_type(
        f"This operation takes a JSON body: send it as Content-Type: {JSON_MEDIA_TYPE} (not {media_type})."
    )


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise InvalidJson(f"An object names the key '{key}' twice: send each key once.")
        obj[key] = value
    return obj


def loads(raw: bytes | str) -> Any:
    """The JSON value of ``raw``, or ``InvalidJson`` saying what is wrong with it."""
    try:
        return json.loads(raw, object_pairs_hook=_unique_keys)
    except InvalidJson:
        raise
    except RecursionError:  # '[' * 100000 exhausts the parser's stack
        raise InvalidJson("The JSON is nested too deeply.") from None
    except ValueError:
        raise InvalidJson("The text is not valid JSON.") from None


def extra_rule(model: type[BaseModel]) -> Literal["forbid"] | None:
    """Unknown fields are refused, unless the model says it takes (or ignores) them."""
    return None if model.model_config.get("extra") in ("allow", "ignore") else "forbid"


def loose_booleans(parsed: BaseModel, data: Any, path: str = "") -> list[str]:
    """The fields of ``parsed`` that are booleans although ``data`` (what was sent) had no JSON boolean
    there: ``memory.enabled``, ``items[2].done``."""
    if not isinstance(data, dict):
        return []
    found: list[str] = []
    for name, field in type(parsed).model_fields.items():
        key = field.alias if field.alias and field.alias in data else name
        if key in data:
            found += _loose(getattr(parsed, name), data[key], f"{path}.{key}" if path else key)
    return found


def _loose(value: Any, sent: Any, path: str) -> list[str]:
    if isinstance(value, bool):
        return [] if isinstance(sent, bool) else [path]
    if isinstance(value, BaseModel):
        return loose_booleans(value, sent, path)
    if isinstance(value, (list, tuple)) and isinstance(sent, list):
        pairs = enumerate(zip(value, sent, strict=False))
        return [p for i, (v, s) in pairs for p in _loose(v, s, f"{path}[{i}]")]
    if isinstance(value, dict) and isinstance(sent, dict):
        return [p for k, v in value.items() if k in sent for p in _loose(v, sent[k], f"{path}.{k}")]
    return []


def boolean_error(paths: list[str]) -> ApiError:
    details = [FieldError(p, "must be a JSON boolean (true or false)") for p in paths]
    summary = "; ".join(f"{d.field}: {d.message}" for d in details[:5])
    return validation_failed(f"The request is not valid: {summary}", details)
