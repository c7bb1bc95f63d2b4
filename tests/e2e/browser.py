"""Real headless Chromium for the browser tests (the Web SDK, the Playground), driven by Playwright.

The Debian ``chromium`` package is used as it is (``executable_path``), never a browser Playwright
downloads. Its fake microphone plays a WAV file in a loop: ``fake_microphone_wav`` writes one from a
speech fixture (PCM16 16 kHz) with silence around it, so the server hears one utterance per loop.

tests/e2e/conftest.py takes the fixtures in for every e2e module (each module gets its own, module-scoped).
Screenshots go to ``artifacts_dir`` (``tests/artifacts/browser`` by default, kept after the run).
"""

from __future__ import annotations

import os
import shutil
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.devhost.helpers import REPO_ROOT

SPEECH_FIXTURES = REPO_ROOT / "tests" / "fixtures" / "speech"
SAMPLE_RATE = 16_000
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium_executable() -> str:
    """The system Chromium: ``OMNI_TEST_CHROMIUM`` or the first of the usual names on PATH."""
    configured = os.environ.get("OMNI_TEST_CHROMIUM")
    if configured:
        return configured
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError(
        "The browser tests need Chromium: sudo apt-get install -y chromium (Debian/Ubuntu), "
        "or set OMNI_TEST_CHROMIUM=/path/to/chromium"
    )


def fake_microphone_wav(
    target: Path, fixture: str, lead_silence_s: float = 1.5, trail_silence_s: float = 6.0
) -> Path:
    """A WAV (16 kHz mono PCM16) of ``fixture`` (a ``.pcm`` in tests/fixtures/speech) between silences:
    the lead lets the page connect first, the trail is longer than any turn the test waits for."""
    speech = (SPEECH_FIXTURES / fixture).read_bytes()
    silence = lambda seconds: b"\x00\x00" * int(SAMPLE_RATE * seconds)  # noqa: E731
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(silence(lead_silence_s) + speech + silence(trail_silence_s))
    return target


@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Playwright]:
    """One driver per test module, stopped at the module's end: a running sync Playwright keeps an
    asyncio loop in the main thread, and tests after it that call ``asyncio.run`` would fail; two at
    once fail too ("Sync API inside the asyncio loop"). Modules run one after the other, so never two."""
    with sync_playwright() as driver:
        yield driver


def _launch(driver: Playwright, extra_args: list[str]) -> Browser:
    return driver.chromium.launch(
        executable_path=chromium_executable(),
        headless=True,
        args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required", *extra_args],
    )


@pytest.fixture(scope="module")
def chromium(playwright_driver: Playwright) -> Iterator[Browser]:
    """A browser without a microphone (text sessions, screenshots)."""
    browser = _launch(playwright_driver, [])
    yield browser
    browser.close()


@pytest.fixture
def chromium_with_microphone(
    playwright_driver: Playwright, tmp_path: Path
) -> Iterator[Callable[[str], Browser]]:
    """``launch(fixture)``: a browser whose fake microphone says the speech fixture (then silence)."""
    launched: list[Browser] = []

    def launch(fixture: str) -> Browser:
        wav = fake_microphone_wav(tmp_path / f"{Path(fixture).stem}.wav", fixture)
        browser = _launch(
            playwright_driver,
            [
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={wav}",
            ],
        )
        launched.append(browser)
        return browser

    yield launch
    for browser in launched:
        browser.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where screenshots are kept for people to look at (``OMNI_TEST_ARTIFACTS`` to change)."""
    directory = Path(os.environ.get("OMNI_TEST_ARTIFACTS", REPO_ROOT / "tests" / "artifacts" / "browser"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory
