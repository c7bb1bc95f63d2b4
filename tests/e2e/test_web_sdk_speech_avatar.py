"""The Web SDK's Speech avatar path, as far as a browser can go without Azure: a webrtc token with
``speechAvatar`` (minted by a host whose Speech settings point at loopback stand-ins) makes the page load
speech-avatar.js from the SDK's own base URL, open the avatar's synthesis socket at the token's endpoint
with the token's Speech auth token, offer WebRTC video and audio over it, and ask the token's TURN relay
for an allocation with the token's ICE username. The stand-in then refuses the offer (it has no avatar
to stream): the SDK reports ``SpeechAvatarFailed`` and draws the companion itself.

Not tested (needs Azure): the avatar service's SDP answer, the relayed media, the video frames and the
avatar speaking the replies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import WSMsgType, web

from tests.e2e.builders import new_agent
from tests.e2e.web_sdk_pages import SdkPageServer, open_sdk_page, stats, wait_for_event, webrtc_token
from tests.fakes.speech_avatar import FakeSpeechAvatar

SPEECH_KEY = "speech-key-0123456789abcdef"
SYNTHESIS_PATH = "/tts/cognitiveservices/websocket/v1"
STUN_COOKIE = 0x2112A442
ALLOCATE_REQUEST, ALLOCATE_ERROR = 0x0003, 0x0113
USERNAME, MESSAGE_INTEGRITY, ERROR_CODE, REALM, NONCE = 0x0006, 0x0008, 0x0009, 0x0014, 0x0015
TURN_REALM = "omniagent.test"


class SpeechAvatarWithSynthesis(FakeSpeechAvatar):
    """The token endpoints, and the avatar's synthesis socket: it records what the SDK sends (its
    ``speech.config`` carries the avatar and the WebRTC offer) up to the first ``ssml`` request, then
    closes as a service that cannot stream would."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.synthesis_queries: list[dict[str, str]] = []
        self.synthesis_frames: list[str] = []

    def add_routes(self, app: web.Application) -> None:
        super().add_routes(app)
        app.router.add_get(SYNTHESIS_PATH, self._synthesis)

    async def _synthesis(self, request: web.Request) -> web.WebSocketResponse:
        self.synthesis_queries.append(dict(request.query))
        socket_ = web.WebSocketResponse()
        await socket_.prepare(request)
        async for message in socket_:
            if message.type != WSMsgType.TEXT:
                continue
            self.synthesis_frames.append(message.data)
            if _path(message.data) == "ssml":  # the avatar's start, after its context (with the offer)
                break
        await socket_.close(code=1011, message=b"no avatar here")
        return socket_


def _path(frame: str) -> str:
    """The ``Path`` header of one of the Speech SDK's text frames (headers, a blank line, the body)."""
    headers = frame.split("\r\n\r\n", 1)[0].split("\r\n")
    return next((h.split(":", 1)[1].strip() for h in headers if h.lower().startswith("path:")), "")


def _attribute(kind: int, value: bytes) -> bytes:
    return struct.pack(">HH", kind, len(value)) + value + b"\x00" * (-len(value) % 4)


@dataclass
class TurnRequest:
    method: int
    attributes: dict[int, bytes]
    raw: bytes


class TurnStandIn:
    """A UDP TURN server as far as its first exchange: an Allocate without credentials is challenged
    (401 with a realm and a nonce), so the browser sends its USERNAME in the next one."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.requests: list[TurnRequest] = []
        self._running = True
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while self._running:
            try:
                datagram, peer = self.socket.recvfrom(4096)
            except TimeoutError:
                continue
            if len(datagram) < 20 or struct.unpack(">I", datagram[4:8])[0] != STUN_COOKIE:
                continue
            method, length = struct.unpack(">HH", datagram[:4])
            attributes, offset = {}, 20
            while offset + 4 <= 20 + length:
                kind, size = struct.unpack(">HH", datagram[offset : offset + 4])
                attributes[kind] = datagram[offset + 4 : offset + 4 + size]
                offset += 4 + size + (-size % 4)
            self.requests.append(TurnRequest(method, attributes, datagram))
            if method == ALLOCATE_REQUEST and USERNAME not in attributes:
                body = (
                    _attribute(ERROR_CODE, b"\x00\x00\x04\x01Unauthorized")
                    + _attribute(REALM, TURN_REALM.encode())
                    + _attribute(NONCE, b"0123456789abcdef")
                )
                header = struct.pack(">HHI", ALLOCATE_ERROR, len(body), STUN_COOKIE) + datagram[8:20]
                self.socket.sendto(header + body, peer)

    def stop(self) -> None:
        self._running = False
        self._thread.join(timeout=2)
        self.socket.close()


@pytest.fixture
def turn() -> Iterator[TurnStandIn]:
    relay = TurnStandIn()
    yield relay
    relay.stop()


@pytest.fixture
def speech_service(turn: TurnStandIn) -> Iterator[SpeechAvatarWithSynthesis]:
    with SpeechAvatarWithSynthesis(SPEECH_KEY) as fake:
        fake.relay_answer = {
            "Urls": [f"turn:127.0.0.1:{turn.port}?transport=udp"],
            "Username": "relay-user-1",
            "Password": "relay-secret-1",
        }
        yield fake


@dataclass
class _Host:
    host: Any

    def url(self, path: str) -> str:
        return str(self.host.url(path))


def _video_section(frames: list[str]) -> dict[str, Any]:
    """``synthesis.video`` of the SDK's ``speech.config`` frame: the avatar and the WebRTC offer."""
    config = next(frame for frame in frames if _path(frame) == "speech.config")
    video: dict[str, Any] = json.loads(config.split("\r\n\r\n", 1)[1])["context"]["synthesis"]["video"]
    return video


def _signed_with(request: TurnRequest, username: str, realm: str, password: str) -> bool:
    """Whether the request's MESSAGE-INTEGRITY is the long-term credential's HMAC (RFC 5389 15.4)."""
    raw = request.raw
    offset = 20
    while offset < len(raw):
        kind, size = struct.unpack(">HH", raw[offset : offset + 4])
        if kind == MESSAGE_INTEGRITY:
            signed = bytearray(raw[:offset])
            struct.pack_into(">H", signed, 2, offset - 20 + 24)  # the length as if it ended after MI
            key = hashlib.md5(f"{username}:{realm}:{password}".encode()).digest()  # the RFC's long-term key
            expected = hmac.new(key, bytes(signed), hashlib.sha1).digest()
            return hmac.compare_digest(expected, raw[offset + 4 : offset + 4 + size])
        offset += 4 + size + (-size % 4)
    return False


def test_a_speech_avatar_token_reaches_the_speech_endpoints_with_its_credentials_then_falls_back(
    own_platform_factory, model_key, chromium, turn, speech_service
):
    host = _Host(
        own_platform_factory(
            OMNI_SPEECH_AVATAR_REGION="westus2",
            OMNI_SPEECH_AVATAR_ENDPOINT=speech_service.endpoint,
            OMNI_SPEECH_AVATAR_KEY=SPEECH_KEY,
            OMNI_SPEECH_AVATAR_CHARACTER="lisa",
            OMNI_SPEECH_AVATAR_STYLE="casual-sitting",
        )
    )
    agent = new_agent(host, model_key)
    token, decoded = webrtc_token(host, model_key, agent["id"], connection_body={"modality": "text"})
    credentials = decoded["speechAvatar"]
    assert credentials["iceServers"][0]["username"] == "relay-user-1"
    loaded: list[str] = []
    with SdkPageServer() as pages:
        page = open_sdk_page(
            chromium,
            pages,
            host,
            token,
            before_load=lambda p: p.on("request", lambda r: loaded.append(r.url)),
        )
        try:
            failed = wait_for_event(page, "error", code="SpeechAvatarFailed", timeout=60)
            page.wait_for_function("() => window.avatarReadyCount === 1")
            seen = stats(page)
        finally:
            page.context.close()

    assert host.url("/sdk/v1/speech-avatar.js") in loaded  # from the SDK's own base URL, on demand
    (query,) = speech_service.synthesis_queries
    assert query["Authorization"] == f"Bearer {credentials['authToken']}"
    assert query["enableTalkingAvatar"] == "true"
    video = _video_section(speech_service.synthesis_frames)
    offer = json.loads(base64.b64decode(video["protocol"]["webrtcConfig"]["clientDescription"]))
    assert video["protocol"]["name"] == "WebRTC"
    assert offer["type"] == "offer" and "m=video" in offer["sdp"] and "m=audio" in offer["sdp"]
    assert (video["talkingAvatar"]["character"], video["talkingAvatar"]["style"]) == (
        "lisa",
        "casual-sitting",
    )
    assert any(r.method == ALLOCATE_REQUEST for r in turn.requests)  # the token's relay was asked
    signed = [r for r in turn.requests if r.attributes.get(USERNAME) == b"relay-user-1"]
    assert signed  # the token's ICE username, and its password signs the request:
    assert all(_signed_with(r, "relay-user-1", TURN_REALM, "relay-secret-1") for r in signed)
    assert failed["data"]["message"]
    assert seen["renderer"] == "canvas" and seen["framesDrawn"] > 0  # it draws the companion instead
