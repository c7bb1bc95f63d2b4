"""Keys the local stack makes for itself on first use (never in Azure, where they come from settings).

Kept as files under the local state directory so that the devhost's ``token`` command and the app
(different processes) agree on them, and so they survive restarts.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path


def local_key(state_dir: str, name: str, size: int = 32) -> bytes:
    """The named random key, created (readable by its owner only) if it does not exist yet."""
    directory = Path(state_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.key"
    if not path.exists():
        encoded = base64.b64encode(secrets.token_bytes(size))
        # O_EXCL: two processes starting together both end up with the one that won.
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(encoded)
    return base64.b64decode(path.read_bytes())
