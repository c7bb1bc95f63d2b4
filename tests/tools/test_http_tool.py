"""Explicit HTTP tools against real endpoints on 127.0.0.1: the signed POST, retries within the budget,
final errors as outcomes."""

from __future__ import annotations

import json
import socket
import threading

from shared.tools.calls import ToolOutcome, call_explicit_tool, call_http_tool
from shared.tools.http_tool import MAX_ANSWER_BYTES, StdlibHttpClient
from shared.tools.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER
from tests.tools.servers import SECRET, Received, a_call, echo_when_signed, json_answer


def test_signed_call_reaches_the_tool_and_its_json_answer_is_the_result(http_tool):
    server = http_tool(echo_when_signed)
    call = a_call(city="Oslo")

    outcome = call_http_tool(
        call, server.url("/tool?v=1"), {"X-Api-Key": "k1"}, SECRET, 5, allow_private=True
    )

    assert outcome.error is None
    assert outcome.result == {"echo": {"city": "Oslo"}}
    assert outcome.attempts == 1
    assert outcome.duration_ms > 0
    (received,) = server.received
    assert received.path == "/tool?v=1"
    assert received.body == call.request_body()
    assert received.json == {
        "callId": "call_1",
        "sessionId": "ses_1",
        "agentId": "agt_1",
        "name": "get_weather",
        "arguments": {"city": "Oslo"},
    }
    assert received.headers["x-api-key"] == "k1"
    assert received.headers["content-type"] == "application/json"


def test_a_wrong_secret_gets_401_and_becomes_an_error_outcome_without_retry(http_tool):
    server = http_tool(echo_when_signed)

    outcome = call_http_tool(a_call(), server.url(), None, "whsec_wrong", 5, allow_private=True)

    assert outcome.result is None
    assert outcome.error == 'the endpoint answered HTTP 401: {"error": "bad signature"}'
    assert outcome.as_model_result() == {"error": outcome.error}
    assert outcome.attempts == 1
    assert len(server.received) == 1


def test_customer_headers_cannot_replace_the_signature_headers(http_tool):
    server = http_tool(echo_when_signed)
    forged = {
        "X-Omniagent-Signature": "sha256=forged",
        "x-omniagent-timestamp": "1",
        "Content-Type": "text/x",
    }

    outcome = call_http_tool(a_call(), server.url(), forged, SECRET, 5, allow_private=True)

    assert outcome.error is None
    assert server.received[0].headers[SIGNATURE_HEADER] != "sha256=forged"
    assert server.received[0].headers["content-type"] == "application/json"


def test_without_a_secret_the_call_carries_a_timestamp_but_no_signature(http_tool):
    server = http_tool(lambda received: json_answer(200, {"ok": True}))

    outcome = call_http_tool(a_call(), server.url(), None, None, 5, allow_private=True)

    assert outcome.result == {"ok": True}
    assert TIMESTAMP_HEADER in server.received[0].headers
    assert SIGNATURE_HEADER not in server.received[0].headers


def test_a_500_is_retried_and_the_second_answer_is_the_result(http_tool):
    def flaky(received: Received):
        if len(server.received) == 1:
            return json_answer(500, {"error": "try again"})
        return echo_when_signed(received)

    server = http_tool(flaky)

    outcome = call_http_tool(a_call(), server.url(), None, SECRET, 5, allow_private=True)

    assert outcome.error is None
    assert outcome.result == {"echo": {"city": "Oslo"}}
    assert outcome.attempts == 2
    first, second = server.received
    assert first.body == second.body  # the same call: same callId, same bytes
    assert second.signed_by(SECRET)


def test_a_429_is_retried_honouring_retry_after(http_tool):
    def busy_once(received: Received):
        if len(server.received) == 1:
            return json_answer(429, {"error": "slow down"}, {"Retry-After": "0"})
        return json_answer(200, "fine")

    server = http_tool(busy_once)

    outcome = call_http_tool(a_call(), server.url(), None, SECRET, 5, allow_private=True)

    assert (outcome.result, outcome.attempts) == ("fine", 2)


def test_a_404_is_final_and_not_retried(http_tool):
    server = http_tool(lambda received: (404, {}, b"no such tool"))

    outcome = call_http_tool(a_call(), server.url(), None, SECRET, 5, allow_private=True)

    assert outcome.error == "the endpoint answered HTTP 404: no such tool"
    assert outcome.attempts == 1
    assert len(server.received) == 1


def test_a_server_slower_than_the_budget_gives_a_timed_out_error(http_tool):
    def slow(received: Received):
        server.release.wait(10)
        return json_answer(200, "too late")

    server = http_tool(slow)

    outcome = call_http_tool(a_call(), server.url(), None, SECRET, 0.5, allow_private=True)

    assert outcome.result is None
    assert outcome.error is not None
    assert outcome.error.startswith("timed out after 0.5 s")
    assert outcome.attempts >= 1


def test_a_redirect_is_refused_not_followed(http_tool):
    target = http_tool(echo_when_signed)
    server = http_tool(lambda received: (307, {"Location": target.url("/elsewhere")}, b""))

    outcome = call_http_tool(a_call(), server.url(), None, SECRET, 5, allow_private=True)

    assert outcome.error is not None
    assert "redirect (HTTP 307 to " in outcome.error
    assert "redirects are not followed" in outcome.error
    assert outcome.attempts == 1
    assert target.received == []


def test_a_private_address_is_refused_before_any_request_unless_allowed(http_tool):
    server = http_tool(echo_when_signed)

    refused = call_http_tool(a_call(), server.url(), None, SECRET, 5, allow_private=False)

    assert refused.error is not None
    assert refused.error.startswith("the endpoint URL is refused: it points to a non-public address")
    assert "127.0.0.1 is a loopback address" in refused.error
    assert refused.attempts == 0
    assert server.received == []

    allowed = call_http_tool(a_call(), server.url(), None, SECRET, 5, allow_private=True)

    assert allowed.result == {"echo": {"city": "Oslo"}}


def test_a_non_json_2xx_answer_is_the_result_as_text(http_tool):
    server = http_tool(lambda received: (200, {"Content-Type": "text/plain"}, "12 °C, sunny".encode()))

    outcome = call_http_tool(a_call(), server.url(), None, SECRET, 5, allow_private=True)

    assert outcome.result == "12 °C, sunny"
    assert outcome.as_model_text() == "12 °C, sunny"


def test_a_2xx_answer_larger_than_the_limit_is_an_error_not_a_flood_into_the_model(http_tool):
    server = http_tool(lambda received: json_answer(200, "x" * 100))

    outcome = call_http_tool(
        a_call(), server.url(), None, SECRET, 5, True, http=StdlibHttpClient(max_answer_bytes=50)
    )

    assert outcome.error == f"the endpoint's answer is larger than {MAX_ANSWER_BYTES} bytes"


def test_an_empty_2xx_answer_is_a_null_result(http_tool):
    server = http_tool(lambda received: (204, {}, b""))

    outcome = call_http_tool(a_call(), server.url(), None, SECRET, 5, allow_private=True)

    assert (outcome.result, outcome.error) == (None, None)
    assert outcome.as_model_text() == "null"


def test_an_unreachable_endpoint_is_retried_until_the_budget_ends():
    with socket.socket() as placeholder:  # a port nobody listens on
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]

    outcome = call_http_tool(a_call(), f"http://127.0.0.1:{port}/tool", None, SECRET, 1, allow_private=True)

    assert outcome.error is not None
    assert outcome.error.startswith("could not reach the endpoint (ConnectionRefusedError)")
    assert outcome.attempts >= 2


def test_header_values_http_cannot_carry_are_a_final_error_that_does_not_quote_them(http_tool):
    server = http_tool(echo_when_signed)

    outcome = call_http_tool(a_call(), server.url(), {"X-Key": "secret\r\nInjected: 1"}, SECRET, 5, True)

    assert outcome.error == "the function's headers cannot be sent over HTTP"
    assert server.received == []


def test_call_explicit_tool_picks_http_by_the_url_scheme(http_tool):
    server = http_tool(echo_when_signed)

    outcome = call_explicit_tool(a_call(), server.url(), None, SECRET, 5, allow_private=True)

    assert outcome.result == {"echo": {"city": "Oslo"}}
    assert call_explicit_tool(a_call(), "ftp://example.com/x", None, SECRET).error == (
        "the endpoint URL is refused: it must use http, https, ws or wss"
    )


def test_the_outcome_survives_a_json_round_trip_as_an_activity_result(http_tool):
    server = http_tool(echo_when_signed)
    outcome = call_http_tool(a_call(), server.url(), None, SECRET, 5, allow_private=True)

    assert ToolOutcome.from_dict(json.loads(json.dumps(outcome.to_dict()))) == outcome


def test_concurrent_server_threads_do_not_share_answers(http_tool):
    """Guards the test server itself: each request gets its own answer."""
    server = http_tool(lambda received: json_answer(200, received.json["callId"]))
    results: dict[str, object] = {}

    def run(call_id: str) -> None:
        results[call_id] = call_http_tool(a_call(call_id), server.url(), None, SECRET, 5, True).result

    threads = [threading.Thread(target=run, args=(f"c{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {f"c{i}": f"c{i}" for i in range(4)}
