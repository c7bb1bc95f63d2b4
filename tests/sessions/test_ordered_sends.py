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


def _delta(text: str, item_id: str = "i1") -> dict[str, Any]:
    message = {
        "role": "assistant",
        "action": "delta",
        "content": text,
        "item_id": item_id,
        "response_id": "r1",
    }
    return {"event": "message_received", "data": {"message": message}}


def test_deltas_that_queue_behind_a_frame_in_flight_go_as_one_and_nothing_else_is_joined():
    gate = threading.Event()
    calls: list[list[dict[str, Any]]] = []

    def send(frames: list[dict[str, Any]]) -> None:
        gate.wait(30)
        calls.append(frames)

    outbox = OrderedSends(send)
    outbox([_delta("Lis")])  # in flight while the rest queue up
    for piece in ("bon ", "is ", "lovely"):
        outbox([_delta(piece)])
    outbox([_delta(" in May.", item_id="i2")])  # another message's delta
    outbox([{"event": "talk_state_changed", "data": {"state": "ended"}}])
    outbox([_delta("A"), _delta("B")])  # a call of two frames is sent as it came
    gate.set()
    outbox.drain()

    contents = [[f["data"].get("message", {}).get("content") for f in frames] for frames in calls]
    assert contents in (
        [["Lis"], ["bon is lovely"], [" in May."], [None], ["A", "B"]],
        [["Lisbon is lovely"], [" in May."], [None], ["A", "B"]],  # the first had not left yet
    )
    joined = calls[-4][0]["data"]["message"]
    assert (joined["item_id"], joined["response_id"], joined["action"]) == ("i1", "r1", "delta")
