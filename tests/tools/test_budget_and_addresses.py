"""Retries within the budget and the pinned addresses, without I/O: a fake clock, a fake transport, a fake
resolver and a fake socket factory."""

from __future__ import annotations

import random
import socket
from collections.abc import Mapping

import pytest

from shared.tools.calls import HttpAnswer, call_http_tool
from shared.tools.connections import Target, checked_target, request_headers
from shared.tools.http_tool import StdlibHttpClient
from shared.tools.retries import BACKOFF_CAP_SECONDS, MIN_ATTEMPT_SECONDS, backoff_seconds
from tests.tools.servers import SECRET, a_call

PUBLIC = "93.184.215.14"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class ScriptedHttp:
    """Answers from a script (the last answer repeats); a post takes `takes` seconds of the fake clock,
    a timeout all the time it was given."""

    def __init__(self, clock: FakeClock, answers: list[HttpAnswer | Exception], takes: float = 0.1) -> None:
        self.clock = clock
        self.answers = answers
        self.takes = takes
        self.timeouts: list[float] = []
        self.targets: list[Target] = []

    def post(
        self, target: Target, path: str, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> HttpAnswer:
        self.timeouts.append(timeout)
        self.targets.append(target)
        answer = self.answers[min(len(self.timeouts), len(self.answers)) - 1]
        self.clock.now += timeout if isinstance(answer, TimeoutError) else min(self.takes, timeout)
        if isinstance(answer, Exception):
            raise answer
        return answer


def resolver(*answers: str):
    """A stand-in for socket.getaddrinfo giving each answer in turn (the last one from then on)."""
    asked: list[str] = []

    def resolve(host, port, *args):
        asked.append(host)
        address = answers[min(len(asked), len(answers)) - 1]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    resolve.asked = asked  # type: ignore[attr-defined]
    return resolve


def test_each_attempt_gets_what_is_left_of_the_budget_and_pauses_stay_inside_it():
    clock = FakeClock()
    http = ScriptedHttp(clock, [HttpAnswer(503, {}, b"busy")], takes=0.5)

    outcome = call_http_tool(
        a_call(), "https://tools.example.com/x", None, SECRET, 3.0,
        http=http, clock=clock, sleep=clock.sleep, rng=random.Random(7), resolve=resolver(PUBLIC),
    )  # fmt: skip

    assert outcome.error == f"the endpoint answered HTTP 503: busy (after {outcome.attempts} attempts)"
    assert outcome.attempts == len(http.timeouts) >= 3
    assert http.timeouts[0] == 3.0
    spent = 0.0
    for timeout, pause in zip(http.timeouts, [*clock.sleeps, 0.0], strict=True):
        assert timeout == pytest.approx(3.0 - spent)
        spent += min(0.5, timeout) + pause
    assert spent <= 3.0 + 1e-9
    assert outcome.duration_ms == pytest.approx(spent * 1000)


def test_a_timeout_on_the_last_attempt_is_reported_as_timed_out_after_the_budget():
    clock = FakeClock()
    http = ScriptedHttp(clock, [HttpAnswer(500, {}, b""), TimeoutError()], takes=0.5)

    outcome = call_http_tool(
        a_call(), "https://tools.example.com/x", None, SECRET, 2.0,
        http=http, clock=clock, sleep=clock.sleep, resolve=resolver(PUBLIC),
    )  # fmt: skip

    assert outcome.error == "timed out after 2 s (after 2 attempts)"


def test_a_retry_after_longer_than_the_time_left_ends_the_call():
    clock = FakeClock()
    http = ScriptedHttp(clock, [HttpAnswer(429, {"retry-after": "30"}, b"")])

    outcome = call_http_tool(
        a_call(), "https://tools.example.com/x", None, SECRET, 10.0,
        http=http, clock=clock, sleep=clock.sleep, resolve=resolver(PUBLIC),
    )  # fmt: skip

    assert outcome.error == "the endpoint answered HTTP 429"
    assert (outcome.attempts, clock.sleeps) == (1, [])


def test_the_url_is_checked_again_before_every_attempt():
    clock = FakeClock()
    http = ScriptedHttp(clock, [HttpAnswer(502, {}, b"")])
    rebinding = resolver(PUBLIC, "10.0.0.5")  # public when saved, private by the second attempt

    outcome = call_http_tool(
        a_call(), "https://tools.example.com/x", None, SECRET, 10.0,
        http=http, clock=clock, sleep=clock.sleep, resolve=rebinding,
    )  # fmt: skip

    assert outcome.error is not None
    assert outcome.error.startswith("the endpoint URL is refused: it points to a non-public address")
    assert outcome.attempts == 1
    assert [target.addresses for target in http.targets] == [(PUBLIC,)]


def test_connections_go_to_the_checked_address_without_resolving_again():
    connected: list[tuple[str, int]] = []

    def create_connection(address, timeout=None, *args):
        connected.append(address)
        raise ConnectionRefusedError()

    clock = FakeClock()
    rebinding = resolver(PUBLIC, "127.0.0.1")

    outcome = call_http_tool(
        a_call(), "http://tools.example.com:8080/x", None, SECRET, 10.0,
        http=StdlibHttpClient(create_connection=create_connection),
        clock=clock, sleep=clock.sleep, resolve=rebinding,
    )  # fmt: skip

    assert connected == [(PUBLIC, 8080)]  # never the host name: no second DNS answer is used
    assert outcome.error is not None
    assert "127.0.0.1 is a loopback address" in outcome.error


def test_checked_target_keeps_every_approved_address_once_and_ip_literals_as_they_are():
    def two_answers(host, port, *args):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port)),
            (
                socket.AF_INET6,
                socket.SOCK_STREAM,
                6,
                "",
                ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", port, 0, 0),
            ),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port)),
        ]

    target = checked_target("wss://tools.example.com/ws", allow_private=False, resolve=two_answers)
    assert target == Target(
        "wss", "tools.example.com", 443, (PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    )
    assert checked_target("http://8.8.8.8/x", allow_private=False).addresses == ("8.8.8.8",)
    # Private targets allowed (local mode): the answers are pinned too, so the app's own host stays out.
    local = checked_target(
        "http://localhost:81/x", allow_private=True, resolve=lambda *a: [two_answers(*a)[0]]
    )
    assert local == Target("http", "localhost", 81, (PUBLIC,))


def test_request_headers_drop_transport_and_signature_names_whatever_their_case():
    headers = request_headers(
        {"Authorization": "Bearer t", "HOST": "evil", "X-OmniAgent-Signature": "forged"},
        {"x-omniagent-signature": "sha256=real"},
        frozenset({"host"}),
    )
    assert headers == {"Authorization": "Bearer t", "x-omniagent-signature": "sha256=real"}


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap():
    rng = random.Random(1)
    for attempt, step in ((1, 0.2), (2, 0.4), (3, 0.8), (4, 1.6), (5, 2.0), (9, 2.0)):
        pause = backoff_seconds(attempt, rng)
        assert step / 2 <= pause <= step
    assert backoff_seconds(50, rng) <= BACKOFF_CAP_SECONDS
    assert MIN_ATTEMPT_SECONDS > 0


def test_a_non_positive_timeout_is_a_programming_error():
    with pytest.raises(ValueError, match="positive"):
        call_http_tool(a_call(), "https://tools.example.com/x", None, SECRET, 0)
