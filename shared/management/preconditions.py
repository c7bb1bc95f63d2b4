"""``If-Match`` against a stored entity's ETag (RFC 9110: a list of tags, or ``*``)."""

from __future__ import annotations


def etag_matches(if_match: str, current: str) -> bool:
    wanted = [tag.strip() for tag in if_match.split(",") if tag.strip()]
    # A list of tags splits on commas; Azure's ETags hold none, so this never cuts one in two.
    return "*" in wanted or current in wanted
