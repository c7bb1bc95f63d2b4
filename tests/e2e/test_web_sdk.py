"""The Web SDK in real headless Chromium, on a page of another origin that uses nothing but the SDK
(``import { init } from <platform>/sdk/v1/omniagent.js``, or the standalone script): the agent's
greeting is heard, speech through the fake microphone is transcribed and answered aloud, speaking over
the agent flushes its playback, an implicit tool is answered with ``sendCommand``, a refused microphone
is reported and text still works, and a cut connection is reopened while the session goes on.

The scripted model transcribes every utterance as the text the test sets and speaks a 440 Hz tone."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Browser

from shared.sessions.gateway import SESSION_INDEX_TABLE, SessionIndexEntry
from shared.storage import TableRepository, table_service
from tests.e2e.browser import chromium_executable
from tests.e2e.builders import new_agent, new_weather_function
from tests.e2e.web_sdk_pages import (
    SdkPageServer,
    companion_images,
    events,
    open_sdk_page,
    page_errors,
    stats,
    wait_for_event,
    wait_for_stats,
    webrtc_token,
)

HOURS = "what_are_your_hours.pcm"  # "What are your hours on Saturday?"


@pytest.fixture(scope="module")
def chromium_asking_for_the_microphone(playwright_driver) -> Iterator[Browser]:
    """A microphone exists (a fake device) but nothing grants it: the page's request is refused unless
    its context is given the permission (without the fake-ui flag Chromium denies instead of asking)."""
    browser = playwright_driver.chromium.launch(
        executable_path=chromium_executable(),
        headless=True,
        args=[
            "--no-sandbox",
            "--autoplay-policy=no-user-gesture-required",
            "--use-fake-device-for-media-stream",
        ],
    )
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def pages() -> Iterator[SdkPageServer]:
    with SdkPageServer() as server:
        yield server


SAY = "(text) => window.agent.sendCommand({type: 'send_message', data: {role: 'user', text}})"


def _names(page) -> list[str]:
    return [e["event"] for e in events(page)]


def _messages(page, role: str, action: str) -> list[dict]:
    return [
        e["data"]["message"]
        for e in events(page)
        if e["event"] == "message_received"
        and e["data"]["message"].get("role") == role
        and e["data"]["message"].get("action") == action
    ]


def test_the_sdk_files_answer_any_origin(platform):
    for name in ("omniagent.js", "omniagent.standalone.js", "speech-avatar.js", "omniagent.d.ts"):
        answer = requests.get(
            platform.url(f"/sdk/v1/{name}"), headers={"Origin": "http://127.0.0.1:1"}, timeout=30
        )
        assert answer.status_code == 200, name
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
    declarations = requests.get(platform.url("/sdk/v1/omniagent.d.ts"), timeout=30).text
    published_names = (
        "export declare function init(",
        "sendCommand(",
        "destroy(): void",
        "MicrophonePermissionDenied",
    )
    for published in published_names:
        assert published in declarations
    # the Speech SDK is not in the main bundle: it comes with speech-avatar.js, on demand
    assert "AvatarSynthesizer" not in requests.get(platform.url("/sdk/v1/omniagent.js"), timeout=30).text


def test_a_page_hears_the_greeting_speaks_and_gets_a_transcript_and_a_spoken_answer(
    platform, model, model_key, chromium_with_microphone, pages, artifacts_dir
):
    agent = new_agent(platform, model_key, greeting="Hello, how can I help?")
    model.transcribe_as("What are your hours on Saturday?")
    model.reply_text("We open at nine.")
    token, _ = webrtc_token(platform, model_key, agent["id"], companion=companion_images(pages))
    page = open_sdk_page(chromium_with_microphone(HOURS), pages, platform, token)
    try:
        greeting = wait_for_event(page, "message_received", role="assistant", action="completed")
        assert greeting["data"]["message"]["content"] == "Hello, how can I help?"
        wait_for_stats(page, "s.chunksPlayed > 0")
        user = wait_for_event(page, "message_received", role="user", action="completed")
        assert user["data"]["message"]["content"] == "What are your hours on Saturday?"
        answer = wait_for_event(
            page, "message_received", role="assistant", action="completed", content="We open at nine."
        )
        answer_id = answer["data"]["message"]["response_id"]
        page.wait_for_function(
            """(id) => window.omniagentEvents.some(
                   (e) => e.event === 'audio_received' && e.data.response_id === id)""",
            arg=answer_id,
        )
        played = wait_for_stats(
            page, "s.chunksPlayed === s.chunksReceived && s.playbackStartedAt.length >= 2"
        )
        page.screenshot(path=str(artifacts_dir / "web_sdk_conversation.png"))
        names = _names(page)
        users = [m["content"] for m in _messages(page, "user", "completed")]
    finally:
        page.context.close()

    assert names.count("audio_received") == played["chunksReceived"] > 0
    assert played["microphone"] == "on" and played["audioChunksSent"] > 25  # >1 s of 40 ms chunks
    assert played["firstPlayedAt"] is not None and played["renderer"] == "canvas"
    assert played["framesSpeaking"] > 0  # the avatar's mouth moved with the voice it played
    assert "speech_started" in names
    assert names.index("speech_started") < names.index("audio_received", names.index("speech_started"))
    assert users[:1] == ["What are your hours on Saturday?"]
    assert page_errors(page) == []
    assert pages.image_requests.count("/avatar.png") == 1


def test_speaking_over_the_agent_flushes_its_playback(
    platform, model, model_key, chromium_with_microphone, pages
):
    agent = new_agent(platform, model_key)
    model.transcribe_as("What are your hours on Saturday?")
    counting = " ".join(f"Number {n} is here." for n in range(1, 31))  # ~27 s of speech, streamed slowly
    model.reply_text(counting, chunks=60, chunk_delay=0.2)
    model.reply_text("We open at nine.")
    token, _ = webrtc_token(platform, model_key, agent["id"])
    # The fake microphone says the phrase again 9.1 s after the first time: the agent is still talking.
    page = open_sdk_page(chromium_with_microphone(HOURS), pages, platform, token)
    try:
        wait_for_event(page, "message_received", role="assistant", action="cancelled")
        wait_for_event(
            page, "message_received", role="assistant", action="completed", content="We open at nine."
        )
        at_barge_in = page.evaluate("() => window.statsAtSpeechStarted")
        names = _names(page)
        after = stats(page)
    finally:
        page.context.close()

    first_audio = names.index("audio_received")
    interrupting = names.index("speech_started", first_audio)  # the second utterance, over the reply
    flushed = at_barge_in[names[:interrupting].count("speech_started")]
    assert flushed["chunksFlushed"] > 0 and flushed["flushes"] == 1
    assert flushed["queuedChunks"] == 0  # nothing left to play at the moment the user spoke
    assert flushed["chunksPlayed"] < names[:interrupting].count("audio_received") + 1
    assert after["chunksFlushed"] == flushed["chunksFlushed"]
    assert after["chunksPlayed"] == after["chunksReceived"] == names.count("audio_received")


def test_an_implicit_tool_is_answered_with_send_command(platform, model, model_key, chromium, pages):
    weather = new_weather_function(platform, model_key)
    agent = new_agent(platform, model_key, functions=[weather["id"]])
    model.reply_tool_calls([{"name": "get_weather", "arguments": {"city": "Paris"}, "id": "call_weather"}])
    model.reply_text("It is sunny in Paris.")
    token, _ = webrtc_token(platform, model_key, agent["id"], connection_body={"modality": "text"})
    page = open_sdk_page(chromium, pages, platform, token)
    try:
        wait_for_event(page, "avatar_state_changed", state="ready")
        assert page.evaluate(
            """() => window.agent.sendCommand(
                   {type: 'send_message', data: {role: 'user', text: 'Weather in Paris?'}})"""
        )
        called = wait_for_event(page, "function_implicitly_called")["data"]
        assert called == {"call_id": "call_weather", "name": "get_weather", "arguments": {"city": "Paris"}}
        assert page.evaluate(
            """() => window.agent.sendCommand({type: 'send_function_output',
                 data: {call_id: 'call_weather', output: {sky: 'sunny', celsius: 24}}})"""
        )
        wait_for_event(
            page, "message_received", role="assistant", action="completed", content="It is sunny in Paris."
        )
        seen = stats(page)
    finally:
        page.context.close()

    assert seen["microphone"] == "off" and seen["audioChunksSent"] == 0  # a text token opens no microphone
    assert seen["chunksReceived"] == 0 and seen["framesSpeaking"] == 0  # silent: the avatar only idles
    assert seen["framesDrawn"] > 0
    tool_results = [m for m in model.chat_requests[-1].messages if m["role"] == "tool"]
    assert [(m["tool_call_id"], json.loads(m["content"])) for m in tool_results] == [
        ("call_weather", {"sky": "sunny", "celsius": 24})
    ]


def test_a_refused_microphone_is_reported_and_the_session_goes_on_by_text(
    platform, model, model_key, chromium_asking_for_the_microphone, pages
):
    agent = new_agent(platform, model_key)
    model.reply_text("Yes, by text.")
    token, _ = webrtc_token(platform, model_key, agent["id"])
    page = open_sdk_page(chromium_asking_for_the_microphone, pages, platform, token, permissions=[])
    try:
        refused = wait_for_event(page, "error", code="MicrophonePermissionDenied")
        page.evaluate(SAY, "Hi?")
        wait_for_event(
            page, "message_received", role="assistant", action="completed", content="Yes, by text."
        )
        seen = stats(page)
        states = [e["data"]["state"] for e in events(page) if e["event"] == "microphone_state_changed"]
    finally:
        page.context.close()

    assert refused["data"]["message"]
    assert seen["microphone"] == "denied" and seen["audioChunksSent"] == 0 and not seen["ended"]
    assert states == ["denied"]


def test_a_dropped_connection_is_reopened_to_the_same_url_and_the_session_goes_on(
    platform, model, model_key, chromium, pages
):
    """The network drops the page's socket (the platform's side stays open, as when a proxy or a
    Wi-Fi change loses it): the SDK reconnects with the same token and its reconnect key, which takes
    the session over from the socket still open, and the conversation continues."""
    agent = new_agent(platform, model_key)
    model.reply_text("Before the drop.")
    model.reply_text("After the drop.")
    token, decoded = webrtc_token(platform, model_key, agent["id"], connection_body={"modality": "text"})
    routes: list = []
    urls: list[str] = []

    def relay(route) -> None:  # every socket of the page goes through the test, to the platform
        urls.append(route.url)
        server = route.connect_to_server()
        route.on_close(lambda code, reason: None)  # a page-side close is not passed on to the platform
        server.on_close(lambda code, reason: route.close(code=code, reason=reason))
        routes.append(route)

    page = open_sdk_page(
        chromium,
        pages,
        platform,
        token,
        before_load=lambda p: p.route_web_socket(re.compile(r".*/client/hubs/.*"), relay),
    )
    try:
        page.evaluate(SAY, "One")
        wait_for_event(
            page, "message_received", role="assistant", action="completed", content="Before the drop."
        )
        routes[0].close(code=4000, reason="network gone")  # only the page's side
        lost = wait_for_event(page, "connection_lost")
        reconnected = wait_for_event(page, "reconnected")
        page.evaluate(SAY, "Two")
        wait_for_event(
            page, "message_received", role="assistant", action="completed", content="After the drop."
        )
        names = _names(page)
        seen = stats(page)
    finally:
        page.context.close()

    assert lost["data"]["code"] == 4000
    assert reconnected["data"] == {"attempts": 1}
    assert names.index("connection_lost") < names.index("reconnecting") < names.index("reconnected")
    # The same URL and access token, with the reconnect key the first socket was sent: the platform
    # still holds that socket open, and only its holder's key takes the session over from it.
    assert urls[0] == decoded["url"] and urls[1].startswith(decoded["url"] + "&reconnect_key=")
    assert len(urls) == 2 and len(urls[1]) > len(decoded["url"]) + len("&reconnect_key=") + 40
    assert seen["reconnects"] == 1 and not seen["ended"]
    assert "session_ended" not in names and "error" not in names


def test_a_socket_the_page_closes_is_reopened_while_the_platform_waits_and_the_session_goes_on(
    platform, model, model_key, chromium, pages
):
    """A real close (the platform sees the connection go): a webrtc session waits for its client
    (the reconnect grace), the SDK reopens the socket with the same token and the session goes on."""
    agent = new_agent(platform, model_key)
    model.reply_text("After the close.")
    token, decoded = webrtc_token(platform, model_key, agent["id"], connection_body={"modality": "text"})
    session_id = decoded["sessionId"]
    page = open_sdk_page(chromium, pages, platform, token)
    try:
        wait_for_event(page, "avatar_state_changed", state="ready")
        before = _connections(platform, session_id)
        page.evaluate("() => window.agent._socket.close(4001, 'test')")
        lost = wait_for_event(page, "connection_lost")
        reconnected = wait_for_event(page, "reconnected")
        after = _wait_for_connections(page, platform, session_id, lambda ids: ids and ids != before)
        page.evaluate(SAY, "Still there?")
        wait_for_event(
            page, "message_received", role="assistant", action="completed", content="After the close."
        )
        names = _names(page)
        states = [e["data"]["state"] for e in events(page) if e["event"] == "avatar_state_changed"]
        seen = stats(page)
        record = _record(platform, model_key, session_id)
    finally:
        page.context.close()

    assert lost["event"] == "connection_lost" and reconnected["data"] == {"attempts": 1}
    assert len(before) == len(after) == 1 and not set(before) & set(after)  # the old connection is gone
    assert states == ["preparing", "ready", "ready"]  # ready again on the new socket, nothing more
    assert seen["reconnects"] == 1 and not seen["ended"]
    assert "session_ended" not in names and "error" not in names
    assert record["status"] == "started"


# Before the SDK loads: while ``awayFromPlatform`` is set, the page's sockets go to a closed port (the
# network is gone); ``socketsToPlatform`` counts the ones that went to the platform.
AWAY = """
window.awayFromPlatform = false;
window.socketsToPlatform = 0;
const PlatformSocket = window.WebSocket;
window.WebSocket = function (url, protocols) {
  if (window.awayFromPlatform) return new PlatformSocket("ws://127.0.0.1:9/", protocols);
  window.socketsToPlatform += 1;
  return new PlatformSocket(url, protocols);
};
Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
window.WebSocket.prototype = PlatformSocket.prototype;
"""


def test_a_page_away_past_the_grace_finds_the_session_ended_and_reports_it(
    own_platform_factory, model_key, chromium, pages
):
    """The page loses the network and the platform its connection; the session waits out its grace
    (1 s here) and ends (``connection_lost``). When the network is back the platform refuses the SDK's
    tries (the session is over), and after the last one the SDK reports the end and shows it."""
    host = own_platform_factory(OMNI_RECONNECT_GRACE_SECONDS="1")
    agent = new_agent(host, model_key)
    token, decoded = webrtc_token(host, model_key, agent["id"], connection_body={"modality": "text"})
    page = open_sdk_page(chromium, pages, host, token, prelude=AWAY)
    try:
        wait_for_event(page, "avatar_state_changed", state="ready")
        page.evaluate("() => { window.awayFromPlatform = true; window.agent._socket.close(4001, 'test'); }")
        wait_for_event(page, "connection_lost")
        record = _ended_record(page, host, model_key, decoded["sessionId"])
        reached_before = page.evaluate(
            "() => { window.awayFromPlatform = false; return window.socketsToPlatform; }"
        )
        ended = wait_for_event(page, "session_ended", timeout=60)
        reached = page.evaluate("() => window.socketsToPlatform") - reached_before
        seen = stats(page)
        ended_shown = page.is_visible(".omniagent-ended")
        events_seen = events(page)
    finally:
        page.context.close()

    assert (record["status"], record["closeReason"], record["billedMinutes"]) == (
        "closed",
        "connection_lost",
        1,
    )
    assert reached >= 1  # tries reached the platform, which refused them
    assert seen["ended"] and ended_shown
    sdk_side = [
        e for e in events_seen if e["event"] in ("reconnecting", "reconnected", "error", "session_ended")
    ]
    assert [e["data"].get("attempt") for e in sdk_side if e["event"] == "reconnecting"] == [1, 2, 3, 4, 5]
    assert [e["data"]["code"] for e in sdk_side if e["event"] == "error"] == ["ReconnectFailed"]
    assert sdk_side[-1] == ended == {"event": "session_ended", "data": {"reason": "connection_lost"}}
    assert seen["microphone"] == "off"


def _record(host, key, session_id: str) -> dict:
    response = requests.get(host.url(f"/public/sessions/{session_id}"), headers=key.headers, timeout=30)
    assert response.status_code == 200, response.text
    found: dict = response.json()
    return found


def _ended_record(page, host, key, session_id: str) -> dict:
    for _ in range(150):  # the page's own timers run meanwhile (its sync API dispatches while waiting)
        if (record := _record(host, key, session_id))["status"] not in ("pending", "started"):
            return record
        page.wait_for_timeout(200)
    raise AssertionError(f"session {session_id} never ended")


def _connections(platform, session_id: str) -> list[str]:
    index = TableRepository(table_service(platform.settings.storage), SESSION_INDEX_TABLE, SessionIndexEntry)
    return index.get(session_id, session_id).entity.connections


def _wait_for_connections(page, platform, session_id: str, condition) -> list[str]:
    for _ in range(150):
        if condition(ids := _connections(platform, session_id)):
            return ids
        page.wait_for_timeout(200)
    raise AssertionError(f"session {session_id}: connections stayed {ids}")


def test_a_page_with_the_standalone_script_talks_through_the_global(
    platform, model, model_key, chromium, pages
):
    agent = new_agent(platform, model_key)
    model.reply_text("Hello from the standalone build.")
    token, _ = webrtc_token(platform, model_key, agent["id"], connection_body={"modality": "text"})
    page = open_sdk_page(chromium, pages, platform, token, standalone=True)
    try:
        assert page.evaluate("() => typeof OmniagentSDK.init") == "function"
        wait_for_event(page, "avatar_state_changed", state="ready")
        page.evaluate(SAY, "Hi")
        reply = wait_for_event(page, "message_received", role="assistant", action="completed")
        page.wait_for_function("() => window.avatarReadyCount === 1")
        page.evaluate("() => window.agent.destroy()")
        left = page.evaluate(
            """() => [document.querySelectorAll('.omniagent-root').length,
                      !!document.getElementById('omniagent-sdk-style')]"""
        )
        ended_by_destroy = stats(page)
    finally:
        page.context.close()

    assert reply["data"]["message"]["content"] == "Hello from the standalone build."
    assert left == [0, False]  # destroy() removed what the SDK added
    assert ended_by_destroy["framesDrawn"] > 0
