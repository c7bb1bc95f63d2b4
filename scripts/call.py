"""A terminal phone for the local stack: call a number bound to an agent, hear it as text, talk by typing.

    .venv/bin/python scripts/call.py +14445550100 [--from +15551230001] [--base-url http://localhost:7071]

The devhost's ACS stand-in is the phone network: the script places the call through its control API
(``/devhost/acs/calls``, behind the host's master key, read from ``DATADIR/host-keys.json``), prints
what the agent plays, and says each typed line when the agent listens (an empty line: the caller stays
silent). ``/hangup`` or Ctrl-D (end of input, once the agent has answered) hangs up; the agent hanging up
ends the script too.

``--wav FILE`` (repeatable) says what a WAV file says first, transcribed by a speech provider given as
a project key's ``provider`` JSON (``--provider``, default ``{"type": "hosted"}``, the platform's own,
which on the local stack has no speech); a typed ``/wav FILE`` does the same mid-call. With
``--audio-dir DIR`` that provider also speaks each line the agent plays into ``DIR/001.wav``, ``002.wav``...
(``--voice``, default ``alloy``: the provider's voice; ACS would speak the agent's Azure voice).

Exit status: 0 after a call, 1 when no call could be made (no devhost, no stand-in, an unbound number),
2 when a WAV cannot be transcribed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import queue
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import requests

if TYPE_CHECKING:
    from call_speech import Recorder

    from shared.models.speech import SpeechProvider

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT / ".devhost" / "durable"  # where `./dev up` keeps the devhost's state
ANSWER_TIMEOUT = 30  # seconds for the app to answer (or reject) the call
REPLY_TIMEOUT = 120  # seconds for the agent to listen again after a line
QUIET_S = 1.0  # a call listening with nothing new played for this long waits for the caller
FIRST_QUIET_S = 3.0  # the same before the first line: a greeting comes only once the session has started
POLL_S = 0.05
T = 10  # seconds per HTTP request


class CallFailed(Exception):
    """No call can go on: the message says why and what to do; ``status`` is the exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


class StandIn:
    """The ACS stand-in's control API on one devhost."""

    def __init__(self, base_url: str, data_dir: Path) -> None:
        self.base_url = base_url.rstrip("/")
        self._data_dir = data_dir
        try:  # the host's open ping first: no devhost is a clearer error than no keys
            requests.get(f"{self.base_url}/admin/host/ping", timeout=T)
        except requests.ConnectionError as error:
            raise CallFailed(self._not_running()) from error
        self._headers = {"x-functions-key": _master_key(data_dir)}

    def _not_running(self) -> str:
        base = self.base_url
        return f"No devhost answers at {base}: start the local stack with `./dev up` (or pass --base-url)."

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        url = f"{self.base_url}/devhost/acs/calls{path}"
        try:
            response = requests.request(method, url, json=body, headers=self._headers, timeout=T)
        except requests.ConnectionError as error:
            raise CallFailed(self._not_running()) from error
        if response.status_code == 401:
            raise CallFailed(
                f"The devhost at {self.base_url} refused the master key of {self._data_dir}: "
                "pass the --data-dir that devhost runs with."
            )
        if response.status_code == 404 and not path:
            raise CallFailed(
                f"The devhost at {self.base_url} has no ACS stand-in (it serves one unless "
                "ACS_CONNECTION_STRING names a real ACS resource)."
            )
        if response.status_code >= 400:
            raise CallFailed(f"The ACS stand-in answered {response.status_code}: {_message(response)}")
        return response

    def place(self, caller: str, callee: str) -> dict[str, Any]:
        return dict(self._request("POST", "", {"from": caller, "to": callee}).json())

    def call(self, call_id: str) -> dict[str, Any]:
        return dict(self._request("GET", f"/{call_id}").json())

    def say(self, call_id: str, text: str | None) -> None:
        if text is None:
            self._request("POST", f"/{call_id}/silence")
        else:
            self._request("POST", f"/{call_id}/say", {"text": text})

    def hang_up(self, call_id: str) -> None:
        self._request("POST", f"/{call_id}/hang-up")


class Phone:
    """One call: prints what the agent plays and says the caller's lines when the agent listens."""

    def __init__(self, stand_in: StandIn, call: dict[str, Any], recorder: Recorder | None = None) -> None:
        self.stand_in = stand_in
        self.recorder = recorder  # speaks what is played into WAV files (--audio-dir)
        self.id = str(call["id"])
        self.record = call
        self._printed = 0  # played sources printed
        self._transfers = 0  # transfer requests printed
        self._listened_at = 0  # recognitions when the last line was said: the next one hears the next line
        self._played_at = 0  # played sources when the last line was said
        self._changed = time.monotonic()
        self._seen: tuple[int, ...] = ()

    @property
    def ended(self) -> bool:
        return self.record["state"] in ("disconnected", "rejected")

    def refresh(self) -> None:
        self.record = self.stand_in.call(self.id)
        seen = (len(self.record["played"]), len(self.record["recognitions"]), len(self.record["events"]))
        if seen != self._seen:
            self._seen, self._changed = seen, time.monotonic()
        for source in self.record["played"][self._printed :]:
            print(_spoken(source), flush=True)
            if self.recorder is not None and source["kind"] == "text":
                self._record(str(source["text"]))
        self._printed = len(self.record["played"])
        for transfer in self.record["transferRequests"][self._transfers :]:
            print(f"[the agent transfers the call to {_who(transfer['targetParticipant'])}]", flush=True)
        self._transfers = len(self.record["transferRequests"])

    def _record(self, text: str) -> None:
        from call_speech import SpeechUnavailable

        assert self.recorder is not None
        try:
            self.recorder.speak(text)
        except SpeechUnavailable as error:
            print(f"[no more audio files: {error}]", flush=True)
            self.recorder = None

    def listening(self) -> bool:
        """The agent has had its say and listens: a recognition it asked for after the last line waits,
        and it has spoken since (or has been quiet a while: an agent that hears the caller first)."""
        recognitions = self.record["recognitions"]
        if self.ended or len(recognitions) <= self._listened_at or self.record["pendingUtterances"]:
            return False
        if recognitions[-1]["outcome"] != "queued":
            return False
        spoke = len(self.record["played"]) > self._played_at
        quiet = QUIET_S if self._listened_at else FIRST_QUIET_S
        return spoke or time.monotonic() - self._changed >= quiet

    def say(self, text: str | None) -> None:
        self._listened_at = len(self.record["recognitions"])
        self._played_at = len(self.record["played"])
        self.stand_in.say(self.id, text)


def run(args: argparse.Namespace) -> int:
    spoken = [transcribe(Path(path), args.provider) for path in args.wav]  # before dialling: may exit 2
    recorder = None
    if args.audio_dir:
        from call_speech import Recorder

        recorder = Recorder(speech(args.provider, "synthesize"), args.voice, Path(args.audio_dir))
    stand_in = StandIn(args.base_url, Path(args.data_dir))
    phone = Phone(stand_in, stand_in.place(args.caller, args.number), recorder)
    print(f"[calling {args.number} from {args.caller}]", flush=True)
    deadline = time.monotonic() + ANSWER_TIMEOUT
    while phone.record["state"] == "ringing":
        if time.monotonic() > deadline:
            stand_in.hang_up(phone.id)
            raise CallFailed(
                f"Nobody answered {args.number} within {ANSWER_TIMEOUT} s: is the devhost "
                "serving the app's acs_incoming_call function? (see its log)"
            )
        time.sleep(POLL_S)
        phone.refresh()
    if phone.record["state"] == "rejected":
        raise CallFailed(
            f"The call to {args.number} was rejected: no agent takes calls to that number. Bind it to "
            f"an agent: curl -X PUT {stand_in.base_url}/public/agents/$AGENT/channels/sip "
            f"-H \"X-Api-Key: $KEY\" -H 'Content-Type: application/json' "
            f'-d \'{{"phoneNumbers": ["{args.number}"]}}\' '
            "(or the agent's key or organization cannot open a session: see the devhost's log)."
        )
    print(f"[connected: call {phone.id}]", flush=True)
    lines: queue.Queue[str | None] = queue.Queue()
    for text in spoken:
        lines.put(text)
    threading.Thread(target=_read_lines, args=(lines,), daemon=True).start()
    try:
        return converse(phone, lines, args.provider)
    except KeyboardInterrupt:
        hang_up(phone)
        return 130


def converse(phone: Phone, lines: queue.Queue[str | None], provider: str) -> int:
    """Until a hang-up: the caller's lines ("": silence; None: end of input), one per turn of the agent."""
    line: str | None = None  # the next line to say, once typed
    input_ended = False
    said_at = time.monotonic()
    while True:
        phone.refresh()
        if phone.ended:
            print("[the call ended]", flush=True)
            return 0
        if line is None and not input_ended:
            with contextlib.suppress(queue.Empty):
                line = lines.get_nowait()
                input_ended = line is None
        if line is not None and line.strip() == "/hangup":
            hang_up(phone)
            return 0
        if input_ended and phone.listening():  # the agent answered the last line
            hang_up(phone)
            return 0
        if input_ended and time.monotonic() - said_at > REPLY_TIMEOUT:
            print(f"[the agent did not listen again within {REPLY_TIMEOUT} s]", flush=True)
            hang_up(phone)
            return 0
        if line is not None and phone.listening():
            text = line
            line = None
            if text.startswith("/wav "):
                try:
                    text = transcribe(Path(text.removeprefix("/wav ").strip()), provider)
                except CallFailed as error:
                    print(f"[{error}]", flush=True)
                    continue
            phone.say(text if text.strip() else None)
            said_at = time.monotonic()
        time.sleep(POLL_S)


def speech(provider_json: str, need: Literal["transcribe", "synthesize"]) -> SpeechProvider:
    """The speech of the provider ``provider_json`` names (a key's provider); exit 2 when it cannot."""
    from call_speech import SpeechUnavailable, speech_of  # the platform's speech code, only when asked

    try:
        return speech_of(provider_json, need)
    except SpeechUnavailable as error:
        raise CallFailed(str(error), 2) from error


def transcribe(path: Path, provider_json: str) -> str:
    """What the WAV at ``path`` says, heard by the provider of ``provider_json`` (a key's provider)."""
    from call_speech import SpeechUnavailable
    from call_speech import transcribe as heard

    try:
        text = heard(speech(provider_json, "transcribe"), path)
    except SpeechUnavailable as error:
        raise CallFailed(str(error), 2) from error
    print(f"[{path.name}: {text}]", flush=True)
    return text


def hang_up(phone: Phone) -> None:
    try:
        phone.stand_in.hang_up(phone.id)
    except CallFailed:  # 409: the agent hung up first
        print("[the call ended]", flush=True)
        return
    print("[hung up]", flush=True)


def _read_lines(lines: queue.Queue[str | None]) -> None:
    for line in sys.stdin:
        lines.put(line.removesuffix("\n"))
    lines.put(None)


def _master_key(data_dir: Path) -> str:
    path = data_dir / "host-keys.json"
    try:
        return str(json.loads(path.read_text())["masterKey"]["value"])
    except FileNotFoundError as error:
        raise CallFailed(
            f"No host keys at {path}: start the local stack with `./dev up`, or pass the "
            "--data-dir of the devhost to call."
        ) from error
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CallFailed(f"{path} is not a devhost's host keys file ({error!r}).") from error


def _spoken(source: dict[str, Any]) -> str:
    if source["kind"] == "text":
        return str(source["text"])
    if source["kind"] == "ssml":
        return f"[ssml] {source['ssmlText']}"
    return f"[audio file {source['url']}]"


def _who(identifier: dict[str, Any]) -> str:
    return str((identifier.get("phoneNumber") or {}).get("value") or identifier.get("rawId") or identifier)


def _message(response: requests.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text or response.reason


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("number", help="the number to call, bound to an agent (E.164: +14445550100)")
    parser.add_argument(
        "--from", dest="caller", default="+15551230001", help="the caller's number (+15551230001)"
    )
    parser.add_argument("--base-url", default="http://localhost:7071", help="the devhost")
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR), help="the devhost's state (host keys)")
    parser.add_argument("--wav", action="append", default=[], help="a WAV file said first (repeatable)")
    parser.add_argument("--provider", default='{"type": "hosted"}', help="the speech provider, as a key's")
    parser.add_argument("--audio-dir", help="speak what the agent plays into DIR/001.wav... (--provider)")
    parser.add_argument("--voice", default="alloy", help="the provider's voice for --audio-dir (alloy)")
    args = parser.parse_args(argv)
    try:
        return run(args)
    except CallFailed as error:
        print(f"call.py: {error}", file=sys.stderr)
        return error.status
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
