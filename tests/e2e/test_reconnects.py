"""A lost connection over HTTP/WebSocket against the local stack: a `webrtc` session waits out a grace
period (`OMNI_RECONNECT_GRACE_SECONDS`) for a new connection with the same token and goes on; past it
it ends (`connection_lost`, billed); a second socket while one is live is refused (409
`SessionConnected`, either channel); a `websocket` session still ends as soon as its socket closes (as
published)."""

from __future__ import annotations

import base64
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus

from shared.sessions.gateway import SESSION_INDEX_TABLE, SessionIndexEntry
from shared.sessions.inbox import INBOX_TABLE, InboxEntry
from shared.storage import TableRepository, table_service
from tests.e2e.builders import new_agent
from tests.e2e.session_client import SessionClient, events_named, message_of, open_connection, token_of

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


def _refused_connect(answer: dict) -> tuple[int, dict]:
    with pytest.raises(InvalidStatus) as refused:
        SessionClient(answer)
    response = refused.value.response
    return response.status_code, json.loads(response.body or b"{}")


@pytest.mark.parametrize("channel_type", ["webrtc", "websocket"])
def test_a_second_connection_while_one_is_live_is_refused_and_hears_nothing(
    platform, model, model_key, channel_type
):
    """Issue 16, defect 8: a leaked URL cannot listen in while the user is connected."""
    agent = new_agent(platform, model_key)
    model.reply_text("Only you hear this.")
    answer = open_connection(platform, model_key, agent["id"], channelType=channel_type, modality="text")
    session_id = answer["connection"]["id"]
    with SessionClient(answer) as first:
        first.receive_until("avatar_state_changed", state="ready")
        status, body = _refused_connect(answer)
        again, _ = _refused_connect(answer)
        assert first.ask("Who hears this?") == "Only you hear this."
        state = _channel_state(platform.settings, session_id)
        record = _record(platform, model_key, session_id)
        first.end()

    assert (status, body["code"], again) == (409, "SessionConnected", 409)
    assert len(state.connections) == 1 and state.live
    assert record["status"] == "started"
    assert _inbox_kinds(platform.settings, session_id).count("connected") == 1


def _still_served(client: SessionClient) -> bool:
    """A socket's frames are handled after its ``connected`` event: one that lost the slot there is
    closed before this command is answered."""
    try:
        client.command("no_such_command")
        client.receive_until("error", code="UnknownCommand")
        return True
    except ConnectionClosed:
        return False


def test_of_clients_connecting_at_once_with_one_token_exactly_one_gets_the_session(platform, model_key):
    agent = new_agent(platform, model_key)
    answer = _webrtc(platform, model_key, agent["id"])
    session_id = answer["connection"]["id"]

    def connect(_: int) -> SessionClient | int:
        try:
            return SessionClient(answer)
        except InvalidStatus as refused:
            return refused.response.status_code

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(connect, range(4)))
    opened = [o for o in outcomes if isinstance(o, SessionClient)]
    try:
        served = [client for client in opened if _still_served(client)]
        state = _channel_state(platform.settings, session_id)
        assert len(served) == 1, outcomes
        served[0].end()
    finally:
        for client in opened:
            client.close()

    assert all(o == 409 for o in outcomes if not isinstance(o, SessionClient))
    assert len(state.connections) == 1


def test_a_webrtc_reconnect_is_taken_only_once_the_live_socket_has_closed(platform, model, model_key):
    agent = new_agent(platform, model_key)
    model.reply_text("Still here.")
    answer = _webrtc(platform, model_key, agent["id"])
    session_id = answer["connection"]["id"]
    first = SessionClient(answer)
    try:
        first.receive_until("avatar_state_changed", state="ready")
        refused, _ = _refused_connect(answer)
    finally:
        first.close()
    _heard_closed(platform.settings, session_id)
    with SessionClient(answer) as second:
        second.receive_until("avatar_state_changed", state="ready")
        assert second.ask("Are you there?") == "Still here."
        after, _ = _refused_connect(answer)  # the reconnected socket holds the slot in turn
        record = _record(platform, model_key, session_id)
        second.end()

    assert (refused, after) == (409, 409)
    assert record["status"] == "started"
    assert _inbox_kinds(platform.settings, session_id).count("connected") == 2


def _key_of(client: SessionClient) -> str:
    """The reconnect key this socket was sent (before or after its ``ready``)."""
    for frame in client.seen:
        if frame["event"] == "reconnect_key":
            return str(frame["data"]["key"])
    return str(client.receive_until("reconnect_key")[-1]["data"]["key"])


def _with_key(answer: dict, key: str) -> dict:
    token = token_of(answer)
    token["url"] += f"&reconnect_key={key}"
    return {**answer, "token": base64.b64encode(json.dumps(token).encode()).decode()}


def test_a_webrtc_client_back_with_its_reconnect_key_replaces_a_socket_that_still_looks_open(
    platform, model, model_key
):
    """A network change the platform has not noticed: the old socket is still open on its side."""
    agent = new_agent(platform, model_key)
    model.reply_text("Welcome back.")
    answer = _webrtc(platform, model_key, agent["id"])
    session_id = answer["connection"]["id"]
    with SessionClient(answer) as first:
        first.receive_until("avatar_state_changed", state="ready")
        key = _key_of(first)
        bare, _ = _refused_connect(answer)
        wrong, _ = _refused_connect(_with_key(answer, key[::-1]))
        with SessionClient(_with_key(answer, key)) as second:
            with pytest.raises(ConnectionClosed):
                while True:  # the replaced socket is closed by the platform
                    first.receive(timeout=T)
            second.receive_until("avatar_state_changed", state="ready")
            new_key = _key_of(second)
            assert second.ask("Still there?") == "Welcome back."
            used, _ = _refused_connect(_with_key(answer, key))  # each connection gets a new key
            state = _channel_state(platform.settings, session_id)
            second.end()

    assert (bare, wrong, used) == (409, 409, 409)
    assert new_key != key
    assert len(state.connections) == 1 and state.disconnected_at is None
    assert _inbox_kinds(platform.settings, session_id).count("connected") == 2
    assert "disconnected" not in _inbox_kinds(platform.settings, session_id)


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
