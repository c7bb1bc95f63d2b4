"""Fixtures for the model providers: a scripted OpenAI server and a clock that never really sleeps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shared.models import OpenAIChatProvider, RetryPolicy
from shared.models.selection import clear_provider_cache
from tests.fakes import ScriptedOpenAI

API_KEY = "sk-test-2c5f9a41d7e84b0f9b1e3a6c"


class FakeSleep:
    """Records the waits asked for instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)

    @property
    def total(self) -> float:
        return sum(self.waits)


@pytest.fixture(scope="module")
def scripted() -> Iterator[ScriptedOpenAI]:
    with ScriptedOpenAI(api_key=API_KEY) as server:
        yield server


@pytest.fixture
def server(scripted: ScriptedOpenAI) -> Iterator[ScriptedOpenAI]:
    """The module's server, with an empty script and record for each test."""
    scripted.clear()
    yield scripted
    assert scripted.pending == 0, "the test left scripted replies unused"
    scripted.clear()


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture(autouse=True)
def _fresh_provider_cache() -> Iterator[None]:
    clear_provider_cache()
    yield
    clear_provider_cache()


def compatible(server: ScriptedOpenAI, sleep: FakeSleep, **options: Any) -> OpenAIChatProvider:
    """An OpenAI-compatible provider on the scripted server; jitter fixed at its midpoint."""
    options.setdefault("retry", RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=8, max_total_wait=30))
    options.setdefault("timeout", 5.0)
    return OpenAIChatProvider.compatible(
        base_url=server.base_url,
        model="gpt-test",
        api_key=options.pop("api_key", API_KEY),
        sleep=sleep,
        random=lambda: 0.5,
        **options,
    )
