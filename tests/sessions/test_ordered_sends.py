"""A round's frames go out in order on their own thread (``OrderedSends``): queuing never waits for
the wire, ``drain`` waits for all of them, and a failure stops the frames behind it."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from shared.sessions.connection import OrderedSends


def test_frames_are_sent_in_order_while_the_round_goes_on():
    gate = threading.Event()
    sent: list[Any] = []

    def send(frames: list[dict[str, Any]]) -> None:
        gate.wait(30)
        sent.extend(frames)

    outbox = OrderedSends(send)
    for n in range(20):
        outbox([{"n": n}])  # would block here if sending were inline: the gate is still closed
    assert sent == []
    gate.set()
    outbox.drain()
    assert sent == [{"n": n} for n in range(20)]


def test_a_failed_send_stops_the_frames_behind_it_and_drain_raises_it():
    sent: list[Any] = []

    def send(frames: list[dict[str, Any]]) -> None:
        if frames[0]["n"] == 2:
            raise ConnectionError("the service is gone")
        sent.extend(frames)

    outbox = OrderedSends(send)
    for n in range(5):
        outbox([{"n": n}])
    with pytest.raises(ConnectionError):
        outbox.drain()
    assert sent == [{"n": 0}, {"n": 1}]


def test_it_can_be_drained_again_and_used_after_a_drain():
    sent: list[Any] = []
    outbox = OrderedSends(sent.extend)
    outbox.drain()  # nothing queued
    outbox([{"n": 1}])
    outbox.drain()
    outbox([{"n": 2}])
    outbox.drain()
    assert sent == [{"n": 1}, {"n": 2}]
