"""Pages that use only the Web SDK, for the browser tests: a loopback web server on another origin than
the platform (so loading ``/sdk/v1/omniagent.js`` proves its CORS) serving a test page per session and
the companion's images (with CORS, as Blob storage and the app answer them), and the helpers that open
a webrtc connection, load a page in Chromium and read what the SDK reported.

A page records every ``onData`` event in ``window.omniagentEvents``, counts ``onAvatarReady`` calls in
``window.avatarReadyCount`` and keeps the instance in ``window.agent`` (``window.initError`` on failure).
"""

from __future__ import annotations

import base64
import json
import struct
import time
import weakref
import zlib
from collections.abc import Callable
from typing import Any

import requests
from aiohttp import web
from playwright.sync_api import Browser, Page

from tests.e2e.session_client import token_of
from tests.fakes.loopback import LoopbackServer

T = 30
_PAGE_ERRORS: weakref.WeakKeyDictionary[Page, list[str]] = weakref.WeakKeyDictionary()
PAGE_BACKGROUND = (244, 241, 234)  # the test page's body colour, distinct from every avatar colour
AVATAR_BACKGROUND = (38, 112, 140)  # the portrait's own backdrop (shows in the rectangle view only)
SKIN = (226, 182, 150)
BOX = 320  # the mount container's CSS size (px)


def png(width: int, height: int, pixel: Callable[[int, int], tuple[int, int, int, int]]) -> bytes:
    """A truecolour-with-alpha PNG of ``pixel(x, y) -> (r, g, b, a)``."""
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _inside_person(x: int, y: int, width: int, height: int) -> bool:
    """A head (ellipse) over shoulders (a wide ellipse cut by the frame): a portrait's person."""
    cx = width / 2
    head = ((x - cx) / (width * 0.22)) ** 2 + ((y - height * 0.4) / (height * 0.2)) ** 2 <= 1
    shoulders = ((x - cx) / (width * 0.45)) ** 2 + ((y - height * 1.0) / (height * 0.32)) ** 2 <= 1
    return head or shoulders


def portrait_png(width: int = 240, height: int = 300) -> bytes:
    """The companion's photo: a person on an opaque backdrop."""

    def pixel(x: int, y: int) -> tuple[int, int, int, int]:
        return (*SKIN, 255) if _inside_person(x, y, width, height) else (*AVATAR_BACKGROUND, 255)

    return png(width, height, pixel)


def silhouette_png(width: int = 240, height: int = 300) -> bytes:
    """The cut-out: the same person, transparent everywhere else."""

    def pixel(x: int, y: int) -> tuple[int, int, int, int]:
        return (*SKIN, 255) if _inside_person(x, y, width, height) else (0, 0, 0, 0)

    return png(width, height, pixel)


class SdkPageServer(LoopbackServer):
    """``add_page(html)`` -> its URL; ``/avatar.png`` and ``/silhouette.png`` are the companion's images."""

    thread_name = "sdk-page-server"

    def __init__(self) -> None:
        super().__init__()
        self.pages: dict[str, str] = {}
        self.image_requests: list[str] = []
        self._images = {"/avatar.png": portrait_png(), "/silhouette.png": silhouette_png()}

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_page(self, html: str) -> str:
        name = f"page{len(self.pages)}.html"
        self.pages[name] = html
        return f"{self.origin}/{name}"

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/{name}", self._answer)

    async def _answer(self, request: web.Request) -> web.Response:
        path = request.path
        if path in self._images:
            self.image_requests.append(path)
            return web.Response(
                body=self._images[path],
                content_type="image/png",
                headers={"Access-Control-Allow-Origin": "*"},
            )
        html = self.pages.get(request.match_info["name"])
        if html is None:
            return web.Response(status=404, text="no such page")
        return web.Response(text=html, content_type="text/html")


def webrtc_token(platform: Any, key: Any, agent_id: str, **token_fields: Any) -> tuple[str, dict[str, Any]]:
    """A webrtc connection's token (base64) and its decoded JSON, with ``token_fields`` replaced in it
    (e.g. the companion's image URLs, served by the page server)."""
    body = {"channelType": "webrtc", **token_fields.pop("connection_body", {})}
    for _ in range(20):  # the published rate limit: 1 connection request per 5 s per key
        answer = requests.post(
            platform.url(f"/public/agents/{agent_id}/connections"), json=body, headers=key.headers, timeout=T
        )
        if answer.status_code != 429:
            break
        time.sleep(float(answer.headers.get("Retry-After", "1")))
    assert answer.status_code == 201, answer.text
    token = token_of(answer.json())
    assert token["channelType"] == "webrtc"
    for name, value in token_fields.items():
        if isinstance(value, dict) and isinstance(token.get(name), dict):
            token[name] = {**token[name], **value}
        else:
            token[name] = value
    encoded = base64.b64encode(json.dumps(token).encode()).decode()
    return encoded, token


def companion_images(server: SdkPageServer) -> dict[str, Any]:
    return {"avatarUrl": f"{server.origin}/avatar.png", "silhouetteUrl": f"{server.origin}/silhouette.png"}


_SETUP = """
window.omniagentEvents = [];
window.statsAtSpeechStarted = [];
window.avatarReadyCount = 0;
const options = Object.assign(OPTIONS, {
  mountContainer: document.getElementById("mount"),
  onData: (event) => {
    window.omniagentEvents.push(event);
    // onData runs after the SDK has handled the event: these are the counters right after the flush
    if (event.event === "speech_started" && window.agent) {
      window.statsAtSpeechStarted.push({...window.agent.stats});
    }
  },
  onAvatarReady: () => (window.avatarReadyCount += 1),
});
"""
_MODULE_INIT = """
try { window.agent = await init(TOKEN, options); } catch (error) { window.initError = String(error); }
"""
_STANDALONE_INIT = """
OmniagentSDK.init(TOKEN, options).then(
  (agent) => (window.agent = agent), (error) => (window.initError = String(error)));
"""


def sdk_page_html(
    platform_origin: str, token: str, options: dict[str, Any], standalone: bool = False, prelude: str = ""
) -> str:
    """A page that uses nothing but the SDK: the ES module (``import { init }``) or the standalone script;
    ``prelude``: a script the page runs before the SDK loads (a measurement's hooks)."""
    setup = _SETUP.replace("OPTIONS", json.dumps(options))
    if standalone:
        call = _STANDALONE_INIT.replace("TOKEN", json.dumps(token))
        scripts = (
            f'<script src="{platform_origin}/sdk/v1/omniagent.standalone.js"></script>\n'
            f"<script>{setup}{call}</script>"
        )
    else:
        call = _MODULE_INIT.replace("TOKEN", json.dumps(token))
        imported = f'import {{ init }} from "{platform_origin}/sdk/v1/omniagent.js";'
        scripts = f'<script type="module">{imported}{setup}{call}</script>'
    background = ",".join(map(str, PAGE_BACKGROUND))
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>Web SDK test page</title>'
        f"<style>body{{margin:0;background:rgb({background})}}"
        f"#mount{{width:{BOX}px;height:{BOX}px;margin:24px}}</style></head>"
        f'<body><div id="mount"></div><script>{prelude}</script>{scripts}</body></html>'
    )


def open_sdk_page(
    browser: Browser,
    server: SdkPageServer,
    platform: Any,
    token: str,
    options: dict[str, Any] | None = None,
    *,
    standalone: bool = False,
    before_load: Callable[[Page], None] | None = None,
    prelude: str = "",
    **context_options: Any,
) -> Page:
    """A new page (its own context) that loads the SDK from the platform and calls ``init``; answers once
    the instance exists (``init`` resolved: the socket is open)."""
    context = browser.new_context(viewport={"width": 480, "height": 420}, **context_options)
    page = context.new_page()
    errors: list[str] = []
    _PAGE_ERRORS[page] = errors
    page.on("pageerror", lambda error: errors.append(str(error)))
    if before_load:
        before_load(page)
    origin = platform.url("/").rstrip("/")
    page.goto(server.add_page(sdk_page_html(origin, token, options or {}, standalone, prelude)))
    page.wait_for_function("() => (window.agent && window.agent.stats) || window.initError", timeout=T * 1000)
    assert page.evaluate("() => window.initError || null") is None
    return page


def page_errors(page: Page) -> list[str]:
    """Uncaught errors of the page's scripts (the SDK's included)."""
    return _PAGE_ERRORS.get(page, [])


def events(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate("() => window.omniagentEvents")
    return found


def stats(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate("() => ({...window.agent.stats})")
    return found


def wait_for_event(page: Page, name: str, timeout: float = T, **match: Any) -> dict[str, Any]:
    """The first recorded event ``name`` whose data (or ``data.message``) has the fields of ``match``."""
    script = """([name, match]) => window.omniagentEvents.find((e) => {
        if (e.event !== name) return false;
        const fields = e.event === "message_received" ? (e.data.message || {}) : (e.data || {});
        return Object.entries(match).every(([k, v]) => fields[k] === v);
    })"""
    handle = page.wait_for_function(script, arg=[name, match], timeout=timeout * 1000)
    found: dict[str, Any] = handle.json_value()
    return found


def wait_for_stats(page: Page, condition: str, timeout: float = T) -> dict[str, Any]:
    """Waits until the JS ``condition`` over ``s`` (the instance's stats) holds; answers the stats."""
    page.wait_for_function(
        f"() => {{ const s = window.agent.stats; return {condition}; }}", timeout=timeout * 1000
    )
    return stats(page)


def canvas_alpha(page: Page, points: list[tuple[float, float]]) -> list[int]:
    """The avatar canvas's alpha at each (fx, fy) (fractions of its size), read back from the canvas."""
    found: list[int] = page.evaluate(
        """(points) => {
            const canvas = document.querySelector("#mount canvas");
            const context = canvas.getContext("2d");
            return points.map(([fx, fy]) => context.getImageData(
                Math.min(canvas.width - 1, Math.floor(fx * canvas.width)),
                Math.min(canvas.height - 1, Math.floor(fy * canvas.height)), 1, 1).data[3]);
        }""",
        [list(point) for point in points],
    )
    return found
