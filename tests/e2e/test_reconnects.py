"""A lost connection over HTTP/WebSocket against the local stack: a `webrtc` session waits out a grace
period (`OMNI_RECONNECT_GRACE_SECONDS`) for a new connection with the same token and goes on; past it
it ends (`connection_lost`, billed); two overlapping connections keep it; a `websocket` session still
ends as soon as its socket closes (as published)."""

from __future__ import annotations

import time

import pytest
import requests
from websockets.exceptions import InvalidStatus

from shared.sessions.gateway import SESSION_INDEX_TABLE, SessionIndexEntry
from shared.sessions.inbox import INBOX_TABLE, InboxEntry
from shared.storage import TableRepository, table_service
from tests.e2e.builders import new_agent
from tests.e2e.session_client import SessionClient, events_named, message_of, open_connection

T = 30


def _record(host, key, session_id: str) -> dict:
    response = requests.get(host.url(f"/public/sessions/{session_id}"), headers=key.headers, timeout=T)
    assert response.status_code == 200, response.text
    return response.json()


def _ended_record(host, key, session_id: str) -> dict:
    deadline = time.monotonic() + T
    while (record := _record(host, key, session_id))["status"] in ("pending", "started"):
        assert time.monotonic() < deadline, f"session {session_id} never ended"
        time.sleep(0.2)
    return record


def _channel_state(settings, session_id: str) -> SessionIndexEntry:
    index = TableRepository(table_service(settings.storage), SESSION_INDEX_TABLE, SessionIndexEntry)
    return index.get(session_id, session_id).entity


def _heard_closed(settings, session_id: str, still_open: int = 0) -> SessionIndexEntry:
    """Wait until the platform has seen the connections close (``still_open`` left), or the end."""
    deadline = time.monotonic() + T
    while True:
        state = _channel_state(settings, session_id)
        if not state.live or len(getattr(state, "connections", [None] * 99)) == still_open:
            return state
        assert time.monotonic() < deadline, f"session {session_id}: the close was never heard"
        time.sleep(0.1)


def _inbox_kinds(settings, session_id: str) -> list[str]:
    inbox = TableRepository(table_service(settings.storage), INBOX_TABLE, InboxEntry)
    return [entry.kind for entry in inbox.list_all(session_id)]


def _webrtc(host, key, agent_id: str) -> dict:
    return open_connection(host, key, agent_id, channelType="webrtc", modality="text")


def test_a_webrtc_session_whose_socket_reopens_with_the_same_token_goes_on(platform, model, model_key):
    agent = new_agent(platform, model_key, greeting="Hi, I'm Ava.")
    model.reply_text("Before the drop.")
    model.reply_text("After the drop.")
    answer = _webrtc(platform, model_key, agent["id"])
    session_id = answer["connection"]["id"]
    with SessionClient(answer) as first:
        opening = first.receive_until("avatar_state_changed", state="ready")
        assert first.reply()["content"] == "Hi, I'm Ava."
        assert first.ask("One") == "Before the drop."
    state = _heard_closed(platform.settings, session_id)
    assert state.live and state.disconnected_at is not None
    with SessionClient(answer) as second:
        back = second.receive_until("avatar_state_changed", state="ready")
        assert second.ask("Two") == "After the drop."
        record = _record(platform, model_key, session_id)
        ended = second.end()

    # The reconnected client hears the session is ready, without the opening again.
    assert [message_of(f)["type"] for f in events_named(opening, "message_received")] == ["session"]
    assert [f["data"]["state"] for f in events_named(opening, "avatar_state_changed")] == [
        "preparing",
        "ready",
    ]
    assert [f["data"] for f in events_named(back, "avatar_state_changed")] == [{"state": "ready"}]
    assert not [
        f for f in second.seen if f["event"] == "message_received" and message_of(f)["type"] == "session"
    ]
    said = [message_of(f)["content"] for f in second.seen if f["event"] == "message_received"]
    assert "Hi, I'm Ava." not in said
    assert (record["status"], record["closeReason"]) == ("started", None)
    listed = requests.get(platform.url("/public/sessions"), headers=model_key.headers, timeout=T).json()
    assert [s["id"] for s in listed["items"]] == [session_id]
    assert ended["reason"] == "client"
    assert _inbox_kinds(platform.settings, session_id).count("disconnected") == 1


def test_a_webrtc_session_left_closed_past_the_grace_ends_and_is_billed(
    own_platform_factory, model, model_key
):
    host = own_platform_factory(OMNI_RECONNECT_GRACE_SECONDS="1")
    agent = new_agent(host, model_key)
    model.reply_text("Noted.")
    answer = _webrtc(host, model_key, agent["id"])
    session_id = answer["connection"]["id"]
    with SessionClient(answer) as client:
        client.receive_until("avatar_state_changed", state="ready")
        assert client.ask("One") == "Noted."
    record = _ended_record(host, model_key, session_id)
    with pytest.raises(InvalidStatus) as refused:
        SessionClient(answer)

    assert (record["status"], record["closeReason"], record["endReason"]) == (
        "closed",
        "connection_lost",
        "connection_lost",
    )
    assert record["billedMinutes"] == 1
    assert refused.value.response.status_code == 401


def test_a_second_connection_keeps_the_session_when_the_first_closes(platform, model, model_key):
    agent = new_agent(platform, model_key)
    model.reply_text("Still here.")
    answer = _webrtc(platform, model_key, agent["id"])
    session_id = answer["connection"]["id"]
    first = SessionClient(answer)
    try:
        first.receive_until("avatar_state_changed", state="ready")
        with SessionClient(answer) as second:
            second.receive_until("avatar_state_changed", state="ready")
            first.close()
            state = _heard_closed(platform.settings, session_id, still_open=1)
            assert second.ask("Are you there?") == "Still here."
            record = _record(platform, model_key, session_id)
            second.end()
    finally:
        first.close()

    assert state.live and state.disconnected_at is None
    assert record["status"] == "started"
    kinds = _inbox_kinds(platform.settings, session_id)
    assert "disconnected" not in kinds and kinds.count("connected") == 2


def test_a_websocket_session_still_ends_as_soon_as_its_socket_closes(platform, model, model_key):
    agent = new_agent(platform, model_key)
    answer = open_connection(platform, model_key, agent["id"], modality="text")
    session_id = answer["connection"]["id"]
    with SessionClient(answer) as client:
        client.receive_until("avatar_state_changed", state="ready")
    record = _ended_record(platform, model_key, session_id)

    assert (record["status"], record["closeReason"], record["endReason"]) == (
        "closed",
        "client_closed",
        "client",
    )
