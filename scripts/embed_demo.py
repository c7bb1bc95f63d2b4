"""Try the Web SDK on a page of your own: serves docs/samples/embed.html and the one backend route it
needs, which opens a webrtc connection with your API key (the key stays on the server, as it must).

    .venv/bin/python scripts/embed_demo.py --key "$KEY" --agent "$AGENT" [--base-url http://localhost:7071]

then open http://localhost:8080 (allow the microphone, or type with ``agent.sendCommand`` in the
console). The page is another origin than the platform: loading the SDK from it uses the SDK's CORS.
"""

from __future__ import annotations

import argparse
import json
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

PAGE = Path(__file__).resolve().parent.parent / "docs" / "samples" / "embed.html"
PAGE_BASE_URL = "http://localhost:7071"  # what the sample page names; replaced by --base-url


def make_server(key: str, agent_id: str, base_url: str, port: int) -> ThreadingHTTPServer:
    base_url = base_url.rstrip("/")
    page = PAGE.read_text(encoding="utf-8").replace(PAGE_BASE_URL, base_url).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path not in ("/", "/index.html"):
                return self._answer(HTTPStatus.NOT_FOUND, b"Not found\n", "text/plain")
            self._answer(HTTPStatus.OK, page, "text/html; charset=utf-8")

        def do_POST(self) -> None:
            if self.path != "/omniagent-token":
                return self._answer(HTTPStatus.NOT_FOUND, b"Not found\n", "text/plain")
            opened = requests.post(
                f"{base_url}/public/agents/{agent_id}/connections",
                json={"channelType": "webrtc"},
                headers={"X-Api-Key": key},
                timeout=30,
            )
            # The platform's answer as it is: {token, connection} or its error body, never the key.
            self._answer(HTTPStatus(opened.status_code), opened.content, "application/json")

        def _answer(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: the page's console says what happens

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--key", required=True, help="a project API key (oa.…)")
    parser.add_argument("--agent", required=True, help="the agent id")
    parser.add_argument("--base-url", default=PAGE_BASE_URL, help="the platform (default %(default)s)")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    server = make_server(args.key, args.agent, args.base_url, args.port)
    print(json.dumps({"page": f"http://localhost:{args.port}"}))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
