"""Session records as the published Sessions API shows them (status, close reason, cost, times,
conversation), the list's filters, and the concurrency limit of 5 live sessions per transport per
organization. Sessions are ended over REST (``POST /public/sessions/{id}/end``), so these tests do not
depend on the WebSocket protocol beyond opening the socket."""

from __future__ import annotations

import time
from typing import Any

import requests

from tests.e2e.builders import create, new_agent
from tests.e2e.conftest import error_of
from tests.e2e.session_client import SessionClient, open_connection

T = 30
LIVE = ("pending", "started")


def _session(platform, key, session_id: str) -> dict[str, Any]:
    response = requests.get(platform.url(f"/public/sessions/{session_id}"), headers=key.headers, timeout=T)
    assert response.status_code == 200, response.text
    session: dict[str, Any] = response.json()
    return session


def _wait_for(platform, key, session_id: str, done, what: str) -> dict[str, Any]:
    deadline = time.monotonic() + T
    while True:
        session = _session(platform, key, session_id)
        if done(session):
            return session
        assert time.monotonic() < deadline, f"session {session_id} never {what}: {session}"
        time.sleep(0.2)


def _end(platform, key, session_id: str) -> dict[str, Any]:
    """End the session over REST and wait until its record says it ended."""
    ended = requests.post(platform.url(f"/public/sessions/{session_id}/end"), headers=key.headers, timeout=T)
    assert ended.status_code == 202, ended.text
    return _wait_for(platform, key, session_id, lambda s: s["status"] not in LIVE, "ended")


def _list_response(platform, key, **params: str) -> requests.Response:
    return requests.get(platform.url("/public/sessions"), params=params, headers=key.headers, timeout=T)


def _list(platform, key, **params: str) -> dict[str, Any]:
    response = _list_response(platform, key, **params)
    assert response.status_code == 200, response.text
    listed: dict[str, Any] = response.json()
    return listed


def _connect(platform, key, agent_id: str, **body: Any) -> requests.Response:
    return requests.post(
        platform.url(f"/public/agents/{agent_id}/connections"),
        json={"channelType": "websocket", **body},
        headers=key.headers,
        timeout=T,
    )


def test_a_session_record_goes_from_pending_to_closed_with_the_published_fields(platform, project_key):
    faq = create(
        platform,
        project_key,
        "/public/faqs",
        {"name": "Hours", "faqs": [{"question": "When are you open?", "answer": "Every day from 9 to 17."}]},
    )
    agent = new_agent(platform, project_key, faqCollections=[faq["id"]])
    answer = open_connection(
        platform, project_key, agent["id"], externalClientId="user-9", tags={"env": "prod"}, modality="text"
    )
    session_id = answer["connection"]["id"]
    pending = _session(platform, project_key, session_id)
    assert {k: pending[k] for k in ("status", "startedAt", "closedAt", "closeReason", "cost")} == {
        "status": "pending",
        "startedAt": None,
        "closedAt": None,
        "closeReason": None,
        "cost": None,  # null until it ends
    }
    assert {k: pending[k] for k in ("companionId", "functions", "knowledgeBaseId", "faqIds")} == {
        "companionId": agent["companionId"],
        "functions": [],
        "knowledgeBaseId": None,
        "faqIds": [faq["id"]],
    }
    assert (pending["sessionType"], pending["modality"], pending["tags"]) == (
        "websocket",
        "text",
        {"env": "prod"},
    )
    assert isinstance(pending["createdAt"], int) and abs(pending["createdAt"] - time.time()) < 60
    assert pending["conversation"] == {"items": []} and pending["functionMetrics"] == []

    with SessionClient(answer) as client:
        client.receive()  # the session has its client
        sent = requests.post(
            platform.url(f"/public/sessions/{session_id}/messages"),
            json={"text": "When are you open?"},
            headers=project_key.headers,
            timeout=T,
        )
        assert sent.status_code == 202
        talked = _wait_for(
            platform,
            project_key,
            session_id,
            lambda s: any(
                i["role"] == "agent" and "9 to 17" in i["text"] for i in s["conversation"]["items"]
            ),
            "answered",
        )
        assert talked["status"] == "started" and isinstance(talked["startedAt"], int)
        closed = _end(platform, project_key, session_id)

    assert (closed["status"], closed["closeReason"], closed["endReason"]) == (
        "closed",
        "client_closed",
        "client",
    )
    assert closed["createdAt"] <= closed["closedAt"] <= time.time() + 1
    # startedAt: when the client connected (the channel's connected event)
    assert closed["createdAt"] <= closed["startedAt"] <= closed["closedAt"]
    assert isinstance(closed["cost"], float) and 0 <= closed["cost"] <= closed["billedMinutes"] * 0.058
    items = closed["conversation"]["items"]
    user = [i for i in items if i["role"] == "user"]
    assert [i["text"] for i in user] == ["When are you open?"]
    assert items.index(user[0]) < next(n for n, i in enumerate(items) if "9 to 17" in i["text"])
    assert all(set(i) >= {"role", "text", "timestamp"} and isinstance(i["timestamp"], int) for i in items)
    assert all(i["role"] in ("agent", "user") for i in items)


def test_a_session_whose_client_never_connects_fails(platform, project_key):
    agent = new_agent(platform, project_key)
    session_id = open_connection(platform, project_key, agent["id"])["connection"]["id"]
    failed = _end(platform, project_key, session_id)
    assert (failed["status"], failed["closeReason"], failed["startedAt"]) == ("failed", "client_closed", None)


def test_sessions_are_filtered_by_companion_client_tags_and_search(
    platform, project_key, project_key_factory
):
    def same_project_key():  # connections: 1 per 5 s per key (published)
        return project_key_factory(
            organization_id=project_key.organization_id, project_id=project_key.project_id
        )

    first, second = new_agent(platform, project_key), new_agent(platform, project_key)
    a = _connect(
        platform, project_key, first["id"], externalClientId="u-1", tags={"env": "prod", "channel": "web"}
    )
    b = _connect(platform, same_project_key(), second["id"], externalClientId="u-2", tags={"env": "dev"})
    c = _connect(platform, same_project_key(), first["id"])
    ids = [r.json()["connection"]["id"] for r in (a, b, c)]
    assert [r.status_code for r in (a, b, c)] == [201, 201, 201]
    a_id, b_id, c_id = ids

    def found(**params: str) -> list[str]:
        listed = _list(platform, project_key, **params)
        assert listed["totalCount"] == 3 and listed["filteredCount"] == len(listed["items"])
        return [item["id"] for item in listed["items"]]

    assert found() == [c_id, b_id, a_id]  # newest first
    assert found(companionId=first["companionId"]) == [c_id, a_id]
    assert found(externalClientId="u-2") == [b_id]
    assert found(tags="env:prod") == [a_id]
    assert found(tags="env") == [b_id, a_id]  # a key alone: any value
    assert found(tags="env:prod,channel:web") == [a_id]
    assert found(tags='{"env": "dev"}') == [b_id]
    assert found(tags="env:prod", externalClientId="u-2") == []
    assert found(search="U-1") == [a_id]  # case-insensitive
    assert found(search=c_id) == [c_id]
    assert found(search="pending") == [c_id, b_id, a_id]
    assert found(agentId=second["id"]) == [b_id]  # extension
    assert found(status="pending") == [c_id, b_id, a_id]  # extensions: status, transport, window
    assert found(status="closed") == [] and found(sessionType="webrtc") == []
    assert found(sessionType="websocket", agentId=first["id"]) == [c_id, a_id]
    created = {i["id"]: i["createdAt"] for i in _list(platform, project_key)["items"]}
    assert found(**{"from": str(created[a_id])}) == [
        i for i in (c_id, b_id, a_id) if created[i] >= created[a_id]
    ]
    assert found(**{"to": str(created[a_id])}) == []  # exclusive: nothing was created before it
    assert found(**{"from": "2000-01-01T00:00:00Z", "to": "2000-01-02T00:00:00Z"}) == []
    bad_status = _list_response(platform, project_key, status="gone")
    assert bad_status.status_code == 400 and error_of(bad_status)["details"][0]["field"] == "query.status"
    page = _list(platform, project_key, pageSize="2", pageIndex="1")
    assert ([i["id"] for i in page["items"]], page["filteredCount"], page["totalCount"]) == ([a_id], 3, 3)
    bad = requests.get(
        platform.url("/public/sessions"), params={"tags": ":x"}, headers=project_key.headers, timeout=T
    )
    assert bad.status_code == 400 and error_of(bad)["details"][0]["field"] == "tags"

    for session_id in ids:
        _end(platform, project_key, session_id)
    assert found(search="failed") == [c_id, b_id, a_id]  # their clients never connected
    assert found(status="failed") == [c_id, b_id, a_id] and found(status="pending") == []


def test_a_sixth_live_websocket_session_of_an_organization_is_refused_until_one_ends(
    platform, project_key, project_key_factory
):
    organization = project_key.organization_id

    def key_of(project_id: str):  # connections: 1 per 5 s per key (published)
        return project_key_factory(organization_id=organization, project_id=project_id)

    other_project = project_key_factory(organization_id=organization)  # the limit is the organization's
    agent, other_agent = new_agent(platform, project_key), new_agent(platform, other_project)
    opened = [_connect(platform, project_key, agent["id"])]
    opened += [_connect(platform, key_of(project_key.project_id), agent["id"]) for _ in range(3)]
    opened.append(_connect(platform, other_project, other_agent["id"]))
    assert [r.status_code for r in opened] == [201] * 5, [r.text for r in opened]
    live = [
        (r.json()["connection"]["id"], k)
        for r, k in zip(opened, [project_key] * 4 + [other_project], strict=True)
    ]

    sixth = _connect(platform, key_of(project_key.project_id), agent["id"])
    assert sixth.status_code == 409
    refusal = error_of(sixth)
    assert (refusal["code"], refusal["numericType"]) == ("ConcurrentSessionLimitReached", 3)
    assert (
        refusal["description"] == "Organization has reached the maximum of 5 concurrent 'websocket' sessions."
    )
    legacy = requests.post(
        platform.url("/public/ws-connections"),
        json={"companionId": agent["companionId"]},
        headers=key_of(project_key.project_id).headers,
        timeout=T,
    )
    assert legacy.status_code == 409 and error_of(legacy)["code"] == "ConcurrentSessionLimitReached"
    elsewhere = project_key_factory()  # another organization has its own limit
    elsewhere_answer = _connect(platform, elsewhere, new_agent(platform, elsewhere)["id"])
    assert elsewhere_answer.status_code == 201
    _end(platform, elsewhere, elsewhere_answer.json()["connection"]["id"])

    first_id, first_key = live.pop(0)
    _end(platform, first_key, first_id)
    again = _connect(platform, key_of(project_key.project_id), agent["id"])
    assert again.status_code == 201, again.text
    live.append((again.json()["connection"]["id"], project_key))
    for session_id, key in live:
        _end(platform, key, session_id)
