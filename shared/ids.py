"""Resource ids: opaque strings with a type prefix, as in the published examples (``agent_…``)."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_lowercase + string.digits


def new_id(prefix: str, length: int = 20) -> str:
    """``prefix_`` and ``length`` random lowercase letters and digits (about 103 bits)."""
    return f"{prefix}_{''.join(secrets.choice(_ALPHABET) for _ in range(length))}"
