"""Binding expressions, as the Functions host resolves them.

- ``%NAME%`` names an app setting; resolved once, when the app is loaded (an unset one fails the start).
- ``{name}`` takes a value from the invocation's binding data (route parameters, query parameters and
  JSON body properties of an HTTP request; the message text ``{queueTrigger}`` and the JSON properties
  of a queue message; the names of a blob trigger's path pattern ...), case-insensitively; ``{a.b}``
  walks into a JSON object. ``{rand-guid}`` / ``{sys.randguid}`` is a new GUID, ``{DateTime}`` /
  ``{sys.utcnow}`` the current UTC time. A name with no value fails the invocation with the host's words.
- A blob trigger's path (``container/{name}.txt``) is a pattern: :func:`compile_blob_pattern`.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

_SETTING = re.compile(r"%([^%]+)%")
_PARAMETER = re.compile(r"\{([^{}]+)\}")


class ExpressionError(ValueError):
    pass


def resolve_settings(template: str, environ: Mapping[str, str] | None = None) -> str:
    """Replace every ``%NAME%`` with its app setting (at load time, as the host does)."""
    environ = os.environ if environ is None else environ

    def setting(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise ExpressionError(f"'%{name}%' does not resolve to a value: no app setting named '{name}'.")
        return environ[name]

    return _SETTING.sub(setting, template)


def parameter_names(template: str) -> list[str]:
    return [match.group(1) for match in _PARAMETER.finditer(template)]


def resolve(template: str, binding_data: Mapping[str, Any]) -> str:
    """Fill ``{name}`` parameters from the binding data (names case-insensitive, as in the host)."""
    folded = {key.lower(): value for key, value in binding_data.items()}

    def parameter(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        name, _, format_spec = expression.partition(":")
        lowered = name.lower()
        if lowered in ("rand-guid", "sys.randguid"):
            return str(uuid.uuid4())
        if lowered in ("datetime", "sys.utcnow"):
            now = datetime.now(UTC)
            return now.strftime(_dotnet_format(format_spec)) if format_spec else now.isoformat()
        value = _lookup(folded, lowered)
        if value is None:
            raise ExpressionError(f"No value for named parameter '{name}'.")
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        if isinstance(value, bool):
            return "True" if value else "False"  # as .NET prints it
        return str(value)

    return _PARAMETER.sub(parameter, template)


def _lookup(folded: Mapping[str, Any], dotted: str) -> Any:
    if dotted in folded:
        return folded[dotted]
    head, _, rest = dotted.partition(".")
    value: Any = folded.get(head)
    while rest and isinstance(value, dict):
        part, _, rest = rest.partition(".")
        value = {str(k).lower(): v for k, v in value.items()}.get(part)
    return None if rest else value


def _dotnet_format(spec: str) -> str:
    """The few .NET date format specifiers apps use in paths (yyyy, MM, dd, HH, mm, ss)."""
    replacements = (("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S"))
    for dotnet, strftime in replacements:
        spec = spec.replace(dotnet, strftime)
    return spec


def json_properties(text: str | bytes) -> dict[str, Any]:
    """The top-level properties of a JSON object payload (binding data), else nothing."""
    try:
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class BlobPattern:
    """A blob trigger path: ``container/prefix{name}suffix``; parameters match within one name."""

    container: str
    prefix: str  # the literal start of blob names, for listing
    pattern: re.Pattern[str]

    def match(self, blob_name: str) -> dict[str, str] | None:
        matched = self.pattern.fullmatch(blob_name)
        return matched.groupdict() if matched else None


def compile_blob_pattern(path: str) -> BlobPattern:
    container, _, blob_path = path.strip("/").partition("/")
    if not container or "{" in container:
        raise ExpressionError(f"The blob path '{path}' must start with a container name.")
    parts: list[str] = []
    position = 0
    for match in _PARAMETER.finditer(blob_path):
        parts.append(re.escape(blob_path[position : match.start()]))
        name = match.group(1)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ExpressionError(f"The blob path '{path}' has an invalid parameter '{{{name}}}'.")
        # As the host: a parameter spans any characters, '/' included (blobs in virtual folders match).
        parts.append(f"(?P<{name}>.+?)")
        position = match.end()
    parts.append(re.escape(blob_path[position:]))
    literal_prefix = blob_path.split("{", 1)[0]
    regex = "".join(parts) if blob_path else ".+"
    return BlobPattern(container=container, prefix=literal_prefix, pattern=re.compile(regex))
