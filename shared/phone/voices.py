"""The Azure neural voice a phone call speaks with, from the agent's ``voiceId``.

On the phone ACS speaks the reply (a ``TextSource``) through Azure AI Speech, whose voices are not
OpenAI's. Each OpenAI voice maps to an Azure multilingual neural voice of a like character (our
choice: Azure publishes no mapping); a voice id that is already an Azure voice name
(``xx-XX-...Neural``) is used as it is. Plain data, no I/O.
"""

from __future__ import annotations

import re

DEFAULT_PHONE_VOICE = "en-US-AvaMultilingualNeural"

_AZURE_VOICE = re.compile(r"^[a-z]{2,3}-[A-Z]{2}-[A-Za-z0-9]+Neural$")

# OpenAI voice id -> Azure multilingual neural voice (female-sounding ones to Ava / Emma, male-sounding
# ones to Andrew / Brian).
PHONE_VOICES: dict[str, str] = {
    "alloy": "en-US-AvaMultilingualNeural",
    "ash": "en-US-AndrewMultilingualNeural",
    "ballad": "en-US-BrianMultilingualNeural",
    "coral": "en-US-EmmaMultilingualNeural",
    "echo": "en-US-AndrewMultilingualNeural",
    "sage": "en-US-EmmaMultilingualNeural",
    "shimmer": "en-US-EmmaMultilingualNeural",
    "verse": "en-US-BrianMultilingualNeural",
    "marin": "en-US-AvaMultilingualNeural",
    "cedar": "en-US-BrianMultilingualNeural",
    "fable": "en-US-BrianMultilingualNeural",
    "onyx": "en-US-AndrewMultilingualNeural",
    "nova": "en-US-AvaMultilingualNeural",
}


def phone_voice(voice_id: str | None) -> str:
    """The Azure voice name ACS speaks ``voice_id`` with (the default for an unknown or empty id)."""
    if voice_id and _AZURE_VOICE.match(voice_id):
        return voice_id
    return PHONE_VOICES.get(voice_id or "", DEFAULT_PHONE_VOICE)
