"""A scripted OpenAI Chat Completions server on 127.0.0.1, for the real ``openai`` SDK to talk to.

A real HTTP server (aiohttp, in a background thread with its own event loop), speaking enough of the
API for the SDK: ``POST /v1/chat/completions`` and the Azure path
``POST /openai/deployments/{deployment}/chat/completions?api-version=...``, streamed (SSE
``data: {chunk}`` lines, then ``data: [DONE]``) or not, and ``GET /v1/models``.

Tests queue the replies, in order, one per request::

    with ScriptedOpenAI() as server:
        server.reply_text("Hello there", chunks=3)
        server.reply_tool_calls([ToolCall("get_weather", {"city": "Paris"})])
        server.reply_error(429, retry_after=1)
        client = openai.OpenAI(base_url=server.base_url, api_key="sk-test")
        ...
        assert server.requests[0].messages[0]["role"] == "system"

``respond_with(fn)`` answers every request the queue does not (``fn(request) -> Reply``): for
end-to-end runs and benchmarks that need an endless, content-dependent model. Without either, a
request gets a 400 whose message says nothing was scripted. Every request is recorded (method, path,
query, headers, JSON body), including refused ones. No latency unless a reply asks for ``delay`` /
``chunk_delay``. With ``api_key=...`` the server checks ``Authorization: Bearer`` / ``api-key`` and
answers 401 the way OpenAI does (its message echoes part of the key, as OpenAI's does).

Audio: ``POST /v1/audio/transcriptions`` (multipart, as the SDK sends it) answers the scripted text
(``transcribe_as("I'd like a refund")``; default ``DEFAULT_TRANSCRIPT``) and records the uploaded file
(``server.transcriptions[-1].audio``). ``POST /v1/audio/speech`` answers real audio: a 440 Hz tone of
``SPEECH_SAMPLES_PER_CHARACTER`` samples per character of ``input`` at 24 kHz (``speech_pcm(text)``), raw
int16 mono for ``response_format="pcm"`` or as a WAV for ``"wav"`` (other formats: 400), and records
``input`` / ``voice`` / ``response_format`` (``server.speeches``). Both also under the Azure paths
``/openai/deployments/{deployment}/audio/...``. ``speak_with(delay=...)`` slows speech per call (a
number or a function of the text), ``fail_audio(status)`` queues an error for the next audio request.

Embeddings: ``POST /v1/embeddings`` (and ``/openai/deployments/{deployment}/embeddings``) answers one
vector per input, in ``"float"`` or ``"base64"`` (float32) encoding as asked: by default
``embedding_vector(text)``, a deterministic hashed bag of words (``EMBEDDING_DIMENSIONS`` values, or the
request's ``dimensions``; texts sharing words point the same way); ``embed_with(fn)`` answers
``fn(text, dimensions)`` instead, ``reverse=True`` lists the items last index first (clients must order
them by ``index``). Each request is recorded (``server.embedding_requests``: model, inputs, format);
``fail_embeddings(status)`` queues an error for the next embeddings request.
"""

from __future__ import annotations

import array
import asyncio
import base64
import contextlib
import hashlib
import io
import json
import math
import struct
import threading
import time
import wave
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from aiohttp import web

from tests.fakes.loopback import LoopbackServer


@dataclass(frozen=True)
class ToolCall:
    """One tool call in a scripted reply; ``arguments`` as a dict (sent as JSON) or raw text (sent as
    is, e.g. invalid JSON)."""

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    @property
    def arguments_text(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass(frozen=True)
class TextReply:
    text: str
    chunks: int = 3
    finish_reason: str = "stop"
    usage: tuple[int, int] | None = None  # (prompt, completion) tokens; None: rough word counts
    delay: float = 0.0  # seconds before the answer's headers
    chunk_delay: float = 0.0  # seconds between streamed chunks
    break_after: int | None = None  # drop the connection after this many content chunks


@dataclass(frozen=True)
class ToolCallsReply:
    calls: tuple[ToolCall, ...]
    text: str | None = None  # content streamed before the calls
    fragments: int = 3  # pieces each call's arguments are streamed in
    interleave: bool = False  # alternate fragments of parallel calls (by index), as some servers do
    finish_reason: str = "tool_calls"
    usage: tuple[int, int] | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0


@dataclass(frozen=True)
class ErrorReply:
    status: int
    message: str | None = None
    code: str | None = None
    body: Any = None  # the whole JSON body; default: OpenAI's {"error": {...}}
    retry_after: float | str | None = None
    retry_after_ms: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0


Reply = TextReply | ToolCallsReply | ErrorReply


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    body: Any  # parsed JSON, or None
    received_at: float  # time.monotonic()

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", [])) if isinstance(self.body, dict) else []

    @property
    def system_prompt(self) -> str:
        for message in self.messages:
            if message.get("role") in ("system", "developer") and isinstance(message.get("content"), str):
                return str(message["content"])
        return ""

    @property
    def stream(self) -> bool:
        return isinstance(self.body, dict) and bool(self.body.get("stream"))

    @property
    def model(self) -> str | None:
        return self.body.get("model") if isinstance(self.body, dict) else None

    @property
    def deployment(self) -> str | None:
        """The deployment in an Azure path, else None."""
        parts = self.path.strip("/").split("/")
        if len(parts) >= 3 and parts[0] == "openai" and parts[1] == "deployments":
            return parts[2]
        return None


DEFAULT_TRANSCRIPT = "Hello from the scripted transcriber."
SPEECH_RATE = 24_000  # Hz: what OpenAI answers for "pcm" (and in its WAVs)
SPEECH_SAMPLES_PER_CHARACTER = 1_200  # 50 ms of tone per character of input
_TONE_HZ = 440.0
_TONE_AMPLITUDE = 8_000


@dataclass(frozen=True)
class TranscriptionRequest:
    """What one transcription request uploaded (the multipart fields and the file)."""

    path: str
    deployment: str | None
    fields: dict[str, str]  # model, language, response_format, ...
    filename: str | None
    content_type: str | None
    audio: bytes  # the file's bytes as sent

    @property
    def model(self) -> str | None:
        return self.fields.get("model")

    @property
    def language(self) -> str | None:
        return self.fields.get("language")


@dataclass(frozen=True)
class SpeechRequest:
    """What one speech request asked for."""

    path: str
    deployment: str | None
    model: str | None
    input: str
    voice: Any
    response_format: str | None
    speed: float | None
    received_at: float  # time.monotonic()


EMBEDDING_DIMENSIONS = 64


@dataclass(frozen=True)
class EmbeddingRequest:
    """What one embeddings request asked for."""

    path: str
    deployment: str | None
    model: str | None
    inputs: list[str]
    encoding_format: str | None
    dimensions: int | None


def embedding_vector(text: str, dimensions: int = EMBEDDING_DIMENSIONS) -> list[float]:
    """The server's default embedding: each lower-cased word adds 1 to a dimension chosen by its hash;
    normalised to length 1 (all zeros but the first for a text without words)."""
    vector = [0.0] * dimensions
    for word in text.lower().split():
        vector[int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "big") % dimensions] += 1.0
    norm = math.sqrt(sum(value * value for value in vector))
    if not norm:
        vector[0] = 1.0
        return vector
    return [value / norm for value in vector]


def speech_pcm(text: str, speed: float = 1.0) -> bytes:
    """The audio the server speaks ``text`` with: a 440 Hz tone, 24 kHz int16 little-endian mono,
    ``SPEECH_SAMPLES_PER_CHARACTER`` samples per character (divided by ``speed``)."""
    count = round(len(text) * SPEECH_SAMPLES_PER_CHARACTER / (speed or 1.0))
    step = 2 * math.pi * _TONE_HZ / SPEECH_RATE
    samples = [round(_TONE_AMPLITUDE * math.sin(step * index)) for index in range(count)]
    return struct.pack(f"<{count}h", *samples)


def pcm_as_wav(pcm: bytes, rate: int = SPEECH_RATE, *, unknown_size: bool = False) -> bytes:
    """``pcm`` (int16 mono) as a WAV; ``unknown_size`` writes 0xFFFFFFFF sizes, as streaming servers do."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(pcm)
    data = buffer.getvalue()
    if unknown_size:
        data = data[:4] + b"\xff\xff\xff\xff" + data[8:40] + b"\xff\xff\xff\xff" + data[44:]
    return data


class ScriptedOpenAI(LoopbackServer):
    thread_name = "scripted-openai"

    def __init__(self, *, api_key: str | None = None, model: str = "gpt-scripted", port: int = 0) -> None:
        super().__init__(port=port)
        self.api_key = api_key
        self.model = model
        self._replies: deque[Reply] = deque()
        self._responder: Callable[[RecordedRequest], Reply] | None = None
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping: asyncio.Event | None = None
        self._counter = 0
        self._transcript = DEFAULT_TRANSCRIPT
        self._transcription_delay = 0.0
        self._speech_delay: float | Callable[[str], float] = 0.0
        self._wav_unknown_size = False
        self._audio_errors: deque[ErrorReply] = deque()
        self._transcriptions: list[TranscriptionRequest] = []
        self._speeches: list[SpeechRequest] = []
        self._embedder: Callable[[str, int], list[float]] = embedding_vector
        self._embedding_reverse = False
        self._embedding_errors: deque[ErrorReply] = deque()
        self._embedding_requests: list[EmbeddingRequest] = []

    # ------------------------------------------------------------------------------------ lifecycle

    def add_routes(self, app: web.Application) -> None:
        self._stopping = asyncio.Event()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/chat/completions", self._chat)
        app.router.add_post("/openai/deployments/{deployment}/chat/completions", self._chat)
        for prefix in ("/v1", "", "/openai/deployments/{deployment}"):
            app.router.add_post(f"{prefix}/audio/transcriptions", self._transcription)
            app.router.add_post(f"{prefix}/audio/speech", self._speech)
            app.router.add_post(f"{prefix}/embeddings", self._embeddings)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/models", self._models)

    async def before_stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()  # streams that wait end now

    # ------------------------------------------------------------------------------------ addresses

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``openai.OpenAI(base_url=...)`` and ``openai-compatible`` keys."""
        return f"{self.origin}/v1"

    def provider(self, **extra: str) -> dict[str, Any]:
        """A key's ``openai-compatible`` provider on this fake, which hears and speaks (the models it
        serves); ``extra`` adds fields (``apiKey``, ``embeddingModel``...)."""
        return {
            "type": "openai-compatible",
            "baseUrl": self.base_url,
            "model": "gpt-scripted",
            "transcriptionModel": "whisper-1",
            "speechModel": "tts-1",
            **extra,
        }

    @property
    def azure_endpoint(self) -> str:
        """For ``openai.AzureOpenAI(azure_endpoint=...)`` and ``azure-openai`` keys."""
        return self.origin

    # ------------------------------------------------------------------------------------ the script

    def reply(self, *replies: Reply) -> ScriptedOpenAI:
        with self._lock:
            self._replies.extend(replies)
        return self

    def reply_text(
        self,
        text: str,
        *,
        chunks: int = 3,
        finish_reason: str = "stop",
        usage: tuple[int, int] | None = None,
        delay: float = 0.0,
        chunk_delay: float = 0.0,
        break_after: int | None = None,
    ) -> ScriptedOpenAI:
        return self.reply(
            TextReply(text, chunks, finish_reason, usage, delay, chunk_delay, break_after=break_after)
        )

    def reply_tool_calls(
        self,
        calls: Sequence[ToolCall | Mapping[str, Any]],
        *,
        text: str | None = None,
        fragments: int = 3,
        interleave: bool = False,
        usage: tuple[int, int] | None = None,
        delay: float = 0.0,
        chunk_delay: float = 0.0,
    ) -> ScriptedOpenAI:
        """``calls``: ``ToolCall``s or dicts ``{"name", "arguments", "id"?}``."""
        scripted = tuple(
            call
            if isinstance(call, ToolCall)
            else ToolCall(call["name"], call.get("arguments", {}), call.get("id"))
            for call in calls
        )
        return self.reply(
            ToolCallsReply(
                scripted,
                text=text,
                fragments=fragments,
                interleave=interleave,
                usage=usage,
                delay=delay,
                chunk_delay=chunk_delay,
            )
        )

    def reply_error(
        self,
        status: int,
        *,
        message: str | None = None,
        code: str | None = None,
        body: Any = None,
        retry_after: float | str | None = None,
        retry_after_ms: int | None = None,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> ScriptedOpenAI:
        return self.reply(
            ErrorReply(status, message, code, body, retry_after, retry_after_ms, dict(headers or {}), delay)
        )

    def respond_with(self, responder: Callable[[RecordedRequest], Reply] | None) -> ScriptedOpenAI:
        """Answer requests the queue does not cover with ``responder(request)`` (None: stop)."""
        self._responder = responder
        return self

    def always_text(self, text: str, **options: Any) -> ScriptedOpenAI:
        return self.respond_with(lambda _request: TextReply(text, **options))

    def transcribe_as(self, text: str, *, delay: float = 0.0) -> ScriptedOpenAI:
        """Answer every transcription with ``text`` (after ``delay`` seconds)."""
        self._transcript = text
        self._transcription_delay = delay
        return self

    def speak_with(
        self, *, delay: float | Callable[[str], float] = 0.0, wav_unknown_size: bool = False
    ) -> ScriptedOpenAI:
        """Delay each speech answer by ``delay`` seconds (or ``delay(input)``); ``wav_unknown_size``
        answers WAVs with 0xFFFFFFFF sizes, as a streaming server does."""
        self._speech_delay = delay
        self._wav_unknown_size = wav_unknown_size
        return self

    def fail_audio(
        self,
        status: int,
        *,
        message: str | None = None,
        code: str | None = None,
        retry_after: float | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ScriptedOpenAI:
        """Answer the next audio request (transcription or speech) with this error (queued, in order)."""
        with self._lock:
            self._audio_errors.append(_status_error(status, message, code, retry_after, headers))
        return self

    def embed_with(
        self, embedder: Callable[[str, int], list[float]] | None = None, *, reverse: bool = False
    ) -> ScriptedOpenAI:
        """Answer embeddings with ``embedder(text, dimensions)`` (None: ``embedding_vector``);
        ``reverse`` lists the answer's items last index first."""
        self._embedder = embedder or embedding_vector
        self._embedding_reverse = reverse
        return self

    def fail_embeddings(
        self,
        status: int,
        *,
        message: str | None = None,
        code: str | None = None,
        retry_after: float | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ScriptedOpenAI:
        """Answer the next embeddings request with this error (queued, in order)."""
        with self._lock:
            self._embedding_errors.append(_status_error(status, message, code, retry_after, headers))
        return self

    @property
    def embedding_requests(self) -> list[EmbeddingRequest]:
        with self._lock:
            return list(self._embedding_requests)

    @property
    def transcriptions(self) -> list[TranscriptionRequest]:
        with self._lock:
            return list(self._transcriptions)

    @property
    def speeches(self) -> list[SpeechRequest]:
        with self._lock:
            return list(self._speeches)

    @property
    def pending(self) -> int:
        """Replies queued and not yet used (audio errors included)."""
        with self._lock:
            return len(self._replies) + len(self._audio_errors)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request so far, oldest first (chat completions and models alike)."""
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [request for request in self.requests if request.path.endswith("/chat/completions")]

    @property
    def last_request(self) -> RecordedRequest:
        requests = self.requests
        if not requests:
            raise AssertionError("the scripted OpenAI server has received no request")
        return requests[-1]

    def clear(self) -> None:
        with self._lock:
            self._replies.clear()
            self._requests.clear()
            self._audio_errors.clear()
            self._transcriptions.clear()
            self._speeches.clear()
            self._embedding_errors.clear()
            self._embedding_requests.clear()
        self._embedder = embedding_vector
        self._embedding_reverse = False
        self._responder = None
        self._transcript = DEFAULT_TRANSCRIPT
        self._transcription_delay = 0.0
        self._speech_delay = 0.0
        self._wav_unknown_size = False

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            requests = self.requests
            if len(requests) >= count:
                return requests
            time.sleep(0.005)
        raise AssertionError(f"expected {count} requests, got {len(self.requests)}")

    # ------------------------------------------------------------------------------------ handlers

    async def _record(self, request: web.Request) -> RecordedRequest:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers={key.lower(): value for key, value in request.headers.items()},
            body=body,
            received_at=time.monotonic(),
        )
        with self._lock:
            self._requests.append(recorded)
        return recorded

    def _refusal(self, recorded: RecordedRequest) -> web.Response | None:
        if self.api_key is not None:
            sent = recorded.headers.get("api-key") or recorded.headers.get("authorization", "").removeprefix(
                "Bearer "
            )
            if sent != self.api_key:
                shown = f"{sent[:3]}***{sent[-4:]}" if len(sent) > 8 else "***"
                return _error_response(
                    401,
                    {
                        "error": {
                            "message": f"Incorrect API key provided: {shown}. You can find your API key "
                            "at https://platform.openai.com/account/api-keys.",
                            "type": "invalid_request_error",
                            "param": None,
                            "code": "invalid_api_key",
                        }
                    },
                )
        if recorded.deployment is not None and "api-version" not in recorded.query:
            return _error_response(
                404, {"error": {"code": "404", "message": "Resource not found (no api-version)"}}
            )
        return None

    async def _models(self, request: web.Request) -> web.StreamResponse:
        recorded = await self._record(request)
        refusal = self._refusal(recorded)
        if refusal is not None:
            return refusal
        return web.json_response(
            {
                "object": "list",
                "data": [{"id": self.model, "object": "model", "created": 0, "owned_by": "test"}],
            }
        )

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        recorded = await self._record(request)
        refusal = self._refusal(recorded)
        if refusal is not None:
            return refusal
        reply = self._next_reply(recorded)
        if reply is None:
            return _error_response(
                400,
                {
                    "error": {
                        "message": "ScriptedOpenAI: no reply was scripted for this request",
                        "type": "test",
                    }
                },
            )
        if reply.delay:
            await self._pause(reply.delay)
        if isinstance(reply, ErrorReply):
            return self._error(reply)
        with self._lock:
            self._counter += 1
            completion_id = f"chatcmpl-{self._counter}"
        model = recorded.model or self.model
        if recorded.stream:
            return await self._stream(request, recorded, reply, completion_id, model)
        return web.json_response(self._completion(recorded, reply, completion_id, model))

    async def _transcription(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        fields, files = _parse_multipart(request.headers.get("Content-Type", ""), raw)
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers={key.lower(): value for key, value in request.headers.items()},
            body=dict(fields),
            received_at=time.monotonic(),
        )
        upload = files.get("file")
        with self._lock:
            self._requests.append(recorded)
            self._transcriptions.append(
                TranscriptionRequest(
                    path=request.path,
                    deployment=recorded.deployment,
                    fields=dict(fields),
                    filename=upload[0] if upload else None,
                    content_type=upload[1] if upload else None,
                    audio=upload[2] if upload else b"",
                )
            )
        refusal = self._refusal(recorded) or await self._audio_error()
        if refusal is not None:
            return refusal
        if upload is None or not fields.get("model"):
            return _error_response(
                400,
                {"error": {"message": "'file' and 'model' are required.", "type": "invalid_request_error"}},
            )
        if self._transcription_delay:
            await self._pause(self._transcription_delay)
        text = self._transcript
        response_format = fields.get("response_format", "json")
        if response_format == "text":
            return web.Response(text=text + "\n", content_type="text/plain")
        seconds = round(max(0, len(upload[2]) - 44) / 32_000, 3)
        if response_format == "json":
            return web.json_response({"text": text, "usage": {"type": "duration", "seconds": seconds}})
        if response_format == "verbose_json":
            return web.json_response(
                {
                    "task": "transcribe",
                    "language": "english",
                    "duration": seconds,
                    "text": text,
                    "segments": [],
                }
            )
        return _error_response(
            400, {"error": {"message": f"ScriptedOpenAI: no {response_format} transcripts", "type": "test"}}
        )

    async def _speech(self, request: web.Request) -> web.StreamResponse:
        recorded = await self._record(request)
        body = recorded.body if isinstance(recorded.body, dict) else {}
        speed = body.get("speed")
        with self._lock:
            self._speeches.append(
                SpeechRequest(
                    path=recorded.path,
                    deployment=recorded.deployment,
                    model=body.get("model"),
                    input=str(body.get("input", "")),
                    voice=body.get("voice"),
                    response_format=body.get("response_format"),
                    speed=float(speed) if isinstance(speed, int | float) else None,
                    received_at=recorded.received_at,
                )
            )
        refusal = self._refusal(recorded) or await self._audio_error()
        if refusal is not None:
            return refusal
        text, voice = body.get("input"), body.get("voice")
        if not isinstance(text, str) or not text or not body.get("model") or not voice:
            return _error_response(
                400,
                {
                    "error": {
                        "message": "'model', 'input' and 'voice' are required.",
                        "type": "invalid_request_error",
                    }
                },
            )
        delay = self._speech_delay(text) if callable(self._speech_delay) else self._speech_delay
        if delay:
            await self._pause(delay)
        pcm = speech_pcm(text, float(speed) if isinstance(speed, int | float) else 1.0)
        response_format = body.get("response_format", "mp3")
        if response_format == "pcm":
            return web.Response(body=pcm, content_type="audio/pcm")
        if response_format == "wav":
            return web.Response(
                body=pcm_as_wav(pcm, unknown_size=self._wav_unknown_size), content_type="audio/wav"
            )
        return _error_response(
            400,
            {
                "error": {
                    "message": f"ScriptedOpenAI: only pcm and wav, not {response_format}",
                    "type": "test",
                }
            },
        )

    async def _embeddings(self, request: web.Request) -> web.StreamResponse:
        recorded = await self._record(request)
        body = recorded.body if isinstance(recorded.body, dict) else {}
        raw_input = body.get("input")
        inputs = [raw_input] if isinstance(raw_input, str) else raw_input
        dimensions = body.get("dimensions")
        with self._lock:
            self._embedding_requests.append(
                EmbeddingRequest(
                    path=recorded.path,
                    deployment=recorded.deployment,
                    model=body.get("model"),
                    inputs=[str(item) for item in inputs] if isinstance(inputs, list) else [],
                    encoding_format=body.get("encoding_format"),
                    dimensions=dimensions if isinstance(dimensions, int) else None,
                )
            )
            error = self._embedding_errors.popleft() if self._embedding_errors else None
        refusal = self._refusal(recorded)
        if refusal is not None:
            return refusal
        if error is not None:
            if error.delay:
                await self._pause(error.delay)
            return self._error(error)
        if (
            not body.get("model")
            or not isinstance(inputs, list)
            or not inputs
            or not all(isinstance(item, str) and item for item in inputs)
        ):
            return _error_response(
                400,
                {
                    "error": {
                        "message": "'model' and 'input' (non-empty strings) are required.",
                        "type": "invalid_request_error",
                    }
                },
            )
        size = dimensions if isinstance(dimensions, int) and dimensions > 0 else EMBEDDING_DIMENSIONS
        encoding = body.get("encoding_format", "float")
        items: list[dict[str, Any]] = []
        for index, text in enumerate(inputs):
            vector = self._embedder(text, size)
            embedding: Any = vector
            if encoding == "base64":
                embedding = base64.b64encode(array.array("f", vector).tobytes()).decode()
            items.append({"object": "embedding", "index": index, "embedding": embedding})
        if self._embedding_reverse:
            items.reverse()
        tokens = sum(len(text.split()) for text in inputs)
        return web.json_response(
            {
                "object": "list",
                "data": items,
                "model": body.get("model"),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    async def _audio_error(self) -> web.Response | None:
        with self._lock:
            reply = self._audio_errors.popleft() if self._audio_errors else None
        if reply is None:
            return None
        if reply.delay:
            await self._pause(reply.delay)
        return self._error(reply)

    def _next_reply(self, recorded: RecordedRequest) -> Reply | None:
        with self._lock:
            if self._replies:
                return self._replies.popleft()
        return self._responder(recorded) if self._responder is not None else None

    async def _pause(self, seconds: float) -> None:
        stopping = self._stopping
        if stopping is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=seconds)

    def _error(self, reply: ErrorReply) -> web.Response:
        headers = dict(reply.headers)
        if reply.retry_after is not None:
            retry_after = reply.retry_after
            headers["Retry-After"] = retry_after if isinstance(retry_after, str) else f"{retry_after:g}"
        if reply.retry_after_ms is not None:
            headers["retry-after-ms"] = str(reply.retry_after_ms)
        body = reply.body
        if body is None:
            body = {
                "error": {
                    "message": reply.message or f"Scripted error {reply.status}",
                    "type": "invalid_request_error" if reply.status < 500 else "server_error",
                    "param": None,
                    "code": reply.code,
                }
            }
        return _error_response(reply.status, body, headers)

    # ------------------------------------------------------------------------------------ answers

    def _usage(
        self, recorded: RecordedRequest, reply: TextReply | ToolCallsReply, output: str
    ) -> dict[str, int]:
        if reply.usage is not None:
            prompt, completion = reply.usage
        else:
            prompt = sum(len(str(message.get("content") or "").split()) for message in recorded.messages)
            completion = len(output.split())
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def _completion(
        self, recorded: RecordedRequest, reply: TextReply | ToolCallsReply, completion_id: str, model: str
    ) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
        if isinstance(reply, TextReply):
            message["content"] = reply.text
            output = reply.text
        else:
            message["content"] = reply.text
            message["tool_calls"] = [
                {
                    "id": call.id or f"call_{completion_id.removeprefix('chatcmpl-')}_{index}",
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments_text},
                }
                for index, call in enumerate(reply.calls)
            ]
            output = (reply.text or "") + " ".join(call.arguments_text for call in reply.calls)
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {"index": 0, "message": message, "finish_reason": reply.finish_reason, "logprobs": None}
            ],
            "usage": self._usage(recorded, reply, output),
        }

    async def _stream(
        self,
        request: web.Request,
        recorded: RecordedRequest,
        reply: TextReply | ToolCallsReply,
        completion_id: str,
        model: str,
    ) -> web.StreamResponse:
        response = web.StreamResponse(
            status=200, headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        created = int(time.time())

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            return {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}],
            }

        async def send(payload: dict[str, Any] | str, pause: bool = True) -> None:
            data = payload if isinstance(payload, str) else json.dumps(payload)
            await response.write(f"data: {data}\n\n".encode())
            if pause and reply.chunk_delay:
                await self._pause(reply.chunk_delay)

        await send(chunk({"role": "assistant", "content": ""}), pause=False)
        text = reply.text or ""
        for sent, piece in enumerate(split_text(text, reply.chunks if isinstance(reply, TextReply) else 1)):
            if isinstance(reply, TextReply) and reply.break_after is not None and sent >= reply.break_after:
                _drop_connection(request)
                return response
            await send(chunk({"content": piece}))
        if isinstance(reply, TextReply) and reply.break_after is not None:
            _drop_connection(request)
            return response
        output = text
        if isinstance(reply, ToolCallsReply):
            for delta in self._tool_call_deltas(reply, completion_id):
                await send(chunk({"tool_calls": [delta]}))
            output += " ".join(call.arguments_text for call in reply.calls)
        await send(chunk({}, reply.finish_reason), pause=False)
        options = recorded.body.get("stream_options") if isinstance(recorded.body, dict) else None
        if isinstance(options, dict) and options.get("include_usage"):
            usage_chunk = chunk({})
            usage_chunk["choices"] = []
            usage_chunk["usage"] = self._usage(recorded, reply, output)
            await send(usage_chunk, pause=False)
        await send("[DONE]", pause=False)
        await response.write_eof()
        return response

    @staticmethod
    def _tool_call_deltas(reply: ToolCallsReply, completion_id: str) -> list[dict[str, Any]]:
        per_call: list[list[dict[str, Any]]] = []
        for index, call in enumerate(reply.calls):
            deltas: list[dict[str, Any]] = [
                {
                    "index": index,
                    "id": call.id or f"call_{completion_id.removeprefix('chatcmpl-')}_{index}",
                    "type": "function",
                    "function": {"name": call.name, "arguments": ""},
                }
            ]
            deltas += [
                {"index": index, "function": {"arguments": piece}}
                for piece in split_text(call.arguments_text, reply.fragments, on_spaces=False)
            ]
            per_call.append(deltas)
        if not reply.interleave:
            return [delta for deltas in per_call for delta in deltas]
        ordered: list[dict[str, Any]] = []
        for step in range(max((len(deltas) for deltas in per_call), default=0)):
            ordered += [deltas[step] for deltas in per_call if step < len(deltas)]
        return ordered


def split_text(text: str, parts: int, *, on_spaces: bool = True) -> list[str]:
    """``text`` in ``parts`` pieces (fewer when short), joined they give ``text`` back; cut after
    spaces when ``on_spaces`` and possible, else at even character positions."""
    if not text:
        return []
    parts = max(1, min(parts, len(text)))
    cuts: list[int] = []
    for part in range(1, parts):
        target = len(text) * part // parts
        cut = text.find(" ", target) + 1 if on_spaces else target
        if on_spaces and cut == 0:
            cut = target
        if cut > (cuts[-1] if cuts else 0) and cut < len(text):
            cuts.append(cut)
    bounds = [0, *cuts, len(text)]
    return [text[start:end] for start, end in pairwise(bounds) if text[start:end]]


def _parse_multipart(
    content_type: str, raw: bytes
) -> tuple[dict[str, str], dict[str, tuple[str | None, str | None, bytes]]]:
    """A ``multipart/form-data`` body: text fields, and files as ``(filename, content type, bytes)``."""
    fields: dict[str, str] = {}
    files: dict[str, tuple[str | None, str | None, bytes]] = {}
    boundary = ""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.lower() == "boundary":
            boundary = value.strip('"')
    if not boundary:
        return fields, files
    for part in raw.split(b"--" + boundary.encode())[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        disposition: dict[str, str] = {}
        part_type: str | None = None
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            if key.strip().lower() == "content-type":
                part_type = value.strip()
            elif key.strip().lower() == "content-disposition":
                for item in value.split(";")[1:]:
                    item_name, _, item_value = item.strip().partition("=")
                    disposition[item_name.lower()] = item_value.strip('"')
        field_name = disposition.get("name")
        if field_name is None:
            continue
        if "filename" in disposition:
            files[field_name] = (disposition["filename"], part_type, content)
        else:
            fields[field_name] = content.decode("utf-8", "replace")
    return fields, files


def _error_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response(body, status=status, headers=dict(headers or {}))


def _drop_connection(request: web.Request) -> None:
    """Cut the TCP connection mid-stream (no final chunk, no ``[DONE]``, no chunked terminator)."""
    transport = request.transport
    if transport is not None:
        transport.abort()


def _status_error(
    status: int,
    message: str | None,
    code: str | None,
    retry_after: float | str | None,
    headers: Mapping[str, str] | None,
) -> ErrorReply:
    """An error answer for the audio and embedding endpoints (no custom body, no retry-after-ms)."""
    return ErrorReply(status, message, code, None, retry_after, None, dict(headers or {}))
