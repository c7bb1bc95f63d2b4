"""`webrtc` connections over HTTP against the local stack: the token the Web SDK gets (every field), the
webrtc channel config, per-transport limits, the legacy per-session `POST /public/connections`, a webrtc
session running the live protocol over its socket, and the Speech avatar's credentials minted from a
loopback stand-in of Azure's token endpoints."""

from __future__ import annotations

import io
import time
from datetime import datetime

import pytest
import requests
from PIL import Image

from shared.audio.pcm import BYTES_PER_SECOND, decode_chunk, encode_chunk
from shared.sessions.limits import SESSION_ROSTERS_TABLE, SessionRoster
from shared.storage import NotFound, TableRepository, table_service
from tests.devhost.helpers import REPO_ROOT
from tests.e2e.builders import create, new_agent
from tests.e2e.conftest import error_of
from tests.e2e.session_client import SessionClient, events_named, message_of, token_of
from tests.fakes.speech_avatar import RELAY_URLS, FakeSpeechAvatar

T = 30
HOURS = (REPO_ROOT / "tests" / "fixtures" / "speech" / "what_are_your_hours.pcm").read_bytes()
CHUNK = BYTES_PER_SECOND * 40 // 1000  # 40 ms of microphone audio per send_audio, as the Web SDK sends
TOKEN_FIELDS = {
    "url",
    "authToken",
    "token",
    "connection",
    "expiresAt",
    "channelType",
    "sessionId",
    "modality",
    "companion",
    "view",
    "videoPolicy",
    "useGreenVideo",
    "disclaimer",
    "inactivity",
    "speechAvatar",
}


def _connect(platform, key, agent_id: str, **body) -> requests.Response:
    return requests.post(
        platform.url(f"/public/agents/{agent_id}/connections"),
        json={"channelType": "webrtc", **body},
        headers=key.headers,
        timeout=T,
    )


def _per_session(platform, key, body: dict) -> requests.Response:
    return requests.post(platform.url("/public/connections"), json=body, headers=key.headers, timeout=T)


def _end(platform, key, session_id: str) -> None:
    """End the session over REST and wait until its record says it ended (its seat is free then)."""
    ended = requests.post(platform.url(f"/public/sessions/{session_id}/end"), headers=key.headers, timeout=T)
    assert ended.status_code == 202, ended.text
    deadline = time.monotonic() + T
    while _session(platform, key, session_id)["status"] in ("pending", "started"):
        assert time.monotonic() < deadline, f"session {session_id} never ended"
        time.sleep(0.2)


def _session(platform, key, session_id: str) -> dict:
    response = requests.get(platform.url(f"/public/sessions/{session_id}"), headers=key.headers, timeout=T)
    assert response.status_code == 200, response.text
    return response.json()


def _png(width: int = 1280, height: int = 720) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def _companion_with_avatar(platform, key, **fields) -> tuple[dict, bytes]:
    companion = create(
        platform,
        key,
        "/public/companions",
        {"firstName": "Ava", "lastName": "Stone", "description": "A cheerful travel guide.", **fields},
    )
    png = _png()
    upload = requests.put(
        platform.url(f"/public/companions/{companion['id']}/avatar"),
        data=png,
        headers={**key.headers, "Content-Type": "image/png"},
        timeout=60,
    )
    assert upload.status_code == 200, upload.text
    return companion, png


def test_a_webrtc_token_carries_the_socket_the_companion_the_channel_config_and_the_agent_settings(
    platform, model, model_key
):
    companion, png = _companion_with_avatar(platform, model_key, defaultView="round")
    agent = new_agent(
        platform,
        model_key,
        companionId=companion["id"],
        disclaimer={"enabled": True, "text": "Ava is an AI."},
        inactivity={"timeoutSeconds": 300, "countdownSeconds": 20},
    )
    channel = requests.put(
        platform.url(f"/public/agents/{agent['id']}/channels/webrtc"),
        json={
            "videoPolicy": "deferred",
            "useGreenVideo": True,
            "providerSettings": {"instructions": "Answer like a ship's captain."},
        },
        headers=model_key.headers,
        timeout=T,
    )
    assert channel.status_code == 200, channel.text

    response = _connect(platform, model_key, agent["id"], externalClientId="rtc-user-1")
    assert response.status_code == 201, response.text
    answer = response.json()
    session_id = answer["connection"]["id"]
    token = token_of(answer)
    assert set(token) == TOKEN_FIELDS
    assert token["url"].startswith("ws://127.0.0.1:") and "access_token=" in token["url"]
    assert token["authToken"] == token["token"] != ""
    assert token["connection"] == {"id": session_id} and session_id.startswith("sess_")
    assert datetime.fromisoformat(token["expiresAt"].replace("Z", "+00:00")).tzinfo is not None
    assert (token["channelType"], token["sessionId"], token["modality"]) == ("webrtc", session_id, "audio")
    assert {k: v for k, v in token["companion"].items() if k not in ("avatarUrl", "silhouetteUrl")} == {
        "id": companion["id"],
        "name": "Ava Stone",
        "defaultView": "round",
    }
    image = requests.get(
        token["companion"]["avatarUrl"], headers={"Origin": "https://shop.example"}, timeout=T
    )
    assert image.status_code == 200 and image.content == png  # the uploaded image, readable by a page
    silhouette = token["companion"]["silhouetteUrl"]
    if silhouette is not None:  # cut out at upload: a PNG with alpha
        cut_out = Image.open(io.BytesIO(requests.get(silhouette, timeout=T).content))
        assert cut_out.format == "PNG" and cut_out.mode in ("RGBA", "LA")
    assert token["view"] == "round"
    assert (token["videoPolicy"], token["useGreenVideo"]) == ("deferred", True)  # the channel config
    assert token["disclaimer"] == {"enabled": True, "text": "Ava is an AI."}
    assert token["inactivity"] == {"enabled": True, "timeoutSeconds": 300, "countdownSeconds": 20}
    assert token["speechAvatar"] is None  # this deployment has no Speech resource

    # The session is a webrtc one and runs the live protocol over the token's socket, as the Web SDK
    # does: the microphone as base64 PCM16 16 kHz in send_audio, the answer spoken back in
    # audio_received; the channel config's provider settings are in the prompt.
    model.transcribe_as("What are your hours on Saturday?")
    model.reply_text("Aye, we open at nine.", chunks=3)
    with SessionClient(answer) as client:
        opening = client.receive_until("avatar_state_changed", state="ready")
        marker = message_of(events_named(opening, "message_received")[0])
        assert (marker["type"], marker["session_id"]) == ("session", session_id)
        microphone = bytes(BYTES_PER_SECOND * 2 // 5) + HOURS + bytes(BYTES_PER_SECOND)
        for start in range(0, len(microphone), CHUNK):
            client.command("send_audio", audio=encode_chunk(microphone[start : start + CHUNK]))
        frames = client.receive_until("message_received", role="assistant", action="completed")
        assert client.end()["reason"] == "client"
    heard = [
        message_of(f)["content"]
        for f in events_named(frames, "message_received")
        if message_of(f)["role"] == "user"
    ]
    assert heard == ["What are your hours on Saturday?"]
    assert message_of(frames[-1])["content"] == "Aye, we open at nine."
    spoken = b"".join(decode_chunk(f["data"]["audio"]) for f in events_named(frames, "audio_received"))
    assert len(spoken) > 0 and len(model.transcriptions) == 1
    (turn,) = [r for r in model.chat_requests if r.messages[-1]["content"] == heard[0]]
    assert "Answer like a ship's captain." in turn.messages[0]["content"]
    session = _session(platform, model_key, session_id)
    assert (session["sessionType"], session["agentId"], session["externalClientId"]) == (
        "webrtc",
        agent["id"],
        "rtc-user-1",
    )


def test_a_text_webrtc_session_without_a_channel_config_takes_the_defaults(platform, project_key):
    agent = new_agent(platform, project_key, disableIdleTimeout=True)
    response = _connect(platform, project_key, agent["id"], modality="text")
    assert response.status_code == 201, response.text
    token = token_of(response.json())
    assert token["modality"] == "text"
    assert (token["videoPolicy"], token["useGreenVideo"]) == ("required", False)
    assert token["view"] == token["companion"]["defaultView"] == "rectangle"
    assert token["companion"]["name"] == agent["companionId"]  # a companion without a name: its id
    assert token["companion"]["silhouetteUrl"] is None and token["companion"]["avatarUrl"] is None
    assert token["disclaimer"] == {"enabled": True, "text": "This is an AI-generated avatar"}
    assert token["inactivity"] == {"enabled": False, "timeoutSeconds": 120, "countdownSeconds": 15}
    _end(platform, project_key, response.json()["connection"]["id"])


def test_webrtc_and_websocket_sessions_are_limited_apart(platform, project_key, project_key_factory):
    organization, project = project_key.organization_id, project_key.project_id

    def key():  # connections: 1 per 5 s per key (published)
        return project_key_factory(organization_id=organization, project_id=project)

    agent = new_agent(platform, project_key)
    opened = [(_connect(platform, k, agent["id"]), k) for k in [project_key] + [key() for _ in range(4)]]
    assert [r.status_code for r, _ in opened] == [201] * 5, [r.text for r, _ in opened]
    sixth = _connect(platform, key(), agent["id"])
    assert sixth.status_code == 409
    refusal = error_of(sixth)
    assert (refusal["code"], refusal["numericType"]) == ("ConcurrentSessionLimitReached", 3)
    assert refusal["description"] == "Organization has reached the maximum of 5 concurrent 'webrtc' sessions."
    legacy = _per_session(platform, key(), {"companionId": agent["companionId"]})
    assert legacy.status_code == 409 and error_of(legacy)["code"] == "ConcurrentSessionLimitReached"
    websocket_key = key()
    websocket = requests.post(
        platform.url(f"/public/agents/{agent['id']}/connections"),
        json={"channelType": "websocket"},
        headers=websocket_key.headers,
        timeout=T,
    )
    assert websocket.status_code == 201, websocket.text  # the other transport has its own five
    _end(platform, websocket_key, websocket.json()["connection"]["id"])

    first, first_key = opened.pop(0)
    _end(platform, first_key, first.json()["connection"]["id"])
    again_key = key()
    again = _connect(platform, again_key, agent["id"])
    assert again.status_code == 201, again.text
    for response, owner in [*opened, (again, again_key)]:
        _end(platform, owner, response.json()["connection"]["id"])


def test_a_per_session_webrtc_connection_carries_its_configuration_and_stores_no_agent(
    platform, project_key, project_key_factory
):
    faq = create(
        platform,
        project_key,
        "/public/faqs",
        {"name": "Hours", "faqs": [{"question": "When are you open?", "answer": "Every day from 9 to 17."}]},
    )
    companion, _ = _companion_with_avatar(platform, project_key, defaultView="silhouette")
    before = requests.get(platform.url("/public/agents"), headers=project_key.headers, timeout=T).json()
    # The published example body (docs: migrations, "From Per-Session Connections to Omniagent").
    response = _per_session(
        platform,
        project_key,
        {
            "companionId": companion["id"],
            "language": "English",
            "faqCollections": [faq["id"]],
            "providerConfig": {"voiceId": "alloy", "settings": {"temperature": 0.7}},
            "externalClientId": "legacy-1",
            "tags": {"page": "pricing"},
        },
    )
    assert response.status_code == 201, response.text
    answer = response.json()
    token = token_of(answer)
    assert set(token) == TOKEN_FIELDS
    assert (token["channelType"], token["sessionId"]) == ("webrtc", answer["connection"]["id"])
    assert (token["companion"]["id"], token["companion"]["name"]) == (companion["id"], "Ava Stone")
    assert token["view"] == "silhouette"
    assert (token["videoPolicy"], token["useGreenVideo"]) == ("required", False)  # no channel config
    assert token["disclaimer"] == {"enabled": True, "text": "This is an AI-generated avatar"}
    with SessionClient(answer) as client:
        client.receive_until("avatar_state_changed", state="ready")
        assert client.ask("what are your opening hours") == "Every day from 9 to 17."
        client.end()
    session = _session(platform, project_key, client.session_id)
    assert (session["sessionType"], session["agentId"], session["tags"]) == (
        "webrtc",
        None,
        {"page": "pricing"},
    )
    after = requests.get(platform.url("/public/agents"), headers=project_key.headers, timeout=T).json()
    assert after["totalCount"] == before["totalCount"]  # nothing persisted as an agent

    bad_bodies = [
        ({}, "companionId"),
        ({"companionId": "comp_missing", "functions": ["fn_missing"]}, "companionId"),
        ({"companionId": companion["id"], "modality": "video"}, "modality"),
        ({"companionId": companion["id"], "externalClientId": "not an id!"}, "externalClientId"),
        ({"companionId": companion["id"], "providerConfig": {"settings": {"temperature": 9}}}, None),
    ]
    for body, field in bad_bodies:
        bad = _per_session(platform, project_key_factory(), body)
        assert bad.status_code == 400, (body, bad.text)
        refusal = error_of(bad)
        assert refusal["code"] == "ValidationFailed"
        if field is not None:
            assert field in {d["field"] for d in refusal["details"]}, refusal
    unreadable = requests.post(
        platform.url("/public/connections"),
        data="{not json",
        headers={**project_key_factory().headers, "Content-Type": "application/json"},
        timeout=T,
    )
    assert unreadable.status_code == 400 and error_of(unreadable)["code"] == "ValidationFailed"


def test_unavailable_channels_and_bad_webrtc_bodies_are_400(platform, project_key, project_key_factory):
    agent = new_agent(platform, project_key)
    for body, field in [
        ({"channelType": "sip"}, "destination"),  # sip is an outbound call: test_outbound_calls.py
        ({"channelType": "voip"}, "channelType"),
        ({"channelType": "pigeon"}, "channelType"),
        ({"channelType": "webrtc", "modality": "video"}, "modality"),
        ({"channelType": "webrtc", "externalClientId": "x" * 33}, "externalClientId"),
    ]:
        refused = requests.post(
            platform.url(f"/public/agents/{agent['id']}/connections"),
            json=body,
            headers=project_key_factory(
                organization_id=project_key.organization_id, project_id=project_key.project_id
            ).headers,
            timeout=T,
        )
        assert refused.status_code == 400, (body, refused.text)
        assert [d["field"] for d in error_of(refused)["details"]] == [field], refused.text
    missing = _connect(platform, project_key, "agent_missing")
    assert missing.status_code == 404 and error_of(missing)["code"] == "AgentNotFound"


SPEECH_KEY = "speech-key-0123456789abcdef"


@pytest.fixture
def speech_avatar():
    with FakeSpeechAvatar(SPEECH_KEY) as fake:
        yield fake


def _live_seats(platform, organization_id: str) -> int:
    rosters = TableRepository(table_service(platform.settings.storage), SESSION_ROSTERS_TABLE, SessionRoster)
    try:
        return len(rosters.get(organization_id, "webrtc").entity.seats)
    except NotFound:
        return 0


def test_the_speech_avatar_credentials_are_minted_per_webrtc_connection_and_a_failure_refuses_it(
    platform, own_platform_factory, project_key_factory, speech_avatar, tmp_path
):
    host = own_platform_factory(
        OMNI_SPEECH_AVATAR_REGION="westus2",
        OMNI_SPEECH_AVATAR_ENDPOINT=speech_avatar.endpoint,
        OMNI_SPEECH_AVATAR_KEY=SPEECH_KEY,
        OMNI_SPEECH_AVATAR_CHARACTER="harry",
        OMNI_SPEECH_AVATAR_STYLE="business",
    )
    key = project_key_factory()
    agent = new_agent(platform, key)

    def connect(channel_type: str = "webrtc", with_key=None):
        return requests.post(
            host.url(f"/public/agents/{agent['id']}/connections"),
            json={"channelType": channel_type},
            headers=(
                with_key
                or project_key_factory(organization_id=key.organization_id, project_id=key.project_id)
            ).headers,
            timeout=T,
        )

    first = connect(with_key=key)
    assert first.status_code == 201, first.text
    token = token_of(first.json())
    assert token["speechAvatar"] == {
        "region": "westus2",
        "endpoint": speech_avatar.endpoint,
        "authToken": speech_avatar.issued_tokens[-1],
        "iceServers": [{"urls": RELAY_URLS, "username": "relay-user", "credential": "relay-password-1"}],
        "character": "harry",
        "style": "business",
        "voice": "en-US-AvaMultilingualNeural",
    }
    assert speech_avatar.calls == [
        ("POST", "/sts/v1.0/issueToken", SPEECH_KEY),
        ("GET", "/tts/cognitiveservices/avatar/relay/token/v1", SPEECH_KEY),
    ]
    assert SPEECH_KEY not in first.text and SPEECH_KEY not in str(token)

    websocket = connect("websocket")
    assert websocket.status_code == 201, websocket.text
    assert "speechAvatar" not in token_of(websocket.json())  # the websocket token stays as it is
    assert len(speech_avatar.calls) == 2  # and costs no Speech call

    sessions_before = requests.get(host.url("/public/sessions"), headers=key.headers, timeout=T).json()
    for status in (500, 401):  # the service failing, then refusing the key
        speech_avatar.fail_with(status)
        refused = connect()
        assert refused.status_code == 503, refused.text
        body = refused.json()
        assert (body["code"], body["numericType"]) == ("SpeechAvatarUnavailable", 0)
        assert f"answered {status}" in body["description"] and SPEECH_KEY not in refused.text
        assert refused.headers["Retry-After"] == "5"
    assert [path for _, path, _ in speech_avatar.calls[2:]] == [
        "/sts/v1.0/issueToken",  # a 5xx is tried once more
        "/sts/v1.0/issueToken",
        "/sts/v1.0/issueToken",  # a refusal is not
    ]
    sessions_after = requests.get(host.url("/public/sessions"), headers=key.headers, timeout=T).json()
    assert sessions_after["totalCount"] == sessions_before["totalCount"] == 2  # nothing recorded
    assert _live_seats(platform, key.organization_id) == 1  # the refused connections' seats are free

    speech_avatar.fail_with(None)
    again = connect()
    assert again.status_code == 201, again.text
    assert token_of(again.json())["speechAvatar"]["authToken"] == speech_avatar.issued_tokens[-1]
    for answer in (first, again, websocket):
        _end(host, key, answer.json()["connection"]["id"])  # DevHost.url as the platform's
    logs = "".join(path.read_text(errors="replace") for path in tmp_path.rglob("*.log"))
    assert logs and SPEECH_KEY not in logs


def test_a_connection_may_set_its_own_inactivity_and_disclaimer_and_the_session_keeps_to_them(
    platform, project_key, project_key_factory
):
    """The Playground's advanced settings: the request's values replace the agent's for this session
    (the token shows them and the server warns and ends by them); a countdown not below the timeout is
    a 400 naming it, and nothing is started."""
    agent = new_agent(platform, project_key)
    before = _live_seats(platform, project_key.organization_id)
    refused = _connect(
        platform, project_key, agent["id"], inactivity={"timeoutSeconds": 10, "countdownSeconds": 10}
    )
    assert refused.status_code == 400, refused.text
    assert [d["field"] for d in error_of(refused)["details"]] == ["inactivity.countdownSeconds"]
    assert _live_seats(platform, project_key.organization_id) == before

    second_key = project_key_factory(  # connections are rate-limited per key: one per 5 s
        organization_id=project_key.organization_id, project_id=project_key.project_id
    )
    response = _connect(
        platform,
        second_key,
        agent["id"],
        modality="text",
        inactivity={"timeoutSeconds": 10, "countdownSeconds": 4},
        disclaimer={"enabled": True, "text": "Playground test: not a person"},
    )
    assert response.status_code == 201, response.text
    token = token_of(response.json())
    assert token["inactivity"] == {"enabled": True, "timeoutSeconds": 10, "countdownSeconds": 4}
    assert token["disclaimer"] == {"enabled": True, "text": "Playground test: not a person"}
    with SessionClient(response.json()) as client:
        warning = client.receive_until("inactivity_warning", timeout=T)[-1]
        assert warning["data"]["seconds_remaining"] == 4
        ended = client.receive_until("session_ended", timeout=T)[-1]
        assert ended["data"]["reason"] == "inactivity"
