"""Speech over the ``openai`` SDK for one key's provider: audio in (transcription), audio out (speech).
Which provider a key has, if any: ``shared.models.speech_selection``.

Audio is 16 kHz mono PCM16 both ways. Transcription uploads it as a WAV (``audio.wav``, ``audio/wav``).
Speech asks for ``response_format="wav"``, not ``"pcm"``: the SDK types say nothing of ``pcm``'s rate
(OpenAI documents 24 kHz, OpenAI-compatible servers answer their voice's own rate, 22.05 kHz for Piper
voices), while a WAV says its rate in its header. The answer is resampled to 16 kHz
(``shared.audio.pcm.from_wav``); ``speech_format="pcm"`` with ``pcm_rate`` is there for servers without
WAV.

Failures are ``ProviderError``s with the codes and retry policy of chat (``openai_failures``):
408/409/429/5xx, timeouts and broken connections are tried again with backoff (``RetryPolicy``,
``Retry-After`` honoured, the SDK's own retries off); refusals are not, and their messages never quote a
key or a URL.
"""

from __future__ import annotations

import random as random_module
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

import httpx2
import openai

from shared.audio.errors import AudioError
from shared.audio.pcm import from_wav, resample, to_wav
from shared.models import events
from shared.models.events import ProviderError
from shared.models.openai_chat import DEFAULT_CONNECT_TIMEOUT_SECONDS, DEFAULT_TIMEOUT_SECONDS
from shared.models.openai_clients import (
    azure_client,
    azure_defaults,
    compatible_client,
    compatible_defaults,
    secrets_of,
)
from shared.models.openai_failures import OpenAIFailures, RetryLoop
from shared.models.retry import RetryPolicy
from shared.models.selection import DEFAULT_HOSTED_API_VERSION

DEFAULT_TRANSCRIPTION_MODEL = "whisper-1"
DEFAULT_SPEECH_MODEL = "tts-1"
OPENAI_PCM_RATE = 24_000  # what OpenAI's speech endpoint answers for response_format="pcm"
MAX_SPEECH_INPUT = 4096  # characters per speech request (the SDK's documented limit)
MIN_TRANSCRIBED_BYTES = 3_200  # 0.1 s at 16 kHz: OpenAI refuses shorter audio ("audio_too_short")
SpeechFormat = Literal["wav", "pcm"]
_T = TypeVar("_T")


@runtime_checkable
class SpeechProvider(Protocol):
    """Speech of one key's provider. Audio is 16 kHz mono PCM16 (signed, little-endian)."""

    @property
    def can_transcribe(self) -> bool: ...

    @property
    def can_synthesize(self) -> bool: ...

    def transcribe(self, pcm16: bytes, language: str | None = None) -> str:
        """The text spoken in ``pcm16`` ("" for silence or audio too short to hear); ``language``, an
        ISO 639-1 code (or a tag like ``en-US``), helps the model. Raises ``ProviderError``."""
        ...

    def synthesize(self, text: str, voice: str) -> bytes:
        """``text`` spoken with ``voice``, as 16 kHz mono PCM16. Raises ``ProviderError``."""
        ...


@dataclass(frozen=True)
class HostedSpeechSettings:
    """The platform's Azure OpenAI deployments for speech behind ``hosted`` keys."""

    endpoint: str | None = None
    transcription_deployment: str | None = None
    speech_deployment: str | None = None
    api_version: str = DEFAULT_HOSTED_API_VERSION
    api_key: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.endpoint and (self.transcription_deployment or self.speech_deployment))


class OpenAISpeech:
    """Transcription and speech over an ``openai.OpenAI`` (or ``AzureOpenAI``) client.

    ``transcription_model`` / ``speech_model`` are model names (deployments on Azure); None means that
    direction is unavailable. ``sleep`` and ``random`` are injectable, as in ``OpenAIChatProvider``."""

    def __init__(
        self,
        client: openai.OpenAI,
        *,
        transcription_model: str | None,
        speech_model: str | None,
        label: str,
        model_kind: str = "model",
        secrets: Sequence[str] = (),
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_SECONDS,
        retry: RetryPolicy | None = None,
        speech_format: SpeechFormat = "wav",
        pcm_rate: int = OPENAI_PCM_RATE,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = random_module.random,
    ) -> None:
        self.client = client
        self.transcription_model = transcription_model
        self.speech_model = speech_model
        self.label = label
        self.model_kind = model_kind
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.retry = retry or RetryPolicy()
        self.speech_format: SpeechFormat = speech_format
        self.pcm_rate = pcm_rate
        self._secrets = tuple(secret for secret in secrets if secret)
        self._sleep = sleep
        self._random = random

    # ------------------------------------------------------------------------------------ constructors

    @classmethod
    def azure(
        cls,
        *,
        endpoint: str,
        api_version: str,
        transcription_deployment: str | None,
        speech_deployment: str | None,
        api_key: str | None = None,
        token_provider: Callable[[], str] | None = None,
        **options: Any,
    ) -> OpenAISpeech:
        """Azure OpenAI deployments, with the resource's key or else an Entra ID token. The client is
        not bound to one deployment: the SDK puts ``model`` (the deployment) into the path,
        ``/openai/deployments/{deployment}/audio/...``."""
        client = azure_client(
            endpoint=endpoint, api_version=api_version, api_key=api_key, token_provider=token_provider
        )
        return cls(
            client,
            transcription_model=transcription_deployment,
            speech_model=speech_deployment,
            secrets=secrets_of(api_key),
            **azure_defaults(options),
        )

    @classmethod
    def compatible(
        cls,
        *,
        base_url: str,
        api_key: str | None = None,
        transcription_model: str | None = DEFAULT_TRANSCRIPTION_MODEL,
        speech_model: str | None = DEFAULT_SPEECH_MODEL,
        **options: Any,
    ) -> OpenAISpeech:
        client = compatible_client(base_url=base_url, api_key=api_key)
        return cls(
            client,
            transcription_model=transcription_model,
            speech_model=speech_model,
            secrets=secrets_of(api_key),
            **compatible_defaults(options),
        )

    # ------------------------------------------------------------------------------------ speech

    @property
    def can_transcribe(self) -> bool:
        return self.transcription_model is not None

    @property
    def can_synthesize(self) -> bool:
        return self.speech_model is not None

    def transcribe(self, pcm16: bytes, language: str | None = None) -> str:
        model = self._model(self.transcription_model, "transcription")
        if len(pcm16) < MIN_TRANSCRIBED_BYTES:
            return ""
        wav = to_wav(pcm16)
        code = iso_language(language)
        result = self._with_retries(
            lambda: self.client.audio.transcriptions.create(
                model=model,
                file=("audio.wav", wav, "audio/wav"),
                response_format="json",
                language=code if code else openai.omit,
                timeout=self._timeout(),
            ),
            model,
        )
        return result.text.strip()

    def synthesize(self, text: str, voice: str) -> bytes:
        model = self._model(self.speech_model, "speech")
        return b"".join(self._speak(piece, voice, model) for piece in _pieces(text, MAX_SPEECH_INPUT))

    def _speak(self, text: str, voice: str, model: str) -> bytes:
        answer = self._with_retries(
            lambda: (
                self.client.audio.speech.create(
                    model=model,
                    voice=voice,
                    input=text,
                    response_format=self.speech_format,
                    timeout=self._timeout(),
                ).content
            ),
            model,
        )
        try:
            if self.speech_format == "wav":
                return from_wav(answer)
            return resample(answer[: len(answer) - len(answer) % 2], self.pcm_rate)
        except AudioError as error:
            raise ProviderError(
                events.UNAVAILABLE,
                f"{self.label} answered speech that could not be played: {error.message}",
                retryable=False,
            ) from error

    def _model(self, model: str | None, direction: str) -> str:
        if model is None:
            raise ProviderError(
                events.INVALID_CONFIG,
                f"{self.label} has no {direction} {self.model_kind} for this API key; set "
                f"{direction}{'Deployment' if self.model_kind == 'deployment' else 'Model'} on the key.",
                retryable=False,
            )
        return model

    def _timeout(self) -> httpx2.Timeout:
        return httpx2.Timeout(self.timeout, connect=self.connect_timeout)

    # ------------------------------------------------------------------------------------ retries

    def _with_retries(self, request: Callable[[], _T], model: str) -> _T:
        failures = OpenAIFailures(self.label, self.model_kind, model, self._secrets, self.timeout)
        return RetryLoop(self.retry, self._sleep, self._random).call(request, failures.classify)


_LANGUAGE = re.compile(r"([A-Za-z]{2})(?:[-_][A-Za-z0-9]+)*")


def iso_language(language: str | None) -> str | None:
    """The ISO 639-1 code the transcription endpoint takes (``en`` for ``en-US``); None for anything
    else (a language name), so the model detects the language itself."""
    if not language:
        return None
    match = _LANGUAGE.fullmatch(language.strip())
    return match.group(1).lower() if match else None


def _pieces(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at spaces where possible."""
    text = text.strip()
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut].strip())
        text = text[cut:].strip()
    if text:
        pieces.append(text)
    return pieces
