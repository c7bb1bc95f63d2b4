"""What makes a function definition valid. Plain functions over plain data, no I/O (the endpoint-address
check, which resolves DNS, lives in ``shared.functions.addresses``)."""

from __future__ import annotations

import base64
import json
import re
import secrets
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from shared.api_errors import FieldError

# The function-name rule of the model APIs (OpenAI tools): 1-64 of a-z A-Z 0-9 _ -.
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MAX_PARAMETERS_CHARS = 16_000  # stored in one table property (at most 32K UTF-16 characters)
MAX_HEADERS = 20
MAX_HEADER_VALUE = 4096
MAX_HEADERS_CHARS = 8000  # all headers as JSON: sealed, they must fit one table property
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$")  # an RFC 9110 token
# Set by the platform on every explicit call, or by the HTTP stack: a function cannot override them.
RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "content-type",
        "transfer-encoding",
        "connection",
        "upgrade",
        "x-omniagent-signature",
        "x-omniagent-timestamp",
    }
)
WEBSOCKET_SCHEMES = ("ws", "wss")


def name_problem(name: str) -> str | None:
    if not NAME_PATTERN.fullmatch(name):
        return "must be 1-64 characters of letters, digits, '_' or '-'"
    return None


def parameters_problems(parameters: Any) -> list[str]:
    """Why ``parameters`` is not an object JSON Schema (draft 2020-12), or [] when it is."""
    if not isinstance(parameters, dict):
        return ["must be a JSON Schema object"]
    problems = []
    try:
        Draft202012Validator.check_schema(parameters)
    except SchemaError as error:
        where = "/".join(str(p) for p in error.absolute_path)
        problems.append(f"is not a valid JSON Schema: {error.message}" + (f" (at {where})" if where else ""))
    if parameters.get("type") != "object":
        problems.append('must describe an object: "type": "object"')
    if len(json.dumps(parameters)) > MAX_PARAMETERS_CHARS:
        problems.append(f"is larger than {MAX_PARAMETERS_CHARS} characters of JSON")
    return problems


def headers_problems(headers: dict[str, str]) -> list[FieldError]:
    if len(headers) > MAX_HEADERS:
        return [FieldError("headers", f"at most {MAX_HEADERS} headers are allowed")]
    if len(json.dumps(headers)) > MAX_HEADERS_CHARS:
        return [FieldError("headers", f"all headers together must be at most {MAX_HEADERS_CHARS} characters")]
    problems = []
    for name, value in headers.items():
        field = f"headers.{name}"
        if not _HEADER_NAME.fullmatch(name):
            problems.append(FieldError(field, "is not a valid header name"))
        elif name.lower() in RESERVED_HEADERS:
            problems.append(FieldError(field, "is set by the platform and cannot be configured"))
        elif len(value) > MAX_HEADER_VALUE or any(c in value for c in "\r\n\0"):
            problems.append(FieldError(field, f"must be at most {MAX_HEADER_VALUE} characters, one line"))
    return problems


def new_signing_secret() -> str:
    """32 random bytes, base64url without padding (43 characters)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def is_websocket_url(url: str | None) -> bool:
    return bool(url) and str(url).split(":", 1)[0].lower() in WEBSOCKET_SCHEMES
