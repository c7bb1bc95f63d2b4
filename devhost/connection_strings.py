"""``Key=Value;`` connection strings (Web PubSub, Communication Services), read as their SDKs read them."""

from __future__ import annotations


class ConnectionStringError(ValueError):
    pass


def parse_connection_string(value: str, service: str, required: tuple[str, ...]) -> dict[str, str]:
    """The pairs, keys lower-cased (the first of a repeated key wins); ``required`` keys must be there."""
    fields: dict[str, str] = {}
    for segment in value.split(";"):
        segment = segment.strip()
        if not segment:
            continue
        if "=" not in segment:
            raise ConnectionStringError(f"malformed segment {segment!r} in the {service} connection string")
        key, field_value = segment.split("=", 1)
        fields.setdefault(key.strip().lower(), field_value.strip())
    missing = [name for name in required if not fields.get(name)]
    if missing:
        raise ConnectionStringError(f"a {service} connection string needs {' and '.join(required)}")
    return fields
