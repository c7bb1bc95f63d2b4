"""The time budget of one tool call and the pauses between its attempts.

A call has ``timeoutSeconds`` in all: every attempt gets what is left of it, and a retry is made only
when, after its pause, enough of the budget remains to be worth trying. Pauses grow exponentially
(0.2 s, 0.4 s, 0.8 s, ... up to 2 s) with jitter, so many sessions retrying at once do not align.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]

BACKOFF_BASE_SECONDS = 0.2
BACKOFF_CAP_SECONDS = 2.0
MIN_ATTEMPT_SECONDS = 0.05  # an attempt with less time left than this is not started


def backoff_seconds(attempt: int, rng: random.Random | None = None) -> float:
    """The pause after failed attempt number ``attempt`` (1-based): half the exponential step, plus a
    random share of the other half."""
    step = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
    return step / 2 + (rng or random).uniform(0, step / 2)


@dataclass
class Budget:
    """The deadline of a call, on a monotonic clock."""

    seconds: float
    clock: Clock
    started: float = field(init=False)

    def __post_init__(self) -> None:
        if not self.seconds > 0:
            raise ValueError("a tool call's timeout must be a positive number of seconds")
        self.started = self.clock()

    def remaining(self) -> float:
        return self.started + self.seconds - self.clock()

    def elapsed_ms(self) -> float:
        return (self.clock() - self.started) * 1000.0

    def allows_retry_after(self, pause: float) -> bool:
        """Whether an attempt started after ``pause`` still has time to run."""
        return self.remaining() - pause >= MIN_ATTEMPT_SECONDS
