"""Speech for a key's provider: audio in (transcription), audio out (speech), through the ``openai`` SDK.

- ``azure-openai``: the key's resource, with a deployment per direction (``transcriptionDeployment``,
  ``speechDeployment`` in the key's provider settings). Without either, the key has no speech; with one,
  only that direction works (``can_transcribe`` / ``can_synthesize`` say which).
- ``openai-compatible``: the key's API with ``transcriptionModel`` (default ``whisper-1``) and
  ``speechModel`` (default ``tts-1``).
- ``hosted``: the platform's deployments when ``HostedSpeechSettings`` names them; the embedded offline
  model has no speech (``speech_for`` answers None).

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

``split_sentences`` cuts a streamed answer into sentences, so each can be spoken as soon as it is whole.
"""

from __future__ import annotations

import random as random_module
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

import httpx2
import openai

from shared.audio.errors import AudioError
from shared.audio.pcm import from_wav, resample, to_wav
from shared.models import events
from shared.models.client_cache import ClientCache
from shared.models.client_cache import required as _required
from shared.models.client_cache import text as _text
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


# ------------------------------------------------------------------------------------------ selection


def speech_for(
    provider_config: Mapping[str, Any],
    provider_secret: str | None,
    hosted: HostedSpeechSettings | None,
    **options: Any,
) -> SpeechProvider | None:
    """Speech for a key's provider, or None when it has none (a ``hosted`` key on the embedded offline
    model, an ``azure-openai`` key without speech deployments). ``options`` go to ``OpenAISpeech``; with
    options the provider is built fresh, else taken from a small cache (one client, one connection
    pool, per settings and secret). Raises ``ProviderError`` (``model_config_invalid``) for unusable
    settings."""
    kind = provider_config.get("type")
    secret = provider_secret or _text(provider_config.get("apiKey"))
    if kind == "azure-openai":
        transcription = _text(provider_config.get("transcriptionDeployment"))
        speech = _text(provider_config.get("speechDeployment"))
        if transcription is None and speech is None:
            return None
        endpoint = _required(provider_config, "endpoint", kind)
        api_version = _required(provider_config, "apiVersion", kind)
        return _cache.get(
            ("azure-openai", endpoint, api_version, transcription, speech),
            secret,
            not options,
            lambda: OpenAISpeech.azure(
                endpoint=endpoint,
                api_version=api_version,
                transcription_deployment=transcription,
                speech_deployment=speech,
                api_key=secret,
                **options,
            ),
        )
    if kind == "openai-compatible":
        # Opt-in: many OpenAI-compatible servers (Ollama, vLLM...) have no audio endpoints, so a key
        # hears and speaks only with the models it names (OpenAI: "whisper-1", "tts-1").
        base_url = _required(provider_config, "baseUrl", kind)
        transcription = _text(provider_config.get("transcriptionModel"))
        speech = _text(provider_config.get("speechModel"))
        if transcription is None and speech is None:
            return None
        return _cache.get(
            ("openai-compatible", base_url, transcription, speech),
            secret,
            not options,
            lambda: OpenAISpeech.compatible(
                base_url=base_url,
                api_key=secret,
                transcription_model=transcription,
                speech_model=speech,
                **options,
            ),
        )
    if kind == "hosted":
        if hosted is None or not hosted.configured:
            return None
        assert hosted.endpoint
        endpoint = hosted.endpoint
        cacheable = not options
        options.setdefault("label", "The hosted model")
        return _cache.get(
            (
                "hosted",
                endpoint,
                hosted.api_version,
                hosted.transcription_deployment,
                hosted.speech_deployment,
            ),
            hosted.api_key,
            cacheable,
            lambda: OpenAISpeech.azure(
                endpoint=endpoint,
                api_version=hosted.api_version,
                transcription_deployment=hosted.transcription_deployment,
                speech_deployment=hosted.speech_deployment,
                api_key=hosted.api_key,
                **options,
            ),
        )
    raise ProviderError(
        events.INVALID_CONFIG,
        "The API key's model provider type is not supported; use azure-openai, openai-compatible or hosted.",
        retryable=False,
    )


_cache: ClientCache[OpenAISpeech] = ClientCache()


def clear_speech_cache() -> None:
    _cache.clear()


# ------------------------------------------------------------------------------------------ sentences

_ENDINGS = ".!?…"
_WIDE_ENDINGS = "\u3002\uff01\uff1f"  # ideographic full stop, fullwidth ! and ?: no space after them
_CLOSERS = "\"')]}\u00bb\u201d\u2019"  # quotes, brackets, closing guillemet and curly quotes
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "approx", "fig", "dept", "inc", "ltd", "co"}
)
DEFAULT_MAX_SENTENCE = 300  # characters: a longer run without an ending is cut at a pause


def split_sentences(text_stream: Iterable[str], max_chars: int = DEFAULT_MAX_SENTENCE) -> Iterator[str]:
    """Whole sentences of a streamed text, each yielded as soon as its end has arrived, then the rest.

    A sentence ends at ``.``, ``!``, ``?`` or ``…`` (with any closing quotes or brackets) followed by
    a space, at a line break, or at the CJK full stop, exclamation and question marks. Not an end: a
    decimal point (``3.5``), a dot inside a word (``example.com``), abbreviations (``e.g.``, ``i.e.``,
    ``U.S.``, ``Dr.``, initials like ``J.``), a list number at the start (``1. ``), a stop or ellipsis
    followed by a lowercase word (``Then... nothing.``). Since an end is only known once what follows
    it is seen (a space, and for ``.`` the next word's first letter), a sentence is yielded as soon as
    that has arrived, or when the stream ends. A run longer than ``max_chars`` without an end is cut
    at its last comma, semicolon, colon or space, so a long sentence does not hold back the first
    audio. Yielded sentences are stripped, never empty."""
    buffer = ""
    scan = 0  # what is before this index holds no sentence end
    for delta in text_stream:
        if not delta:
            continue
        buffer += delta
        while True:
            end, scan = _sentence_end(buffer, scan)
            if end is None:
                break
            sentence = buffer[:end].strip()
            buffer = buffer[end:]
            scan = 0
            if sentence:
                yield sentence
        while len(buffer.strip()) > max_chars:
            cut = _pause(buffer, max_chars)
            sentence = buffer[:cut].strip()
            buffer = buffer[cut:]
            scan = 0
            if sentence:
                yield sentence
    rest = buffer.strip()
    if rest:
        yield rest


def _sentence_end(buffer: str, start: int) -> tuple[int | None, int]:
    """``(end, scan)``: the index just after the first sentence end from ``start`` (None when there
    is none yet), and where to resume scanning once more text has arrived."""
    index = start
    length = len(buffer)
    while index < length:
        char = buffer[index]
        if char == "\n":
            return index + 1, 0
        if char in _WIDE_ENDINGS:
            after = index + 1
            while after < length and buffer[after] in _WIDE_ENDINGS + _CLOSERS:
                after += 1
            if after == length:
                return None, index  # more endings or closers may follow
            return after, 0
        if char in _ENDINGS:
            after = index + 1
            while after < length and buffer[after] in _ENDINGS:
                after += 1
            while after < length and buffer[after] in _CLOSERS:
                after += 1
            if after == length:
                return None, index  # the next character decides
            if not buffer[after].isspace() or _is_abbreviation(buffer, index):
                index = after
                continue
            if char in "!?" or "\n" in buffer[after : _next_word(buffer, after)]:
                return after, 0
            # A stop or an ellipsis followed by a lowercase word is a pause ("Then... nothing."):
            # the first letter of the next word decides.
            word = _next_word(buffer, after)
            if word == length:
                return None, index
            if not buffer[word].islower():
                return after, 0
            index = word
            continue
        index += 1
    return None, length


def _next_word(buffer: str, start: int) -> int:
    """The index of the first character at or after ``start`` that is not a space."""
    index = start
    while index < len(buffer) and buffer[index].isspace():
        index += 1
    return index


def _is_abbreviation(buffer: str, dot: int) -> bool:
    """Whether the single ``.`` at ``dot`` closes an abbreviation, an initial or a list number."""
    if buffer[dot] != "." or (dot + 1 < len(buffer) and buffer[dot + 1] == "."):
        return False
    word_start = dot
    while word_start > 0 and not buffer[word_start - 1].isspace():
        word_start -= 1
    word = buffer[word_start:dot].lstrip("\"'([{\u00ab\u201c\u2018")
    if not word:
        return False
    if "." in word:  # e.g. i.e. U.S. a.m.
        return True
    if len(word) == 1 and word.isalpha() and word.isupper():  # an initial: J. R. R. Tolkien
        return True
    if word.isdigit() and not buffer[:word_start].strip():  # "1. First, ..." at a line's start
        return True
    return word.lower() in _ABBREVIATIONS


def _pause(buffer: str, max_chars: int) -> int:
    """Where to cut an over-long run: after its last ``,;:`` (then space) within ``max_chars``."""
    leading = len(buffer) - len(buffer.lstrip())
    window = buffer[: leading + max_chars]
    for marks in (",;:", " "):
        cut = max(window.rfind(mark) for mark in marks)
        if cut > leading:
            return cut + 1
    return leading + max_chars
