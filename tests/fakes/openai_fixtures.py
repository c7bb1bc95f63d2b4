"""Fixtures shared by the tests of model, speech and embedding providers (registered for the whole
suite in tests/conftest.py): a scripted OpenAI server per module, reset for each test, and a clock that
records waits instead of sleeping."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.scripted_openai import ScriptedOpenAI

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
