"""The live session protocol, as published: the same on the WebSocket channel, the Web SDK and the phone.

Server events are ``{"event": NAME, "data": {...}}`` and client commands ``{"type": NAME, "data":
{...}}`` (pages: deploying-your-agent/messaging/server-events and .../client-commands; the
``Napster/omniagent-api-skills`` guides ``session-runtime`` and ``deploy-websocket``, which put the fields
of ``message_received`` under ``data.message``: where the two differ, the newer guides win).

Each command's ``data`` is a pydantic model, and so is each event's: the same models parse the frames,
build them, and generate the AsyncAPI document (``shared/sessions/asyncapi.py``). Events and commands
beyond the published ones are marked ``extension`` there and stay in the same envelope.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared import request_json
from shared.agents.models import TurnDetection

MAX_FRAME_BYTES = 64 * 1024
MAX_TEXT_CHARS = 8000


class BadCommand(ValueError):
    """A frame the session refuses with an ``error`` event; the session goes on."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class _Data(BaseModel):
    model_config = ConfigDict(extra="ignore")


# --- client commands ---------------------------------------------------------------------------------


class SendMessage(_Data):
    """Text from the user (as if typed) or a silent context update (``system``)."""

    role: Literal["user", "system"] = Field(description="`user`: typed input; `system`: context update.")
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, description="The message content.")
    trigger_response: bool = Field(
        default=True, description="Respond now (`true`) or absorb silently (`false`)."
    )
    delay: bool = Field(
        default=False, description="Wait until the agent has finished speaking instead of interrupting it."
    )


class SendAudio(_Data):
    """A piece of the microphone stream: any size, continuously, no end marker (the server detects turns)."""

    audio: str = Field(min_length=1, description="Base64 PCM16, 16 kHz, mono.")


class SendFunctionOutput(_Data):
    """The result of an implicit function call (``function_implicitly_called``)."""

    call_id: str = Field(min_length=1, max_length=200, description="The `call_id` of the call answered.")
    output: Any = Field(default=None, description="The result: a JSON object, or a JSON string of one.")
    delay: bool = Field(default=False, description="Wait until the agent has finished speaking.")


class SetSettings(_Data):
    """Change the session's settings; included fields replace the current values."""

    instructions: str | None = Field(
        default=None, min_length=1, max_length=20000, description="Replaces the system prompt."
    )
    temperature: float | None = Field(default=None, ge=0, le=2, description="The model's temperature.")
    turn_detection: TurnDetection | None = Field(default=None, description="Server turn detection.")


class EndSession(_Data):
    """Extension: end the session now (closing the socket does the same for a websocket session; a
    webrtc session waits for a new connection first, as long as its reconnect grace)."""


COMMANDS: dict[str, type[_Data]] = {
    "send_message": SendMessage,
    "send_audio": SendAudio,
    "send_function_output": SendFunctionOutput,
    "set_settings": SetSettings,
    "end_session": EndSession,
}
EXTENSION_COMMANDS = frozenset({"end_session"})


Command = SendMessage | SendAudio | SendFunctionOutput | SetSettings | EndSession


def parse_command(raw: bytes | str) -> Command:
    """One client frame as a command, or ``BadCommand`` naming what is wrong."""
    if isinstance(raw, str):
        raw = raw.encode()
    if len(raw) > MAX_FRAME_BYTES:
        raise BadCommand("FrameTooLarge", f"A frame may hold at most {MAX_FRAME_BYTES} bytes.")
    try:
        frame = request_json.loads(raw)  # the rules of every JSON body: no duplicate keys, bounded depth
    except request_json.InvalidJson as bad:
        raise BadCommand("InvalidJson", f"Frames are JSON text: {bad}") from None
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise BadCommand("InvalidCommand", 'A command is a JSON object {"type": NAME, "data": {...}}.')
    name = frame["type"]
    model = COMMANDS.get(name)
    if model is None:
        known = ", ".join(sorted(COMMANDS))
        raise BadCommand("UnknownCommand", f'Unknown command type "{name}" (known: {known}).')
    data = frame.get("data", {})
    if not isinstance(data, dict):
        raise BadCommand("InvalidCommand", f'"{name}" needs "data": a JSON object.')
    try:
        command = model.model_validate(data)
    except ValidationError as invalid:
        first = invalid.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "data"
        raise BadCommand("InvalidCommand", f'"{name}": data.{where}: {first["msg"]}.') from None
    if loose := request_json.loose_booleans(command, data):
        not_boolean = f'"{name}": data.{loose[0]}: must be a JSON boolean (true or false).'
        raise BadCommand("InvalidCommand", not_boolean)
    assert isinstance(command, SendMessage | SendAudio | SendFunctionOutput | SetSettings | EndSession)
    return command


# --- server events -----------------------------------------------------------------------------------


class AvatarState(_Data):
    state: Literal["preparing", "ready"]


class TalkState(_Data):
    state: Literal["preparing", "started", "ended"]


MessageAction = Literal["delta", "completed", "cancelled", "failed"]


class ConversationItem(_Data):
    """A conversation event: ``type: session`` marks the session's start (no role or content)."""

    type: Literal["message", "session"] = "message"
    role: Literal["user", "assistant"] | None = None
    action: MessageAction | None = None
    content: str | None = None
    response_id: str | None = None
    item_id: str | None = None
    previous_item_id: str | None = None
    reason: str | None = None
    error: str | None = None
    timestamp: str | None = None
    session_id: str | None = Field(default=None, description="On the session marker.")
    citations: list[dict[str, Any]] | None = Field(
        default=None, description="Extension: the knowledge passages an assistant `completed` message cites."
    )


class MessageReceived(_Data):
    message: ConversationItem


class AudioReceived(_Data):
    audio: str = Field(description="Base64 PCM16, 16 kHz, mono.")
    response_id: str | None = None
    item_id: str | None = None


class SpeechStarted(_Data):
    """The user started speaking: a reply in progress is cancelled; flush playback."""


class FunctionImplicitlyCalled(_Data):
    call_id: str
    name: str
    arguments: dict[str, Any]


class FunctionCallTimeout(_Data):
    call_id: str
    name: str


class InactivityWarning(_Data):
    """Extension: the session ends after ``seconds_remaining`` unless the user does something."""

    seconds_remaining: int


class SessionEnded(_Data):
    """Extension: the session is over (the socket closes next)."""

    reason: str = Field(
        description="`client`, `inactivity`, `max_duration`, `billing`, `error` or `connection_lost` "
        "(a webrtc session's client did not reconnect within the grace)."
    )
    billed_minutes: int


class ReconnectKey(_Data):
    """Extension (`webrtc` sessions): the key this socket's holder reconnects with, a new one for every
    connection. Opening the token's URL with `&reconnect_key=<key>` takes the session's one socket
    even while the old one still looks open (and closes it); the token alone is refused (409) then."""

    key: str


class ErrorEvent(_Data):
    """Extension: a command was refused, or something failed; the session goes on unless it ends."""

    code: str
    message: str


EVENTS: dict[str, type[_Data]] = {
    "avatar_state_changed": AvatarState,
    "talk_state_changed": TalkState,
    "message_received": MessageReceived,
    "audio_received": AudioReceived,
    "speech_started": SpeechStarted,
    "function_implicitly_called": FunctionImplicitlyCalled,
    "function_call_timeout": FunctionCallTimeout,
    "ui_update": _Data,
    "inactivity_warning": InactivityWarning,
    "session_ended": SessionEnded,
    "reconnect_key": ReconnectKey,
    "error": ErrorEvent,
}
EXTENSION_EVENTS = frozenset({"inactivity_warning", "session_ended", "reconnect_key", "error"})


def event(name: str, data: BaseModel | dict[str, Any]) -> dict[str, Any]:
    body = data.model_dump(exclude_none=True) if isinstance(data, BaseModel) else data
    return {"event": name, "data": body}


def joined_deltas(first: dict[str, Any], then: dict[str, Any]) -> dict[str, Any] | None:
    """One ``delta`` event for two consecutive deltas of the same message (their texts joined, the
    first's timestamp), or None when they are not that. A delta is any piece of the message's text,
    so a client that concatenates deltas reads the same message either way."""
    pieces = []
    for frame in (first, then):
        item = (frame.get("data") or {}).get("message") if frame.get("event") == "message_received" else None
        if not isinstance(item, dict) or item.get("action") != "delta":
            return None
        if not isinstance(item.get("content"), str):
            return None
        pieces.append(item)
    same = ("role", "response_id", "item_id", "previous_item_id")
    if any(pieces[0].get(key) != pieces[1].get(key) for key in same):
        return None
    joined = {**pieces[0], "content": pieces[0]["content"] + pieces[1]["content"]}
    return {**first, "data": {**first["data"], "message": joined}}


def avatar_state(state: Literal["preparing", "ready"]) -> dict[str, Any]:
    return event("avatar_state_changed", AvatarState(state=state))


def talk_state(state: Literal["preparing", "started", "ended"]) -> dict[str, Any]:
    return event("talk_state_changed", TalkState(state=state))


def message(item: ConversationItem) -> dict[str, Any]:
    return event("message_received", MessageReceived(message=item))


def session_marker(session_id: str, timestamp: str) -> dict[str, Any]:
    return message(ConversationItem(type="session", session_id=session_id, timestamp=timestamp))


def audio(audio_base64: str, response_id: str | None = None, item_id: str | None = None) -> dict[str, Any]:
    return event(
        "audio_received", AudioReceived(audio=audio_base64, response_id=response_id, item_id=item_id)
    )


def speech_started() -> dict[str, Any]:
    return event("speech_started", {})


def function_called(call_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return event(
        "function_implicitly_called",
        FunctionImplicitlyCalled(call_id=call_id, name=name, arguments=arguments),
    )


def function_timeout(call_id: str, name: str) -> dict[str, Any]:
    return event("function_call_timeout", FunctionCallTimeout(call_id=call_id, name=name))


def ui_update(data: Any) -> dict[str, Any]:
    return {"event": "ui_update", "data": data}


def inactivity_warning(seconds_remaining: int) -> dict[str, Any]:
    return event("inactivity_warning", InactivityWarning(seconds_remaining=seconds_remaining))


def session_ended(reason: str, billed_minutes: int) -> dict[str, Any]:
    return event("session_ended", SessionEnded(reason=reason, billed_minutes=billed_minutes))


def reconnect_key(key: str) -> dict[str, Any]:
    return event("reconnect_key", ReconnectKey(key=key))


def error(code: str, message_text: str) -> dict[str, Any]:
    return event("error", ErrorEvent(code=code, message=message_text))
