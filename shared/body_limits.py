"""How large a request body may be, checked before anything parses it (issue 16, defect 1).

``json.loads`` of a body costs many times its size (an 89 MB ``{"faqs": [{}, {}, …]}`` took a host
from 171 MB to 2.46 GB), so every HTTP trigger refuses an oversized body with 413 before parsing:
first by its ``Content-Length`` (nothing is read), then by the bytes it actually holds (a chunked
body, or a ``Content-Length`` that lies). JSON is never parsed above ``MAX_JSON_BODY_BYTES``, whatever
a route takes otherwise; only the uploads (raw images, multipart documents) take more.

With azure.functions the body reaches the worker already buffered by the host, so in Azure the
host's own limit (``FUNCTIONS_REQUEST_BODY_SIZE_LIMIT``, set to ``HOST_MAX_BODY_BYTES``) is what keeps
a larger body out of memory; these checks keep it from being parsed or stored. The devhost enforces
``HOST_MAX_BODY_BYTES`` while reading, before it buffers a body whole.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.api_errors import ApiError, payload_too_large
from shared.companions.avatar import MAX_AVATAR_BYTES
from shared.knowledge.extraction.formats import MAX_DOCUMENT_BYTES

DEFAULT_MAX_BODY_BYTES = 1024 * 1024  # every operation unless it declares more
MAX_JSON_BODY_BYTES = DEFAULT_MAX_BODY_BYTES  # no JSON body is parsed above this, on any route
MULTIPART_OVERHEAD_BYTES = 64 * 1024  # a multipart upload's boundaries, part headers and `name` field
AVATAR_BODY_BYTES = MAX_AVATAR_BYTES  # the raw image is the body
KNOWLEDGE_UPLOAD_BODY_BYTES = MAX_DOCUMENT_BYTES + MULTIPART_OVERHEAD_BYTES
# The largest body any route takes: what the host (Azure's app setting, the devhost) lets through.
HOST_MAX_BODY_BYTES = max(DEFAULT_MAX_BODY_BYTES, AVATAR_BODY_BYTES, KNOWLEDGE_UPLOAD_BODY_BYTES)
HOST_LIMIT_SETTING = "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"


def declared_length(headers: Mapping[str, str]) -> int | None:
    """The ``Content-Length`` the caller declared, when it is a number."""
    value = next((v for k, v in headers.items() if k.lower() == "content-length"), None)
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


def too_large(size: int, limit: int) -> ApiError:
    return payload_too_large(f"The request body is {size} bytes; this operation takes at most {limit} bytes.")


def check_body_size(headers: Mapping[str, str], body: bytes | None, limit: int) -> None:
    """Raise the 413 when the declared length or the body itself is over ``limit`` bytes."""
    declared = declared_length(headers)
    if declared is not None and declared > limit:
        raise too_large(declared, limit)
    if body is not None and len(body) > limit:
        raise too_large(len(body), limit)
