"""Play and recognize, as Call Automation runs them: one media operation at a time, in order.

A play records its sources (text and voice, SSML, file URL) and completes at once, or, for a call placed
with ``playback: "held"``, when the control API says the playback finished: that is how a test keeps a
prompt playing to barge into. ``interruptCallMediaOperation`` cancels what plays or waits (``PlayCanceled``
/ ``RecognizeCanceled``) and runs first. A recognize plays its prompts, then listens: the caller's next
utterance (said before or after) becomes ``RecognizeCompleted`` with ``speechResult``; a silence, or
nothing said within ``initialSilenceTimeoutInSeconds`` (default 5, as published), ``RecognizeFailed``
8510. With ``interruptPrompt`` the caller speaking during the prompt stops it (barge-in).
"""

from __future__ import annotations

import asyncio
from typing import Any

from . import events
from .calls import Call, CallError, Emit, MediaOperation, PlayedSource

DEFAULT_INITIAL_SILENCE_S = 5.0
SPEECH_INPUTS = frozenset({"speech", "speechordtmf"})


def _sources(raw: Any, via: str, operation_context: str | None) -> list[PlayedSource]:
    if not isinstance(raw, list) or not raw:
        raise CallError(400, "BadRequest", "At least one play source is required.")
    sources = []
    for item in raw:
        if not isinstance(item, dict):
            raise CallError(400, "BadRequest", "A play source must be an object.")
        kind = str(item.get("kind") or "").lower()
        if kind == "text":
            text = (item.get("text") or {}).get("text") if isinstance(item.get("text"), dict) else None
            if not isinstance(text, str) or not text.strip():
                raise CallError(400, "BadRequest", "A text source needs text.")
            detail = item["text"]
            sources.append(
                PlayedSource(
                    kind="text",
                    via=via,
                    operation_context=operation_context,
                    text=text,
                    voice_name=detail.get("voiceName"),
                    source_locale=detail.get("sourceLocale"),
                    voice_kind=detail.get("voiceKind"),
                )
            )
        elif kind == "ssml":
            ssml = (item.get("ssml") or {}).get("ssmlText") if isinstance(item.get("ssml"), dict) else None
            if not isinstance(ssml, str) or not ssml.strip():
                raise CallError(400, "BadRequest", "An SSML source needs ssmlText.")
            sources.append(
                PlayedSource(kind="ssml", via=via, operation_context=operation_context, ssml_text=ssml)
            )
        elif kind == "file":
            url = (item.get("file") or {}).get("uri") if isinstance(item.get("file"), dict) else None
            if not isinstance(url, str) or not url:
                raise CallError(400, "BadRequest", "A file source needs a uri.")
            sources.append(PlayedSource(kind="file", via=via, operation_context=operation_context, url=url))
        else:
            raise CallError(400, "BadRequest", f"Unknown play source kind {item.get('kind')!r}.")
    return sources


def _context_fields(operation: MediaOperation) -> dict[str, Any]:
    return {"operationContext": operation.operation_context} if operation.operation_context else {}


class MediaEngine:
    def __init__(self, emit: Emit) -> None:
        self._emit = emit

    # -- the REST actions ----------------------------------------------------------------------

    def play(self, call: Call, body: dict[str, Any]) -> None:
        if body.get("playTo"):
            raise CallError(400, "BadRequest", "The stand-in plays to everyone in the call only (playTo []).")
        context = body.get("operationContext") if isinstance(body.get("operationContext"), str) else None
        operation = MediaOperation(
            kind="play",
            operation_context=context,
            callback_url=body.get("operationCallbackUri") or None,
            sources=_sources(body.get("playSources"), "play", context),
        )
        self._enqueue(call, operation, bool(body.get("interruptCallMediaOperation")))

    def recognize(self, call: Call, body: dict[str, Any]) -> None:
        input_type = str(body.get("recognizeInputType") or "").lower()
        if input_type not in SPEECH_INPUTS:
            raise CallError(400, "BadRequest", "The stand-in recognizes speech only (recognizeInputType).")
        options = body.get("recognizeOptions")
        if not isinstance(options, dict) or not options.get("targetParticipant"):
            raise CallError(400, "BadRequest", "recognizeOptions.targetParticipant is required.")
        context = body.get("operationContext") if isinstance(body.get("operationContext"), str) else None
        prompts = body.get("playPrompts") or ([body["playPrompt"]] if body.get("playPrompt") else [])
        speech_options = options.get("speechOptions")
        speech: dict[str, Any] = speech_options if isinstance(speech_options, dict) else {}
        recorded = {
            "recognizeInputType": input_type,
            "operationContext": context,
            "interruptPrompt": bool(options.get("interruptPrompt")),
            "interruptCallMediaOperation": bool(body.get("interruptCallMediaOperation")),
            "initialSilenceTimeoutInSeconds": options.get("initialSilenceTimeoutInSeconds"),
            "endSilenceTimeoutInMs": speech.get("endSilenceTimeoutInMs"),
            "speechLanguage": options.get("speechLanguage"),
            "targetParticipant": options.get("targetParticipant"),
            "outcome": "queued",
        }
        operation = MediaOperation(
            kind="recognize",
            operation_context=context,
            callback_url=body.get("operationCallbackUri") or None,
            sources=_sources(prompts, "recognizePrompt", context) if prompts else [],
            options=recorded,
        )
        call.recognitions.append(recorded)
        self._enqueue(call, operation, bool(body.get("interruptCallMediaOperation")))

    def cancel_all(self, call: Call) -> None:
        self._cancel(call, list(call.media))
        call.media.clear()

    # -- the caller (control API) --------------------------------------------------------------

    def say(self, call: Call, text: str | None) -> None:
        """The caller says ``text`` (None: stays silent): the next recognition's result."""
        call.utterances.append(text)
        self._advance(call)

    def finish_playback(self, call: Call) -> bool:
        """A held playback (a play or a recognize's prompts) is heard to its end."""
        if not call.media or call.media[0].phase != "playing":
            return False
        self._played_through(call, call.media[0])
        self._advance(call)
        return True

    def stop(self, call: Call) -> None:
        """The call ended: nothing more plays or listens (and no media events follow)."""
        for operation in call.media:
            if operation.timer is not None:
                operation.timer.cancel()
        call.media.clear()

    # -- running the queue ---------------------------------------------------------------------

    def _enqueue(self, call: Call, operation: MediaOperation, interrupt: bool) -> None:
        if interrupt:
            self.cancel_all(call)
        call.media.append(operation)
        self._advance(call)

    def _cancel(self, call: Call, operations: list[MediaOperation]) -> None:
        for operation in operations:
            if operation.timer is not None:
                operation.timer.cancel()
            for source in operation.sources:
                if source.outcome in ("queued", "playing"):
                    source.outcome = "canceled"
            event = "PlayCanceled" if operation.kind == "play" else "RecognizeCanceled"
            if operation.kind == "recognize":
                operation.options["outcome"] = "canceled"
            self._send(call, operation, event, events.CANCELED)

    def _advance(self, call: Call) -> None:
        while call.media and call.live:
            operation = call.media[0]
            if operation.phase == "queued":
                self._start(call, operation)
                continue
            if operation.phase == "playing":
                barge_in = operation.kind == "recognize" and operation.options["interruptPrompt"]
                if barge_in and self._speech_waiting(call):
                    for source in operation.sources:
                        source.outcome = "interrupted"
                    operation.phase = "listening"
                    continue
                return
            # listening
            if not call.utterances:
                if operation.timer is None:
                    operation.timer = asyncio.get_running_loop().call_later(
                        self._initial_silence(operation), self._silence_timed_out, call, operation
                    )
                return
            self._recognized(call, operation, call.utterances.popleft())

    def _start(self, call: Call, operation: MediaOperation) -> None:
        for source in operation.sources:
            call.played.append(source)
            if source.kind == "text" and not (source.voice_name or source.source_locale):
                source.outcome = "failed"
                call.media.popleft()
                failed = "PlayFailed" if operation.kind == "play" else "RecognizeFailed"
                if operation.kind == "recognize":
                    operation.options["outcome"] = "failed"
                self._send(call, operation, failed, events.NO_VOICE)
                return
        if operation.sources and call.playback == "held":
            for source in operation.sources:
                source.outcome = "playing"
            operation.phase = "playing"
            return
        self._played_through(call, operation)

    def _played_through(self, call: Call, operation: MediaOperation) -> None:
        """The operation's sources were heard to the end: a play completes, a recognize listens."""
        for source in operation.sources:
            source.outcome = "completed"
        if operation.kind == "play":
            call.media.popleft()
            self._send(call, operation, "PlayCompleted", events.COMPLETED)
        else:
            operation.phase = "listening"

    def _speech_waiting(self, call: Call) -> bool:
        return bool(call.utterances) and call.utterances[0] is not None

    def _initial_silence(self, operation: MediaOperation) -> float:
        value = operation.options.get("initialSilenceTimeoutInSeconds")
        return float(value) if isinstance(value, int | float) and value > 0 else DEFAULT_INITIAL_SILENCE_S

    def _silence_timed_out(self, call: Call, operation: MediaOperation) -> None:
        operation.timer = None
        if call.media and call.media[0] is operation and operation.phase == "listening" and call.live:
            self._recognized(call, operation, None)
            self._advance(call)

    def _recognized(self, call: Call, operation: MediaOperation, speech: str | None) -> None:
        if operation.timer is not None:
            operation.timer.cancel()
            operation.timer = None
        call.media.popleft()
        if speech is None:
            operation.options["outcome"] = "silence"
            self._send(call, operation, "RecognizeFailed", events.INITIAL_SILENCE)
            return
        operation.options["outcome"] = "recognized"
        operation.options["speech"] = speech
        result = {"recognitionType": "speech", "speechResult": {"speech": speech, "confidence": 1.0}}
        self._send(call, operation, "RecognizeCompleted", events.SPEECH_RECOGNIZED, result)

    def _send(
        self,
        call: Call,
        operation: MediaOperation,
        event: str,
        result: dict[str, Any],
        extra: dict[str, Any] | None = None,
    ) -> None:
        fields = {**_context_fields(operation), "resultInformation": result, **(extra or {})}
        self._emit(call, event, fields, operation.callback_url)
