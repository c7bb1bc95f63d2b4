"""Talk to an agent from a terminal, over the WebSocket channel, as any client app would.

    .venv/bin/python scripts/chat.py --key "$KEY" --agent "$AGENT" [--base-url http://localhost:7071]

Type a line and press Enter; the agent's answer streams in. Ctrl-D (end of input) ends the session.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import threading
import time

import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect


def _print_frames(ws: ClientConnection, done: threading.Event) -> None:
    try:
        for raw in ws:
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind == "session.started":
                print(
                    f"[session {frame['sessionId']} started]"
                    + (f" {frame['greeting']}" if frame.get("greeting") else "")
                )
            elif kind == "agent.message.delta":
                print(frame["text"], end="", flush=True)
            elif kind == "agent.message":
                print()
            elif kind == "tool.call":
                arguments = json.dumps(frame["arguments"])
                print(f"[tool call {frame['name']}({arguments}): this client does not answer tools]")
            elif kind == "session.inactivity_warning":
                print(f"[the session ends in {frame['secondsRemaining']} s without a message]")
            elif kind == "session.ended":
                print(f"[session ended: {frame['reason']}, {frame['billedMinutes']} minute(s)]")
                break
            elif kind == "error":
                print(f"[error {frame['code']}: {frame['message']}]")
    except ConnectionClosed:
        pass
    finally:
        done.set()


def _connect(base_url: str, agent: str, key: str) -> requests.Response:
    return requests.post(
        f"{base_url}/public/agents/{agent}/connections",
        json={"channelType": "websocket"},
        headers={"X-Api-Key": key},
        timeout=30,
    )


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
    with connect(token["url"]) as ws:
        done = threading.Event()
        threading.Thread(target=_print_frames, args=(ws, done), daemon=True).start()
        for line in sys.stdin:
            if done.is_set():
                break
            if line.strip():
                ws.send(json.dumps({"type": "user.message", "text": line.strip()}))
        if not done.is_set():
            ws.send(json.dumps({"type": "session.end"}))
            done.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
