"""Fixtures for audio: the scripted OpenAI server (with its audio endpoints), a clock that never
sleeps, and a fresh utterance table per test on Azurite."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from shared.audio import UtteranceBuffer
from shared.models import RetryPolicy
from shared.models.speech import OpenAISpeech
from shared.models.speech_selection import clear_speech_cache
from shared.settings import StorageSettings
from shared.storage import table_service
from tests.fakes import ScriptedOpenAI
from tests.fakes.openai_fixtures import API_KEY, FakeSleep


@pytest.fixture(autouse=True)
def _fresh_speech_cache() -> Iterator[None]:
    clear_speech_cache()
    yield
    clear_speech_cache()


@pytest.fixture
def buffer(storage_settings: StorageSettings) -> UtteranceBuffer:
    return UtteranceBuffer.for_service(table_service(storage_settings), f"sessionaudio{uuid.uuid4().hex}")


def compatible_speech(server: ScriptedOpenAI, sleep: FakeSleep, **options: Any) -> OpenAISpeech:
    """Speech on the scripted server as an OpenAI-compatible key; jitter fixed at its midpoint."""
    options.setdefault("retry", RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=8, max_total_wait=30))
    options.setdefault("timeout", 5.0)
    return OpenAISpeech.compatible(
        base_url=server.base_url,
        api_key=options.pop("api_key", API_KEY),
        sleep=sleep,
        random=lambda: 0.5,
        **options,
    )
