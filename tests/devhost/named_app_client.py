"""Starting orchestrations of the named_app sample (tests/devhost/apps/named_app) over HTTP."""

from __future__ import annotations

from typing import Any

import requests

from tests.devhost.helpers import DevHost


def start(host: DevHost, name: str, body: Any = None, version: str | None = None) -> dict:
    """Start ``name`` through the app's starter (the durable client's start_new); the check-status payload."""
    params = {"version": version} if version else None
    kwargs = {} if body is None else {"json": body}
    response = requests.post(host.url(f"/api/start/{name}"), params=params, timeout=30, **kwargs)
    assert response.status_code == 202, (
        f"starter answered {response.status_code}: {response.text}\n{host.output()}"
    )
    return response.json()
