"""What the model sees of an outcome, and answers from a tool or a client read as outcomes."""

from __future__ import annotations

import json

from shared.tools.calls import ToolCall, ToolOutcome, outcome_from_answer, timed_out
from tests.tools.servers import a_call


def test_the_model_sees_the_result_or_an_error_object():
    ok = ToolOutcome("c1", "f", {}, {"temp": 12}, None, 5.0, 1)
    bad = ToolOutcome("c1", "f", {}, None, "the endpoint answered HTTP 500", 5.0, 3)

    assert (ok.ok, ok.as_model_result(), ok.as_model_text()) == (True, {"temp": 12}, '{"temp": 12}')
    assert bad.as_model_result() == {"error": "the endpoint answered HTTP 500"}
    assert json.loads(bad.as_model_text()) == {"error": "the endpoint answered HTTP 500"}
    assert not bad.ok


def test_a_client_function_output_reads_like_a_websocket_answer():
    call = a_call()

    # A client's send_function_output output is read as the result of a WebSocket tool's answer.
    assert outcome_from_answer(call, {"result": [1, 2]}, 3.0).result == [1, 2]
    assert outcome_from_answer(call, {"callId": "call_1", "result": [1, 2]}, 3.0).result == [1, 2]
    failed = outcome_from_answer(call, {"callId": "call_1", "result": "no such city", "isError": True}, 3.0)
    assert (failed.error, failed.result) == ("no such city", None)
    assert (
        outcome_from_answer(call, {"callId": "call_1", "isError": True}, 3.0).error
        == "the tool reported an error"
    )
    assert outcome_from_answer(call, {"callId": "call_1", "error": {"code": 7}}, 3.0).error == '{"code": 7}'
    assert outcome_from_answer(call, {"callId": "call_1", "error": None, "result": 1}, 3.0).result == 1


def test_an_unanswered_implicit_call_times_out_with_the_audit_fields():
    outcome = timed_out(a_call(city="Rome"), 10, duration_ms=10_000.0, attempts=1)

    assert outcome.error == "timed out after 10 s"
    assert (outcome.name, outcome.arguments, outcome.duration_ms) == (
        "get_weather",
        {"city": "Rome"},
        10_000.0,
    )


def test_the_request_body_is_compact_json_with_the_contract_fields_in_order():
    call = ToolCall("c1", "s1", "a1", "f", {"q": "é"})

    assert (
        call.request_body()
        == '{"callId":"c1","sessionId":"s1","agentId":"a1","name":"f","arguments":{"q":"é"}}'.encode()
    )
    assert ToolCall.from_dict(json.loads(json.dumps(call.to_dict()))) == call
