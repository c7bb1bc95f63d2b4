"""The session gateway's channel state against Azurite: closing races with audio and repeats harmlessly,
an implicit call's output is taken once, connections are counted by id and only the last one's loss
is heard."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.api_errors import ApiError
from shared.audio.pcm import encode_chunk
from shared.audio.utterance import UtteranceBuffer
from shared.sessions.gateway import SessionGateway, SessionIndexEntry
from shared.sessions.inbox import InboxEntry
from shared.sessions.protocol import SendAudio, SendFunctionOutput
from shared.storage import TableRepository, table_service

SESSION = "sess_gateway"


@pytest.fixture
def woken() -> list:
    """The wake-ups the gateway raised: (session id, event name, payload)."""
    return []


@pytest.fixture
def gateway(storage_settings, woken) -> SessionGateway:
    service = table_service(storage_settings)
    suffix = uuid.uuid4().hex
    index = TableRepository(service, f"index{suffix}", SessionIndexEntry)
    index.create(SESSION, SessionIndexEntry(id=SESSION, project_id="proj_a"))
    return SessionGateway(
        index,
        TableRepository(service, f"inbox{suffix}", InboxEntry),
        lambda *call: woken.append(call),
        UtteranceBuffer.for_service(service, f"audio{suffix}"),
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


def test_a_reconnecting_session_hears_only_that_its_last_connection_went_in_either_order(gateway, woken):
    gateway.client_connected(SESSION, "conn_a", reconnects=True)
    gateway.client_connected(SESSION, "conn_b", reconnects=True)  # the new one before the old one's end
    gateway.client_disconnected(SESSION, "conn_a", lambda _: True)
    assert _woken(woken) == ["connected", "connected"]
    assert gateway.channel_state(SESSION).connections == ["conn_b"]
    gateway.client_disconnected(SESSION, "conn_b", lambda _: True)
    gateway.client_disconnected(SESSION, "conn_b", lambda _: True)  # delivered again: heard once
    lost = gateway.channel_state(SESSION)
    assert _woken(woken) == ["connected", "connected", "disconnected"]
    assert lost.connections == [] and lost.disconnected_at is not None and lost.live
    gateway.client_connected(SESSION, "conn_c", reconnects=True)
    back = gateway.channel_state(SESSION)
    assert back.connections == ["conn_c"] and back.disconnected_at is None
    assert _woken(woken)[-1] == "connected"


def test_a_session_that_does_not_reconnect_ends_when_a_connection_closes(gateway, woken):
    asked: list[str] = []
    gateway.client_disconnected(SESSION, "conn_a", lambda project: asked.append(project) or False)
    assert asked == ["proj_a"]  # nothing counted yet: its record says the transport
    gateway.client_connected(SESSION, "conn_b", reconnects=False)
    gateway.client_connected(SESSION, "conn_c", reconnects=False)
    gateway.client_disconnected(SESSION, "conn_b", lambda _: pytest.fail("the channel state knows"))
    assert _woken(woken) == ["end", "connected", "connected", "end"]
    assert gateway.channel_state(SESSION).disconnected_at is None
