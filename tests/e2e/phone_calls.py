"""What the phone e2e tests share: an agent bound to a fresh number on its SIP channel, waiting on the
platform (its sip session, that session's detail), and what a caller heard in the ACS stand-in's
record of a call."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

import requests

from tests.e2e.builders import new_agent

T = 30
WAIT_S = 30.0


def free_number() -> str:
    """A number no other test binds (the routing table is global)."""
    return "+1444" + "".join(secrets.choice("0123456789") for _ in range(7))


def bound_agent(
    platform, key, number: str, *, channel: dict[str, Any] | None = None, **agent_fields: Any
) -> dict[str, Any]:
    """A new agent whose SIP channel config binds ``number`` (plus the ``channel`` fields)."""
    agent = new_agent(platform, key, **agent_fields)
    response = requests.put(
        platform.url(f"/public/agents/{agent['id']}/channels/sip"),
        json={"phoneNumbers": [number], **(channel or {})},
        headers=key.headers,
        timeout=T,
    )
    assert response.status_code in (200, 201), response.text
    return agent


def wait_until(read: Callable[[], Any], done: Callable[[Any], bool], what: str) -> Any:
    deadline = time.monotonic() + WAIT_S
    value = read()
    while not done(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {value}")
        time.sleep(0.05)
        value = read()
    return value


def heard(record: dict[str, Any]) -> list[str]:
    """The texts played to the end, in order, from the stand-in's record of a call."""
    return [source["text"] for source in record["played"] if source["outcome"] == "completed"]


def page_items(page: dict[str, Any]) -> list[dict[str, Any]]:
    return page["items"] if "items" in page else page["data"]


def sip_sessions(platform, key, agent_id: str) -> list[dict[str, Any]]:
    response = requests.get(
        platform.url("/public/sessions"),
        params={"agentId": agent_id, "sessionType": "sip"},
        headers=key.headers,
        timeout=T,
    )
    assert response.status_code == 200, response.text
    return page_items(response.json())


def the_sip_session(platform, key, agent_id: str) -> dict[str, Any]:
    """The agent's one sip session, once it is listed."""
    listed = wait_until(
        lambda: sip_sessions(platform, key, agent_id), lambda found: len(found) == 1, "the call's session"
    )
    return listed[0]


def session_detail(platform, key, session_id: str) -> dict[str, Any]:
    response = requests.get(platform.url(f"/public/sessions/{session_id}"), headers=key.headers, timeout=T)
    assert response.status_code == 200, response.text
    return response.json()
