"""Speech for ``scripts/call.py``: a project key's provider (the platform's own speech code) hears a WAV
as the caller's words and speaks the agent's lines into WAV files.

The provider is given as a key's ``provider`` JSON. A ``hosted`` key's speech is the platform's own
deployments, which the script does not have (on the local stack there are none), so it is refused.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from shared.audio.errors import AudioError  # noqa: E402
from shared.audio.pcm import from_wav, to_wav  # noqa: E402
from shared.models.events import ProviderError  # noqa: E402
from shared.models.speech import SpeechProvider  # noqa: E402
from shared.models.speech_selection import speech_for  # noqa: E402

EXAMPLE = (
    '\'{"type": "openai-compatible", "baseUrl": "https://api.openai.com/v1", "apiKey": "sk-...", '
    '"transcriptionModel": "whisper-1", "speechModel": "tts-1"}\''
)


class SpeechUnavailable(Exception):
    """The provider cannot do what was asked: the message says why and what to pass instead."""


def speech_of(provider_json: str, need: Literal["transcribe", "synthesize"]) -> SpeechProvider:
    try:
        provider = json.loads(provider_json)
    except ValueError as error:
        raise SpeechUnavailable("--provider must be JSON: a key's provider object.") from error
    if not isinstance(provider, dict):
        raise SpeechUnavailable("--provider must be a JSON object: a key's provider.")
    try:
        speech = speech_for(provider, None, None)
    except ProviderError as error:
        raise SpeechUnavailable(f"--provider is not a usable provider ({error}).") from error
    able = speech is not None and (speech.can_transcribe if need == "transcribe" else speech.can_synthesize)
    if speech is None or not able:
        kind = provider.get("type")
        raise SpeechUnavailable(
            f"The provider {kind!r} does not {need} speech for this script (the local stack's hosted key "
            f"has no speech). Pass --provider with a key's provider that does, e.g. {EXAMPLE} (or an "
            '"azure-openai" one with "transcriptionDeployment" / "speechDeployment").'
        )
    return speech


def transcribe(speech: SpeechProvider, path: Path) -> str:
    """What the WAV at ``path`` says (never empty)."""
    try:
        text = speech.transcribe(from_wav(path.read_bytes()))
    except OSError as error:
        raise SpeechUnavailable(f"{path}: cannot read it ({error.strerror}).") from error
    except AudioError as error:
        raise SpeechUnavailable(f"{path}: not a WAV the platform reads ({error}).") from error
    except ProviderError as error:
        raise SpeechUnavailable(f"{path}: the provider could not transcribe it ({error}).") from error
    if not text.strip():
        raise SpeechUnavailable(f"{path}: the provider heard no speech in it.")
    return text


class Recorder:
    """Speaks each line the agent plays into ``directory``/001.wav, 002.wav... (16 kHz mono)."""

    def __init__(self, speech: SpeechProvider, voice: str, directory: Path) -> None:
        self.speech, self.voice, self.directory = speech, voice, directory
        self.written: list[Path] = []
        directory.mkdir(parents=True, exist_ok=True)

    def speak(self, text: str) -> Path:
        try:
            pcm = self.speech.synthesize(text, self.voice)
        except ProviderError as error:
            raise SpeechUnavailable(f"the provider could not speak a line ({error}).") from error
        path = self.directory / f"{len(self.written) + 1:03d}.wav"
        path.write_bytes(to_wav(pcm))
        self.written.append(path)
        return path
