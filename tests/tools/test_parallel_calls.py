"""Several calls of one model turn run together; their outcomes come back in the order of the calls.

Overlap is proven on the server side (a barrier both requests must reach together, server timestamps),
never by wall-clock thresholds."""

from __future__ import annotations

import json
import threading

from websockets.sync.server import ServerConnection

from shared.tools.calls import ToolCall, ToolOutcome, call_explicit_tool, run_tool_calls_in_parallel
from tests.tools.servers import SECRET, Received, a_call, json_answer


def test_two_calls_of_a_turn_are_in_flight_together_and_come_back_in_call_order(http_tool):
    both_arrived = threading.Barrier(2, timeout=5)
    second_answered = threading.Event()

    def tool(received: Received):
        both_arrived.wait()  # breaks (500) unless the other request is being served at the same time
        call_id = received.json["callId"]
        if call_id == "first":
            second_answered.wait(5)  # the first call finishes last
        else:
            second_answered.set()
        return json_answer(200, {"answered": call_id})

    server = http_tool(tool)
    calls = [a_call("first"), a_call("second")]

    outcomes = run_tool_calls_in_parallel(
        calls, lambda call: call_explicit_tool(call, server.url(), None, SECRET, 10, allow_private=True)
    )

    assert [o.call_id for o in outcomes] == ["first", "second"]
    assert [o.result for o in outcomes] == [{"answered": "first"}, {"answered": "second"}]
    assert all(o.attempts == 1 for o in outcomes)
    first, second = sorted(server.received, key=lambda r: r.json["callId"])
    assert first.ended is not None and second.ended is not None
    assert first.started < second.ended and second.started < first.ended  # the two overlapped
    assert second.ended <= first.ended


def test_http_and_websocket_tools_of_one_turn_run_together(http_tool, ws_tool):
    both_arrived = threading.Barrier(2, timeout=5)

    def http_behaviour(received: Received):
        both_arrived.wait()
        return json_answer(200, "from http")

    def ws_behaviour(connection: ServerConnection, received: Received) -> None:
        both_arrived.wait()
        connection.send(json.dumps({"callId": received.json["callId"], "result": "from ws"}))

    urls = {"weather": http_tool(http_behaviour).url(), "stocks": ws_tool(ws_behaviour).url()}
    calls = [
        ToolCall("c1", "ses_1", "agt_1", "stocks", {"symbol": "MSFT"}),
        ToolCall("c2", "ses_1", "agt_1", "weather", {"city": "Oslo"}),
    ]

    outcomes = run_tool_calls_in_parallel(
        calls, lambda call: call_explicit_tool(call, urls[call.name], None, SECRET, 10, allow_private=True)
    )

    assert [(o.name, o.result, o.error) for o in outcomes] == [
        ("stocks", "from ws", None),
        ("weather", "from http", None),
    ]


def test_a_runner_that_raises_gives_an_error_outcome_and_the_other_calls_go_on():
    def runner(call: ToolCall) -> ToolOutcome:
        if call.call_id == "broken":
            raise RuntimeError("secret internals")
        return ToolOutcome(call.call_id, call.name, call.arguments, "ok", None, 1.0, 1)

    outcomes = run_tool_calls_in_parallel([a_call("fine"), a_call("broken")], runner)

    assert [o.result for o in outcomes] == ["ok", None]
    assert outcomes[1].error == "the tool call failed unexpectedly (RuntimeError)"
    assert outcomes[1].as_model_result() == {"error": "the tool call failed unexpectedly (RuntimeError)"}


def test_no_calls_give_no_outcomes():
    assert run_tool_calls_in_parallel([], lambda call: None) == []  # type: ignore[arg-type, return-value]
