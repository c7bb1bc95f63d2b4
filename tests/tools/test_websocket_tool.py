"""Explicit WebSocket tools against a real `websockets` server on 127.0.0.1: one request frame, one answer
frame with the same callId."""

from __future__ import annotations

import json

from websockets.sync.server import ServerConnection

from shared.tools.calls import call_explicit_tool, call_websocket_tool
from shared.tools.signing import SIGNATURE_HEADER
from tests.tools.servers import SECRET, Received, WebSocketToolServer, a_call


def answer_after_noise(connection: ServerConnection, received: Received) -> None:
    """Frames for another call and a non-JSON frame first, then the answer."""
    call_id = received.json["callId"]
    connection.send(json.dumps({"callId": "someone_else", "result": "not yours"}))
    connection.send("not json")
    connection.send(json.dumps(["a", "list"]))
    connection.send(json.dumps({"callId": call_id, "result": {"echo": received.json["arguments"]}}))


def test_signed_frame_is_answered_and_frames_for_other_calls_are_ignored(ws_tool):
    server = ws_tool(answer_after_noise, reject_unsigned=True)
    call = a_call(city="Oslo")

    outcome = call_websocket_tool(call, server.url(), {"X-Api-Key": "k1"}, SECRET, 5, allow_private=True)

    assert outcome.error is None
    assert outcome.result == {"echo": {"city": "Oslo"}}
    assert outcome.attempts == 1
    (received,) = server.received
    assert received.body == call.request_body()  # the same JSON an HTTP tool gets, as one frame
    assert received.signed_by(SECRET)  # handshake headers sign the frame
    assert received.headers["x-api-key"] == "k1"


def test_a_wrong_secret_is_answered_with_an_error_frame_that_becomes_an_error_outcome(ws_tool):
    server = ws_tool(answer_after_noise, reject_unsigned=True)

    outcome = call_websocket_tool(a_call(), server.url(), None, "whsec_wrong", 5, allow_private=True)

    assert outcome.error == "bad signature"
    assert outcome.as_model_result() == {"error": "bad signature"}


def test_is_error_answers_are_error_outcomes_carrying_the_result_as_message(ws_tool):
    def refuse(connection: ServerConnection, received: Received) -> None:
        answer = {"callId": received.json["callId"], "result": {"reason": "city unknown"}, "isError": True}
        connection.send(json.dumps(answer))

    server = ws_tool(refuse)

    outcome = call_websocket_tool(a_call(), server.url(), None, SECRET, 5, allow_private=True)

    assert outcome.error == '{"reason": "city unknown"}'


def test_a_tool_that_never_answers_times_out_as_an_error_outcome(ws_tool):
    def silent(connection: ServerConnection, received: Received) -> None:
        connection.send(json.dumps({"callId": "someone_else", "result": 1}))
        server.release.wait(10)

    server: WebSocketToolServer = ws_tool(silent)

    outcome = call_websocket_tool(a_call(), server.url(), None, SECRET, 0.5, allow_private=True)

    assert outcome.result is None
    assert outcome.error == "timed out after 0.5 s"
    assert outcome.attempts == 1
    assert len(server.received) == 1


def test_a_tool_that_closes_before_answering_is_an_error_outcome_not_a_resend(ws_tool):
    def hang_up(connection: ServerConnection, received: Received) -> None:
        connection.close(code=1011, reason="crashed")

    server = ws_tool(hang_up)

    outcome = call_websocket_tool(a_call(), server.url(), None, SECRET, 5, allow_private=True)

    assert outcome.error == "the endpoint closed the connection before answering (close code 1011)"
    assert len(server.received) == 1


def test_a_refused_handshake_is_final(ws_tool):
    server = ws_tool(answer_after_noise, handshake_answer=(403, {}))

    outcome = call_websocket_tool(a_call(), server.url(), None, SECRET, 5, allow_private=True)

    assert outcome.error == "the endpoint refused the WebSocket connection (HTTP 403)"
    assert (outcome.attempts, len(server.handshakes), server.received) == (1, 1, [])


def test_a_handshake_answered_503_is_retried_within_the_budget(ws_tool):
    server = ws_tool(answer_after_noise, handshake_answer=(503, {}))

    outcome = call_websocket_tool(a_call(), server.url(), None, SECRET, 1, allow_private=True)

    assert outcome.error is not None
    assert outcome.error.startswith("the endpoint refused the WebSocket connection (HTTP 503) (after ")
    assert outcome.attempts == len(server.handshakes) >= 2


def test_a_handshake_redirect_is_refused_not_followed(ws_tool):
    target = ws_tool(answer_after_noise)
    server = ws_tool(answer_after_noise, handshake_answer=(302, {"Location": target.url()}))

    outcome = call_websocket_tool(a_call(), server.url(), None, SECRET, 5, allow_private=True)

    assert outcome.error == "the endpoint answered a redirect (HTTP 302); redirects are not followed"
    assert outcome.attempts == 1
    assert target.handshakes == []


def test_a_private_websocket_address_is_refused_unless_allowed(ws_tool):
    server = ws_tool(answer_after_noise)

    refused = call_websocket_tool(a_call(), server.url(), None, SECRET, 5, allow_private=False)

    assert refused.error is not None
    assert "127.0.0.1 is a loopback address" in refused.error
    assert (refused.attempts, server.handshakes) == (0, [])

    allowed = call_explicit_tool(a_call(), server.url(), None, SECRET, 5, allow_private=True)

    assert allowed.result == {"echo": {"city": "Oslo"}}
    assert SIGNATURE_HEADER in server.handshakes[0]
