"""Fixtures for the model providers: a scripted OpenAI server and a clock that never really sleeps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shared.models import OpenAIChatProvider, RetryPolicy
from shared.models.selection import clear_provider_cache
from tests.fakes import ScriptedOpenAI
from tests.fakes.openai_fixtures import API_KEY, FakeSleep


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
