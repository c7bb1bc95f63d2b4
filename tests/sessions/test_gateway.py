"""The session gateway's channel state against Azurite: closing races with audio and repeats harmlessly,
an implicit call's output is taken once."""

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
def gateway(storage_settings) -> SessionGateway:
    service = table_service(storage_settings)
    suffix = uuid.uuid4().hex
    index = TableRepository(service, f"index{suffix}", SessionIndexEntry)
    index.create(SESSION, SessionIndexEntry(id=SESSION, project_id="proj_a"))
    return SessionGateway(
        index,
        TableRepository(service, f"inbox{suffix}", InboxEntry),
        lambda *_: None,
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
