"""Resources the end-to-end tests need as scenery, made through the public API as a customer would."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

TIMEOUT = 30


def create(platform: Any, key: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = requests.post(platform.url(path), json=body, headers=key.headers, timeout=TIMEOUT)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def new_companion(platform: Any, key: Any, description: str = "A patient support specialist.") -> str:
    return str(create(platform, key, "/public/companions", {"description": description})["id"])


def new_agent(platform: Any, key: Any, **fields: Any) -> dict[str, Any]:
    """An agent with the published minimal body; ``fields`` add to it or replace its parts."""
    companion_id = fields.pop("companionId", None) or new_companion(platform, key)
    body = {"companionId": companion_id, "voiceId": "alloy", "providerSettings": {}, **fields}
    return create(platform, key, "/public/agents", body)


def new_weather_function(platform: Any, key: Any) -> dict[str, Any]:
    """An implicit ``get_weather(city)`` function: the client answers its calls."""
    body = {
        "data": {
            "name": "get_weather",
            "description": "Weather in a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
        "flow": "implicit",
    }
    return create(platform, key, "/public/functions", body)


def patch_at_once(url: str, headers: dict[str, str], bodies: list[dict[str, Any]]) -> list[int]:
    """Send every PATCH concurrently; answers their statuses in the order of ``bodies``."""
    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(
            pool.map(
                lambda body: requests.patch(url, json=body, headers=headers, timeout=60).status_code, bodies
            )
        )
