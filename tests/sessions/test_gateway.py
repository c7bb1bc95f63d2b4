"""The session gateway's channel state against Azurite: closing races with audio and repeats harmlessly,
an implicit call's output is taken once, a session takes one live connection at a time (issue 16,
defect 8) and a reconnecting one hears only that it went."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.api_errors import ApiError
from shared.audio.pcm import encode_chunk
from shared.audio.utterance import UtteranceBuffer
from shared.sessions.admission import key_digest
from shared.sessions.gateway import SessionGateway, SessionIndexEntry
from shared.sessions.inbox import InboxEntry
from shared.sessions.protocol import SendAudio, SendFunctionOutput, SendMessage
from shared.storage import TableRepository, table_service

SESSION = "sess_gateway"


@pytest.fixture
def woken() -> list:
    """The wake-ups the gateway raised: (session id, event name, payload)."""
    return []


@pytest.fixture
def inbox(storage_settings) -> TableRepository[InboxEntry]:
    return TableRepository(table_service(storage_settings), f"inbox{uuid.uuid4().hex}", InboxEntry)


@pytest.fixture
def gateway(storage_settings, woken, inbox) -> SessionGateway:
    service = table_service(storage_settings)
    suffix = uuid.uuid4().hex
    index = TableRepository(service, f"index{suffix}", SessionIndexEntry)
    index.create(SESSION, SessionIndexEntry(id=SESSION, project_id="proj_a"))
    return SessionGateway(
        index, inbox, lambda *call: woken.append(call), UtteranceBuffer.for_service(service, f"audio{suffix}")
    )


def _refusal(call) -> str:
    with pytest.raises(ApiError) as refused:
        call()
    return refused.value.code


def test_closing_wins_over_audio_heard_at_the_same_time_and_closing_again_is_harmless(gateway):
    silence = SendAudio(audio=encode_chunk(bytes(3200)))
    with ThreadPoolExecutor(4) as pool:
        chunks = [pool.submit(gateway.deliver, SESSION, silence) for _ in range(12)]
        gateway.close(SESSION)
        for chunk in chunks:
            try:
                chunk.result()
            except ApiError as refused:
                assert refused.code == "SessionEnded"  # heard after the close: refused, never lost silently
    gateway.close(SESSION)
    assert _refusal(lambda: gateway.deliver(SESSION, silence)) == "SessionEnded"
    gateway.close("sess_unknown")


def test_a_message_from_the_sessions_own_channel_is_written_while_it_is_checked_and_taken_back_if_ended(
    gateway, inbox, woken
):
    gateway.deliver(SESSION, SendMessage(role="user", text="Hello"))
    [entry] = inbox.list_all(SESSION)
    assert entry.text == "Hello" and [w[0] for w in woken] == [SESSION]

    gateway.close(SESSION)
    too_late = SendMessage(role="user", text="Too late")
    assert _refusal(lambda: gateway.deliver(SESSION, too_late)) == "SessionEnded"
    assert [e.text for e in inbox.list_all(SESSION)] == ["Hello"]  # the refused one was taken back
    assert len(woken) == 1
    # With a project (the REST endpoints), nothing is written before the check.
    assert _refusal(lambda: gateway.deliver("sess_other", SendMessage(role="user", text="Hi"), "proj_a")) == (
        "SessionNotFound"
    )
    assert inbox.list_all("sess_other") == []


def test_an_implicit_calls_output_is_taken_once_and_only_while_awaited(gateway):
    output = SendFunctionOutput(call_id="call_1", output={"ok": True})
    assert _refusal(lambda: gateway.deliver(SESSION, output)) == "UnknownFunctionCall"
    gateway.await_calls(SESSION, add=["call_1", "call_2"])
    gateway.deliver(SESSION, output)
    assert _refusal(lambda: gateway.deliver(SESSION, output)) == "UnknownFunctionCall"
    gateway.await_calls(SESSION, drop=["call_2"])  # timed out
    late = SendFunctionOutput(call_id="call_2", output={})
    assert _refusal(lambda: gateway.deliver(SESSION, late)) == "UnknownFunctionCall"


def _woken(calls: list) -> list[str]:
    return [payload["kind"] for _, _, payload in calls]


def _open(*ids: str):
    """What Web PubSub says of a connection: open if it is one of ``ids``."""
    return lambda connection_id: connection_id in ids


def test_a_reconnecting_session_takes_a_new_socket_only_once_the_live_one_is_gone(gateway, woken):
    gateway.admit(SESSION, "conn_a", _open())
    gateway.client_connected(SESSION, "conn_a", True, _open("conn_a"))
    assert _refusal(lambda: gateway.admit(SESSION, "conn_b", _open("conn_a"))) == "SessionConnected"
    gateway.client_disconnected(SESSION, "conn_b", lambda _: True)  # the refused one's close: nothing
    assert _woken(woken) == ["connected"]
    gateway.client_disconnected(SESSION, "conn_a", lambda _: True)
    gateway.client_disconnected(SESSION, "conn_a", lambda _: True)  # delivered again: heard once
    lost = gateway.channel_state(SESSION)
    assert _woken(woken) == ["connected", "disconnected"]
    assert lost.connections == [] and lost.disconnected_at is not None and lost.live
    gateway.admit(SESSION, "conn_c", _open())
    gateway.client_connected(SESSION, "conn_c", True, _open("conn_c"))
    back = gateway.channel_state(SESSION)
    assert back.connections == ["conn_c"] and back.disconnected_at is None
    assert _woken(woken)[-1] == "connected"


def test_the_holders_reconnect_key_takes_the_slot_from_a_socket_that_still_looks_open(gateway, woken):
    """A network change the service has not noticed: the Web SDK comes back with its key."""
    gateway.admit(SESSION, "conn_a", _open())
    key = gateway.client_connected(SESSION, "conn_a", True, _open("conn_a"))
    assert key and gateway.channel_state(SESSION).reconnect_key == key_digest(key)  # only its digest kept
    wrong = _refusal(lambda: gateway.admit(SESSION, "conn_b", _open("conn_a"), key + "x"))
    assert wrong == "SessionConnected"
    assert gateway.admit(SESSION, "conn_b", _open("conn_a"), key) == ["conn_a"]  # to be closed
    second = gateway.client_connected(SESSION, "conn_b", True, _open("conn_b"))
    used = _refusal(lambda: gateway.admit(SESSION, "conn_c", _open("conn_b"), key))  # a new key each time
    gateway.client_disconnected(SESSION, "conn_a", lambda _: True)  # the displaced one's close: nothing
    assert (second != key, used) == (True, "SessionConnected")
    assert gateway.channel_state(SESSION).connections == ["conn_b"]
    assert _woken(woken) == ["connected", "connected"]


def test_a_session_that_does_not_reconnect_gets_no_reconnect_key(gateway):
    gateway.admit(SESSION, "conn_a", _open())
    assert gateway.client_connected(SESSION, "conn_a", False, _open("conn_a")) is None
    assert _refusal(lambda: gateway.admit(SESSION, "conn_b", _open("conn_a"), "")) == "SessionConnected"


def test_a_connection_the_service_no_longer_holds_gives_up_its_slot(gateway, woken):
    """A ``disconnected`` event lost (the app down, the devhost crashed with its stand-in)."""
    gateway.admit(SESSION, "conn_a", _open())
    gateway.client_connected(SESSION, "conn_a", False, _open("conn_a"))
    gateway.admit(SESSION, "conn_b", _open())  # conn_a is gone, though never heard closing
    gateway.client_connected(SESSION, "conn_b", False, _open("conn_b"))
    gateway.client_disconnected(SESSION, "conn_a", lambda _: pytest.fail("not counted any more"))
    assert gateway.channel_state(SESSION).connections == ["conn_b"]
    assert _woken(woken) == ["connected", "connected"]


def test_of_racing_connects_exactly_one_takes_the_slot(gateway):
    def connect(connection_id: str) -> str:
        try:
            gateway.admit(SESSION, connection_id, lambda _: True)
        except ApiError as refused:
            return refused.code
        return "admitted"

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(connect, [f"conn_{n}" for n in range(6)]))
    assert sorted(answers) == ["SessionConnected"] * 5 + ["admitted"]
    (holder,) = gateway.channel_state(SESSION).connections
    assert answers[int(holder.removeprefix("conn_"))] == "admitted"


def test_a_connection_whose_slot_a_racing_connect_took_is_refused_when_it_opens(gateway, woken):
    gateway.admit(SESSION, "conn_a", _open())
    gateway.admit(SESSION, "conn_b", _open())  # conn_a was not open yet: its slot went to conn_b
    refused = _refusal(lambda: gateway.client_connected(SESSION, "conn_a", True, _open("conn_a", "conn_b")))
    assert refused == "SessionConnected"
    assert gateway.channel_state(SESSION).connections == ["conn_b"] and woken == []


def test_a_connection_never_admitted_is_admitted_when_it_opens_if_the_slot_is_free(gateway, woken):
    """A hub whose event handler does not take ``connect`` events: the rule holds at ``connected``."""
    gateway.client_connected(SESSION, "conn_a", True, _open("conn_a"))
    refused = _refusal(lambda: gateway.client_connected(SESSION, "conn_b", True, _open("conn_a", "conn_b")))
    assert refused == "SessionConnected"
    assert gateway.channel_state(SESSION).connections == ["conn_a"] and _woken(woken) == ["connected"]


def test_a_session_that_does_not_reconnect_ends_when_its_connection_closes(gateway, woken):
    asked: list[str] = []
    gateway.admit(SESSION, "conn_a", _open())  # admitted, closed before it opened
    gateway.client_disconnected(SESSION, "conn_a", lambda project: asked.append(project) or False)
    assert asked == ["proj_a"]  # never opened: its record says the transport
    assert _woken(woken) == ["end"]


def test_a_refused_connection_closing_does_not_end_the_session_of_the_one_that_holds_it(gateway, woken):
    gateway.admit(SESSION, "conn_a", _open())
    gateway.client_connected(SESSION, "conn_a", False, _open("conn_a"))
    gateway.client_disconnected(SESSION, "conn_leaked", lambda _: pytest.fail("never admitted"))
    gateway.client_disconnected(SESSION, "conn_a", lambda _: pytest.fail("the channel state knows"))
    assert _woken(woken) == ["connected", "end"]
