"""The WebSocket session protocol: JSON text frames (``type`` first).

Client frames are the contract's (``user.message``, ``user.audio``, ``tool.result``, ``session.end``);
the published client commands are accepted as aliases (``send_message {role, text}``,
``send_audio {audio}`` and ``send_function_output {call_id, output}``). Audio is base64 PCM16, 16 kHz,
mono; ``final: true`` closes an utterance (the published protocol leaves that to the server). A frame
that is not one of these is a ``BadFrame``: the session answers an ``error`` frame and goes on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_FRAME_BYTES = 64 * 1024
MAX_TEXT_CHARS = 8000


class BadFrame(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class UserMessage:
    text: str


@dataclass(frozen=True)
class UserAudio:
    """A chunk of the user's speech (base64 PCM16, 16 kHz, mono); ``final`` closes the utterance."""

    audio: str
    final: bool = False


@dataclass(frozen=True)
class ToolResult:
    call_id: str
    result: Any
    is_error: bool = False


@dataclass(frozen=True)
class EndSession:
    pass


@dataclass(frozen=True)
class ClientConnected:
    """Not a frame: the channel's word that a client's connection is open (so it can be greeted)."""


ClientFrame = UserMessage | UserAudio | ToolResult | EndSession | ClientConnected


def parse_client_frame(raw: bytes | str) -> ClientFrame:
    if isinstance(raw, str):
        raw = raw.encode()
    if len(raw) > MAX_FRAME_BYTES:
        raise BadFrame("FrameTooLarge", f"A frame may hold at most {MAX_FRAME_BYTES} bytes.")
    try:
        frame = json.loads(raw)
    except ValueError:
        raise BadFrame("InvalidJson", "Frames are JSON text: this one is not valid JSON.") from None
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise BadFrame("InvalidFrame", 'A frame is a JSON object with a "type".')
    kind = frame["type"]
    if kind in ("user.message", "send_message"):
        text = frame.get("text")
        if not isinstance(text, str) or not text.strip():
            raise BadFrame("InvalidFrame", f'"{kind}" needs a non-empty "text".')
        if len(text) > MAX_TEXT_CHARS:
            raise BadFrame("TextTooLong", f"A message may hold at most {MAX_TEXT_CHARS} characters.")
        return UserMessage(text.strip())
    if kind in ("user.audio", "send_audio"):
        audio = frame.get("audio", "")
        if not isinstance(audio, str):
            raise BadFrame("InvalidFrame", f'"{kind}" needs "audio": base64 PCM16, 16 kHz, mono.')
        if not audio and not frame.get("final"):
            raise BadFrame(
                "InvalidFrame", f'"{kind}" needs "audio" (or "final": true to close the utterance).'
            )
        return UserAudio(audio, bool(frame.get("final", False)))
    if kind in ("tool.result", "send_function_output"):
        call_id = frame.get("callId", frame.get("call_id"))
        if not isinstance(call_id, str) or not call_id:
            raise BadFrame("InvalidFrame", f'"{kind}" needs the "callId" of the tool call it answers.')
        result = frame.get("result", frame.get("output"))
        return ToolResult(call_id, result, bool(frame.get("isError", False)))
    if kind in ("session.end", "end_session"):
        return EndSession()
    raise BadFrame("UnknownFrameType", f'Unknown frame type "{kind}".')


def session_started(
    session_id: str,
    agent_id: str | None,
    greeting: str | None,
    disclaimer: dict[str, Any],
    inactivity: dict[str, Any],
) -> dict[str, Any]:
    frame: dict[str, Any] = {
        "type": "session.started",
        "sessionId": session_id,
        "agentId": agent_id,
        "disclaimer": disclaimer,
        "inactivity": inactivity,
    }
    if greeting:
        frame["greeting"] = greeting
    return frame


def message_delta(turn_id: str, text: str) -> dict[str, Any]:
    return {"type": "agent.message.delta", "turnId": turn_id, "text": text}


def agent_message(turn_id: str, text: str, citations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"type": "agent.message", "turnId": turn_id, "text": text, "citations": citations or []}


def user_transcript(text: str) -> dict[str, Any]:
    return {"type": "user.transcript", "text": text}


def agent_audio(turn_id: str, audio_base64: str) -> dict[str, Any]:
    return {"type": "agent.audio", "turnId": turn_id, "audio": audio_base64, "format": "pcm16-16khz"}


def tool_call(call_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tool.call", "callId": call_id, "name": name, "arguments": arguments}


def inactivity_warning(seconds_remaining: int) -> dict[str, Any]:
    return {"type": "session.inactivity_warning", "secondsRemaining": seconds_remaining}


def session_ended(reason: str, billed_minutes: int) -> dict[str, Any]:
    return {"type": "session.ended", "reason": reason, "billedMinutes": billed_minutes}


def error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}
