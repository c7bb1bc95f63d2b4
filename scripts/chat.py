"""Talk to an agent from a terminal, over the WebSocket channel, as any client app would.

    .venv/bin/python scripts/chat.py --key "$KEY" --agent "$AGENT" [--base-url http://localhost:7071]

Type a line and press Enter; the agent's answer streams in. Ctrl-D (end of input) ends the session.

It uses nothing but the connection answer (its base64 token holds the WebSocket URL) and the
published session protocol: events ``{"event", "data"}`` in, commands ``{"type", "data"}`` out
(``send_message``, and the ``end_session`` extension at the end).
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import threading
import time
from typing import Any

import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

READY_TIMEOUT = 30  # seconds to wait for the session to be ready
REPLY_TIMEOUT = 120  # seconds to wait for the answer to a line before sending the next one
END_TIMEOUT = 10  # seconds to wait for `session_ended` after `end_session`


class Conversation:
    """What the reader thread saw, for the main thread: the session is ready, a line was answered,
    the session is over."""

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.answered = threading.Event()
        self.done = threading.Event()
        self._heard_user = False  # the user's line was echoed: the next assistant end answers it
        self._streamed: set[str] = set()  # replies whose deltas were printed

    def read(self, ws: ClientConnection) -> None:
        try:
            for raw in ws:
                event = json.loads(raw)
                self.on_event(str(event.get("event")), event.get("data") or {})
                if self.done.is_set():
                    break
        except ConnectionClosed:
            pass
        finally:
            self.done.set()
            self.ready.set()
            self.answered.set()

    def on_event(self, name: str, data: dict[str, Any]) -> None:
        if name == "avatar_state_changed" and data.get("state") == "ready":
            self.ready.set()
        elif name == "message_received":
            self.on_message(data.get("message") or {})
        elif name == "function_implicitly_called":
            arguments = json.dumps(data.get("arguments"))
            print(f"[tool call {data.get('name')}({arguments}): this client does not answer tools]")
        elif name == "function_call_timeout":
            print(f"[tool call {data.get('name')} timed out]")
        elif name == "inactivity_warning":
            print(f"[the session ends in {data.get('seconds_remaining')} s without a message]")
        elif name == "session_ended":
            print(f"[session ended: {data.get('reason')}, {data.get('billed_minutes')} minute(s)]")
            self.done.set()
        elif name == "error":
            print(f"[error {data.get('code')}: {data.get('message')}]")
        # talk_state_changed, audio_received, speech_started: speech, which a text client ignores

    def on_message(self, message: dict[str, Any]) -> None:
        if message.get("type") == "session":
            print(f"[session {message.get('session_id')} started]")
            return
        action = message.get("action")
        if message.get("role") == "user":
            if action == "completed":
                self._heard_user = True
            return
        response = str(message.get("response_id"))
        if action == "delta":
            self._streamed.add(response)
            print(message.get("content") or "", end="", flush=True)
            return
        if action == "completed":
            if response not in self._streamed:  # a reply that came whole, without deltas
                print(message.get("content") or "", end="")
            print()
            for citation in message.get("citations") or []:
                print(f"  [{citation.get('index')}] {citation.get('title')}")
        elif action == "cancelled":
            print(f" [interrupted: {message.get('reason')}]")
        elif action == "failed":
            print(f"[the reply failed: {message.get('error')}]")
        else:
            return
        self._streamed.discard(response)
        if self._heard_user:
            self._heard_user = False
            self.answered.set()


def _connect(base_url: str, agent: str, key: str) -> requests.Response:
    return requests.post(
        f"{base_url}/public/agents/{agent}/connections",
        json={"channelType": "websocket"},
        headers={"X-Api-Key": key},
        timeout=30,
    )


def _command(ws: ClientConnection, name: str, **data: Any) -> None:
    ws.send(json.dumps({"type": name, "data": data}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--key", required=True, help="a project API key (X-Api-Key)")
    parser.add_argument("--agent", required=True, help="the agent id")
    parser.add_argument("--base-url", default="http://localhost:7071")
    args = parser.parse_args()

    answer = _connect(args.base_url, args.agent, args.key)
    if answer.status_code == 429:  # one new connection per 5 s per key: wait as told, once
        pause = float(answer.headers.get("Retry-After", "5"))
        print(f"[the key opened a connection moments ago; waiting {pause:g} s]", file=sys.stderr)
        time.sleep(pause)
        answer = _connect(args.base_url, args.agent, args.key)
    if answer.status_code != 201:
        print(f"The platform refused the connection ({answer.status_code}): {answer.text}", file=sys.stderr)
        return 1
    token = json.loads(base64.b64decode(answer.json()["token"]))
    conversation = Conversation()
    with connect(token["url"]) as ws:
        threading.Thread(target=conversation.read, args=(ws,), daemon=True).start()
        if not conversation.ready.wait(READY_TIMEOUT):
            print("[the session did not get ready]", file=sys.stderr)
            return 1
        for line in sys.stdin:
            if conversation.done.is_set():
                break
            if not line.strip():
                continue
            conversation.answered.clear()
            # delay: a line typed while the agent speaks (its greeting, say) waits for it to finish
            _command(ws, "send_message", role="user", text=line.strip(), delay=True)
            conversation.answered.wait(REPLY_TIMEOUT)
        if not conversation.done.is_set():
            _command(ws, "end_session")
            conversation.done.wait(END_TIMEOUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
