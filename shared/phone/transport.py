"""The phone transport: a sip session's events rendered onto its call through ACS Call Automation.

Where a WebSocket session's frames go to its client (``SessionConnection``), a sip session's go here
(``shared/transports.py`` picks by the session's channel). Of the published events only what a caller
can hear matters: each completed assistant message (the greeting, every reply) and the inactivity
warning are spoken as a ``TextSource`` (no media passes through the app) in the voice the agent's
``voiceId`` maps to, as the prompt of a speech recognition of the caller's answer: the end of their
turn after the agent's end-of-speech silence, barge-in (``interrupt_prompt``: the caller speaking stops
the prompt). A new reply replaces a recognition still listening (``interrupt_call_media_operation``).
Everything else (deltas, talk states, the session marker) is dropped before any read, so a model
round's stream costs one call-state read per spoken line only. Closing says goodbye; the callback
trigger hangs up when the goodbye has played.
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
from shared.phone.calls import PHONE_CALLS_TABLE, PhoneCall, PhoneCalls
from shared.platform import Platform
from shared.settings import SettingsError

log = logging.getLogger("omniagent.phone")

TURN_CONTEXT = "turn"  # operationContext of a spoken line that listens for the caller's answer
LISTEN_CONTEXT = "listen"  # listening again after a silence, nothing spoken
GOODBYE_CONTEXT = "goodbye"  # the last line: the call is hung up when it has played
GOODBYE = "Thank you for calling. Goodbye."


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
        self.calls = PhoneCalls(platform.repository(PHONE_CALLS_TABLE, PhoneCall))

    @cached_property
    def client(self) -> CallAutomationClient:
        connection_string = self._platform.settings.acs.connection_string
        if not connection_string:
            raise SettingsError("ACS_CONNECTION_STRING is not set: the phone channel needs ACS.")
        return call_automation_client(connection_string)

    def send(self, session_id: str, frames: list[dict[str, Any]]) -> None:
        lines = [line for line in map(spoken_line, frames) if line]
        if not lines:
            return
        call = self.calls.find(session_id)
        if call is None or call.state != "connected":
            return  # not yet connected (nothing to say it to), or over
        for line in lines:
            self.speak_and_listen(call, line)

    def speak_and_listen(self, call: PhoneCall, line: str | None) -> None:
        """Say ``line`` (None: say nothing) and hear the caller's answer, with barge-in."""
        prompt = TextSource(text=line, voice_name=call.voice_name) if line else None
        try:
            self._connection(call).start_recognizing_media(
                input_type=RecognizeInputType.SPEECH,
                target_participant=PhoneNumberIdentifier(call.caller),
                play_prompt=prompt,
                interrupt_prompt=True,
                interrupt_call_media_operation=True,
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
