"""The naming rules Azure enforces for tables, containers, keys and blobs, checked before any request."""

from __future__ import annotations

import re

_TABLE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{2,62}")
_CONTAINER_NAME = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}")
# Azure refuses these in PartitionKey/RowKey: '/', '\', '#', '?' and the C0/C1 control characters.
_FORBIDDEN_IN_KEY = re.compile(r"[/\\#?\x00-\x1f\x7f-\x9f]")
# Blob names may hold more, but '\' is rewritten to '/' by some clients and '#', '?' break URLs (SAS links).
_FORBIDDEN_IN_BLOB_SEGMENT = re.compile(r"[\\#?\x00-\x1f\x7f-\x9f]")
MAX_KEY_LENGTH = 512  # Azure allows 1 KiB of UTF-16; 512 characters always fits.
MAX_BLOB_NAME_LENGTH = 1024


def check_table_name(name: str) -> str:
    if not _TABLE_NAME.fullmatch(name) or name.lower() == "tables":
        raise ValueError(
            f"Invalid table name {name!r}: use 3-63 letters and digits, starting with a letter "
            "('tables' is reserved)."
        )
    return name


def check_container_name(name: str) -> str:
    if not _CONTAINER_NAME.fullmatch(name):
        raise ValueError(
            f"Invalid container name {name!r}: use 3-63 lowercase letters, digits and single hyphens, "
            "starting and ending with a letter or digit."
        )
    return name


def check_key(value: str, what: str = "key") -> str:
    """Check a PartitionKey or RowKey value; ``what`` names it in the message ("partition", "id")."""
    if not isinstance(value, str):
        raise ValueError(f"Invalid {what}: expected a string, got {type(value).__name__}.")
    if not value:
        raise ValueError(f"Invalid {what}: it must not be empty.")
    if len(value) > MAX_KEY_LENGTH:
        raise ValueError(f"Invalid {what}: longer than {MAX_KEY_LENGTH} characters.")
    bad = _FORBIDDEN_IN_KEY.search(value)
    if bad:
        raise ValueError(
            f"Invalid {what} {value!r}: character {bad.group()!r} is not allowed "
            "(no '/', '\\', '#', '?' or control characters)."
        )
    return value


def check_blob_name(name: str) -> str:
    """Check a '/'-separated blob name: non-empty segments, no '.'/'..', no '\\', '#', '?', controls."""
    if not name or len(name) > MAX_BLOB_NAME_LENGTH:
        raise ValueError(f"Invalid blob name {name!r}: use 1-{MAX_BLOB_NAME_LENGTH} characters.")
    for segment in name.split("/"):
        if segment in ("", ".", ".."):
            raise ValueError(
                f"Invalid blob name {name!r}: empty, '.' and '..' path segments are not allowed."
            )
        bad = _FORBIDDEN_IN_BLOB_SEGMENT.search(segment)
        if bad:
            raise ValueError(
                f"Invalid blob name {name!r}: character {bad.group()!r} is not allowed "
                "(no '\\', '#', '?' or control characters)."
            )
    if name.endswith("."):
        raise ValueError(f"Invalid blob name {name!r}: it must not end with '.'.")
    return name
