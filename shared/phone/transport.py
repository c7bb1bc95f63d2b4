"""The phone transport: a sip session's events rendered onto its call through ACS Call Automation.

Where a WebSocket session's frames go to its client (``SessionConnection``), a sip session's go here
(``shared/transports.py`` picks by the session's channel). Of the published events only what a caller
can hear matters: assistant messages (the greeting, every reply) and the inactivity warning, spoken as
``TextSource`` (no media passes through the app) in the voice the agent's ``voiceId`` maps to. A reply
is played sentence by sentence as the model streams it (``shared/phone/replies.py``); its last
sentence is the prompt of a speech recognition of the caller's answer: the end of their turn after the
agent's end-of-speech silence, barge-in (``interrupt_prompt``: the caller speaking stops the prompt).
A reply's first request replaces a recognition still listening (``interrupt_call_media_operation``);
the rest queue behind it. Other events (talk states, the session marker, the user's echo) are dropped,
and the call's state is read once per reply. Closing says goodbye; the callback trigger hangs up when
the goodbye has played.
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import Any

from azure.communication.callautomation import (
    CallAutomationClient,
    CallConnectionClient,
    PhoneNumberIdentifier,
    RecognizeInputType,
    TextSource,
)
from azure.core.exceptions import HttpResponseError

from shared.phone.acs_client import call_automation_client
from shared.phone.calls import (
    INCOMING_CALLS_TABLE,
    PHONE_CALLS_TABLE,
    IncomingCallTaken,
    PhoneCall,
    PhoneCalls,
)
from shared.phone.replies import StreamedReplies
from shared.platform import Platform
from shared.settings import SettingsError

log = logging.getLogger("omniagent.phone")

SENTENCE_CONTEXT = "sentence"  # a whole sentence of a reply still streaming
TURN_CONTEXT = "turn"  # operationContext of a spoken line that listens for the caller's answer
LISTEN_CONTEXT = "listen"  # listening again after a silence, nothing spoken
GOODBYE_CONTEXT = "goodbye"  # the last line: the call is hung up when it has played
GOODBYE = "Thank you for calling. Goodbye."


def _assistant_message(frame: dict[str, Any]) -> dict[str, Any] | None:
    if frame.get("event") != "message_received":
        return None
    message = (frame.get("data") or {}).get("message") or {}
    return message if message.get("role") == "assistant" else None


def spoken_line(frame: dict[str, Any]) -> str | None:
    """What the caller hears of one published event, or None."""
    data = frame.get("data") or {}
    if frame.get("event") == "message_received":
        message = data.get("message") or {}
        if message.get("role") == "assistant" and message.get("action") == "completed":
            return str(message.get("content") or "").strip() or None
    if frame.get("event") == "inactivity_warning":
        seconds = data.get("seconds_remaining")
        return f"Are you still there? I will end the call in {seconds} seconds if I don't hear from you."
    return None


class PhoneTransport:
    def __init__(self, platform: Platform) -> None:
        self._platform = platform
        self.calls = PhoneCalls(
            platform.repository(PHONE_CALLS_TABLE, PhoneCall),
            platform.repository(INCOMING_CALLS_TABLE, IncomingCallTaken),
        )
        self.replies = StreamedReplies()

    @cached_property
    def client(self) -> CallAutomationClient:
        connection_string = self._platform.settings.acs.connection_string
        if not connection_string:
            raise SettingsError("ACS_CONNECTION_STRING is not set: the phone channel needs ACS.")
        return call_automation_client(connection_string)

    def send(self, session_id: str, frames: list[dict[str, Any]]) -> None:
        for frame in frames:
            message = _assistant_message(frame)
            if message is not None and message.get("action") == "delta":
                self._stream(session_id, message)
            elif message is not None and message.get("action") == "completed":
                self._complete(session_id, message)
            elif line := spoken_line(frame):  # the inactivity warning
                call = self._live_call(session_id)
                if call is not None:
                    self.speak_and_listen(call, line)

    def _stream(self, session_id: str, message: dict[str, Any]) -> None:
        """Whole sentences of a streaming reply are played at once (the first replaces what listens)."""
        item_id = str(message.get("item_id") or "")
        reply = self.replies.get(session_id, item_id)
        played_before = reply.played
        sentences = self.replies.add(session_id, item_id, str(message.get("content") or ""))
        if not sentences:
            return
        if reply.call is None:
            reply.call = self._live_call(session_id) or False
        if reply.call:
            for index, sentence in enumerate(sentences):
                self._play(reply.call, sentence, interrupt=played_before + index == 0)

    def _complete(self, session_id: str, message: dict[str, Any]) -> None:
        content = str(message.get("content") or "").strip()
        end = self.replies.finish(session_id, str(message.get("item_id") or ""), content)
        if not content:
            return
        call = end.call if end.call is not None else self._live_call(session_id)
        if not call:
            return
        for index, sentence in enumerate(end.sentences):
            self._play(call, sentence, interrupt=end.played_before + index == 0)
        self.speak_and_listen(call, end.prompt, interrupt=end.played_before + len(end.sentences) == 0)

    def _live_call(self, session_id: str) -> PhoneCall | None:
        call = self.calls.find(session_id)
        return call if call is not None and call.state == "connected" else None

    def _play(self, call: PhoneCall, sentence: str, interrupt: bool) -> None:
        try:
            self._connection(call).play_media(
                TextSource(text=sentence, voice_name=call.voice_name),
                interrupt_call_media_operation=interrupt,
                operation_context=SENTENCE_CONTEXT,
            )
        except HttpResponseError as refused:
            log.info("call of session %s did not take a sentence: %s", call.id, refused.status_code)

    def speak_and_listen(self, call: PhoneCall, line: str | None, interrupt: bool = True) -> None:
        """Say ``line`` (None: say nothing) and hear the caller's answer, with barge-in; ``interrupt``
        replaces what plays or listens (False: after the sentences this reply already queued)."""
        prompt = TextSource(text=line, voice_name=call.voice_name) if line else None
        try:
            self._connection(call).start_recognizing_media(
                input_type=RecognizeInputType.SPEECH,
                target_participant=PhoneNumberIdentifier(call.caller),
                play_prompt=prompt,
                interrupt_prompt=True,
                interrupt_call_media_operation=interrupt,
                # The SDK types the seconds as int and sends them times 1000; 0.8 is 800 ms.
                end_silence_timeout=call.end_silence_ms / 1000,  # type: ignore[arg-type]
                operation_context=TURN_CONTEXT if line else LISTEN_CONTEXT,
            )
        except HttpResponseError as refused:  # the call went meanwhile: its CallDisconnected ends it
            log.info("call of session %s did not take a line: %s", call.id, refused.status_code)

    def close(self, session_id: str, reason: str) -> None:
        """The session ended: a goodbye, then (on its ``PlayCompleted``) the hang-up. A call the caller
        ended, or one already closing, is left as it is."""
        call = self.calls.find(session_id)
        if call is None or call.state in ("closing", "ended"):
            return
        call = self.calls.move(session_id, "closing")
        if call.call_connection_id is not None:
            self.say_goodbye(call, GOODBYE)

    def say_goodbye(self, call: PhoneCall, line: str) -> None:
        """The call's last line; its ``PlayCompleted`` hangs up (at once when it cannot play)."""
        try:
            self._connection(call).play_media(
                TextSource(text=line, voice_name=call.voice_name),
                interrupt_call_media_operation=True,
                operation_context=GOODBYE_CONTEXT,
            )
        except HttpResponseError:
            self.hang_up(call)

    def hang_up(self, call: PhoneCall) -> None:
        try:
            self._connection(call).hang_up(is_for_everyone=True)
        except HttpResponseError as refused:
            log.info("call of session %s was gone at hang-up: %s", call.id, refused.status_code)

    def _connection(self, call: PhoneCall) -> CallConnectionClient:
        assert call.call_connection_id is not None
        return self.client.get_call_connection(call.call_connection_id)
