"""Sessions on the local stack: a plain WebSocket client, the session orchestrator, Web PubSub."""

from __future__ import annotations

import json

import jwt
import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.e2e.builders import create, new_agent, new_weather_function
from tests.e2e.conftest import error_of
from tests.e2e.session_client import SessionClient, events_named, message_of, open_connection, token_of

T = 30


def test_the_connection_token_carries_both_documented_forms(platform, project_key):
    agent = new_agent(platform, project_key)
    answer = open_connection(platform, project_key, agent["id"])
    token = token_of(answer)
    assert set(token) >= {"url", "authToken", "token", "connection", "expiresAt"}
    assert token["connection"] == {"id": answer["connection"]["id"]}
    assert answer["connection"]["id"].startswith("sess_")
    assert token["url"].startswith("ws://127.0.0.1:") and "access_token=" in token["url"]


def test_a_client_ends_its_session_and_the_end_is_recorded(platform, project_key):
    agent = new_agent(platform, project_key, greeting="Hi, I'm Ava.")
    answer = open_connection(platform, project_key, agent["id"], externalClientId="user-1")
    with SessionClient(answer) as client:
        opening = client.receive_until("avatar_state_changed", state="ready")
        assert [f["event"] for f in opening] == [
            "avatar_state_changed",
            "message_received",
            "avatar_state_changed",
        ]
        assert opening[0]["data"] == {"state": "preparing"}
        marker = message_of(opening[1])
        assert (marker["type"], marker["session_id"]) == ("session", client.session_id)
        greeting = client.reply()
        assert (greeting["role"], greeting["content"]) == ("assistant", "Hi, I'm Ava.")
        ended = client.end()
        assert ended == {"reason": "client", "billed_minutes": 1}

    session = requests.get(
        platform.url(f"/public/sessions/{client.session_id}"), headers=project_key.headers, timeout=T
    ).json()
    assert (
        session["status"],
        session["closeReason"],
        session["endReason"],
        session["externalClientId"],
        session["sessionType"],
    ) == ("closed", "client_closed", "client", "user-1", "websocket")
    ended_again = requests.post(
        platform.url(f"/public/sessions/{client.session_id}/end"), headers=project_key.headers, timeout=T
    )
    assert ended_again.status_code == 409
    assert error_of(ended_again)["code"] == "SessionEnded"


def test_a_bad_command_gets_an_error_event_and_the_session_goes_on(platform, project_key):
    agent = new_agent(platform, project_key)
    with SessionClient(open_connection(platform, project_key, agent["id"]), bearer=True) as client:
        client.receive_until("avatar_state_changed", state="ready")
        refusals = [
            ("this is not json", "InvalidJson"),
            ("[" * 50000, "InvalidJson"),  # nested too deeply for the parser
            ({"type": "dance"}, "UnknownCommand"),
            ({"type": "send_message", "data": {"role": "user"}}, "InvalidCommand"),
            ({"type": "send_audio", "data": {"audio": "not base64!"}}, "InvalidAudio"),
            ({"type": "send_audio", "data": {"audio": "AA=="}}, "InvalidAudio"),  # half a sample
            ({"type": "set_settings", "data": {"temperature": 9}}, "InvalidCommand"),
        ]
        for frame, code in refusals:
            client.send(frame)
            error = client.receive_until("error")[-1]
            assert error["data"]["code"] == code, error
        assert client.ask("hello") != ""
        assert client.end()["reason"] == "client"


def _ready(client: SessionClient) -> list[dict]:
    """The session's opening, up to ``avatar_state_changed {state: ready}``."""
    return client.receive_until("avatar_state_changed", state="ready")


def _talk(client: SessionClient, text: str) -> list[dict]:
    """Events of one typed turn, up to the assistant's ``completed`` message."""
    client.say(text)
    return client.receive_until("message_received", role="assistant", action="completed")


def _assistant(frames: list[dict], action: str) -> list[dict]:
    return [
        message_of(f)
        for f in events_named(frames, "message_received")
        if message_of(f).get("role") == "assistant" and message_of(f)["action"] == action
    ]


def test_a_conversation_streams_deltas_then_the_whole_message_and_keeps_the_transcript(
    platform, model, model_key
):
    companion = create(
        platform,
        model_key,
        "/public/companions",
        {"firstName": "Ava", "description": "A cheerful travel guide."},
    )
    agent = new_agent(
        platform,
        model_key,
        companionId=companion["id"],
        providerSettings={"instructions": "Keep answers short."},
    )
    model.reply_text("Lisbon is lovely in May.", chunks=4)
    model.reply_text("Pack light layers.", chunks=2)
    with SessionClient(open_connection(platform, model_key, agent["id"])) as client:
        _ready(client)
        first = _talk(client, "Where should I travel in spring?")
        deltas = [m["content"] for m in _assistant(first, "delta")]
        assert 1 <= len(deltas) <= 4 and "".join(deltas) == "Lisbon is lovely in May."  # joined when queued
        assert message_of(first[-1])["content"] == "Lisbon is lovely in May."
        replies = _assistant(first, "delta") + _assistant(first, "completed")
        assert len({m["response_id"] for m in replies}) == 1
        second = _talk(client, "What should I pack?")
        assert message_of(second[-1])["content"] == "Pack light layers."
        assert client.end()["reason"] == "client"

    prompt = model.chat_requests[-1].messages
    assert "Ava" in prompt[0]["content"] and "Keep answers short." in prompt[0]["content"]
    assert [m["content"] for m in prompt[1:]] == [
        "Where should I travel in spring?",
        "Lisbon is lovely in May.",
        "What should I pack?",
    ]
    session = requests.get(
        platform.url(f"/public/sessions/{client.session_id}"), headers=model_key.headers, timeout=T
    ).json()
    assert [(item["role"], item["text"]) for item in session["conversation"]["items"]] == [
        ("user", "Where should I travel in spring?"),
        ("agent", "Lisbon is lovely in May."),
        ("user", "What should I pack?"),
        ("agent", "Pack light layers."),
    ]


def test_without_a_model_the_agent_answers_from_its_faqs(platform, project_key):
    faq = create(
        platform,
        project_key,
        "/public/faqs",
        {
            "name": "Shop",
            "faqs": [
                {
                    "question": "What are your shipping times?",
                    "answer": "Orders arrive within 3 to 5 business days.",
                },
                {"question": "Can I return an item?", "answer": "Yes, within 30 days for a full refund."},
            ],
        },
    )
    agent = new_agent(platform, project_key, faqCollections=[faq["id"]])
    with SessionClient(open_connection(platform, project_key, agent["id"])) as client:
        _ready(client)
        answer = client.ask("how long does delivery take?")
        assert answer == "Orders arrive within 3 to 5 business days."
        unknown = client.ask("what is the capital of Peru?")
        assert "no language model" in unknown.lower() or "don't have a language model" in unknown


def test_an_implicit_tool_goes_to_the_client_and_its_result_to_the_model(platform, model, model_key):
    function = new_weather_function(platform, model_key)
    agent = new_agent(platform, model_key, functions=[function["id"]])
    model.reply_tool_calls([{"name": "get_weather", "arguments": {"city": "Oslo"}, "id": "call_1"}])
    model.reply_text("It is 4 degrees in Oslo.")
    with SessionClient(open_connection(platform, model_key, agent["id"])) as client:
        _ready(client)
        client.say("Weather in Oslo?")
        call = client.receive_until("function_implicitly_called")[-1]["data"]
        assert (call["call_id"], call["name"], call["arguments"]) == (
            "call_1",
            "get_weather",
            {"city": "Oslo"},
        )
        client.command("send_function_output", call_id="call_1", output={"celsius": 4})
        assert client.reply()["content"] == "It is 4 degrees in Oslo."
        client.end()

    tool_message = model.chat_requests[-1].messages[-1]
    assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == "call_1"
    assert json.loads(tool_message["content"]) == {"celsius": 4}
    session = requests.get(
        platform.url(f"/public/sessions/{client.session_id}"), headers=model_key.headers, timeout=T
    ).json()
    assert [(c["name"], c["arguments"], c["result"], c["error"]) for c in session["toolCalls"]] == [
        ("get_weather", {"city": "Oslo"}, {"celsius": 4}, None)
    ]


def test_rest_messages_and_tool_results_reach_the_session_like_frames(
    platform, model, model_key, project_key
):
    function = create(
        platform,
        model_key,
        "/public/functions",
        {
            "data": {
                "name": "lookup_order",
                "description": "Find an order.",
                "parameters": {"type": "object", "properties": {"id": {"type": "string"}}},
            },
            "flow": "implicit",
        },
    )
    agent = new_agent(platform, model_key, functions=[function["id"]])
    model.reply_tool_calls([{"name": "lookup_order", "arguments": {"id": "42"}, "id": "call_9"}])
    model.reply_text("Order 42 has shipped.")
    answer = open_connection(platform, model_key, agent["id"], externalClientId="buyer-7")
    session_url = platform.url(f"/public/sessions/{answer['connection']['id']}")
    with SessionClient(answer) as client:
        _ready(client)
        sent = requests.post(
            f"{session_url}/messages",
            json={"text": "Where is order 42?"},
            headers=model_key.headers,
            timeout=T,
        )
        assert sent.status_code == 202
        assert client.receive_until("function_implicitly_called")[-1]["data"]["call_id"] == "call_9"
        result = requests.post(
            f"{session_url}/tool-results",
            json={"callId": "call_9", "result": "shipped"},
            headers=model_key.headers,
            timeout=T,
        )
        assert result.status_code == 202
        assert client.reply()["content"] == "Order 42 has shipped."
        assert requests.post(f"{session_url}/end", headers=model_key.headers, timeout=T).status_code == 202
        assert client.receive_until("session_ended")[-1]["data"]["reason"] == "client"

    listed = requests.get(
        platform.url("/public/sessions"),
        params={"externalClientId": "buyer-7"},
        headers=model_key.headers,
        timeout=T,
    ).json()
    assert [s["id"] for s in listed["items"]] == [answer["connection"]["id"]]
    assert "conversation" not in listed["items"][0]  # lists leave the conversation out
    empty = requests.post(f"{session_url}/messages", json={"text": ""}, headers=model_key.headers, timeout=T)
    assert empty.status_code == 400
    foreign = requests.get(session_url, headers=project_key.headers, timeout=T)
    assert foreign.status_code == 404


def test_a_quiet_session_is_warned_then_ended_for_inactivity(platform, project_key):
    agent = new_agent(platform, project_key, inactivity={"timeoutSeconds": 10, "countdownSeconds": 4})
    with SessionClient(open_connection(platform, project_key, agent["id"])) as client:
        _ready(client)
        warning = client.receive(timeout=20)
        assert warning == {"event": "inactivity_warning", "data": {"seconds_remaining": 4}}
        ended = client.receive(timeout=20)
        assert (ended["event"], ended["data"]["reason"]) == ("session_ended", "inactivity")
    session = requests.get(
        platform.url(f"/public/sessions/{client.session_id}"), headers=project_key.headers, timeout=T
    ).json()
    assert (session["status"], session["closeReason"], session["billedMinutes"]) == (
        "closed",
        "idle_timeout",
        1,
    )


def test_forged_expired_and_ended_session_tokens_cannot_connect(platform, project_key):
    agent = new_agent(platform, project_key)
    answer = open_connection(platform, project_key, agent["id"])
    token = token_of(answer)
    base, _ = token["url"].split("?", 1)
    claims = jwt.decode(token["authToken"], options={"verify_signature": False})
    forged = jwt.encode(
        {**claims, "sub": "sess_someoneelse"}, "not-the-access-key-of-this-hub-at-all", algorithm="HS256"
    )
    expired = jwt.encode({**claims, "exp": 1}, "not-the-access-key-of-this-hub-at-all", algorithm="HS256")
    for bad in (forged, expired, "garbage"):
        with pytest.raises(InvalidStatus) as refused, connect(f"{base}?access_token={bad}", open_timeout=T):
            pass
        assert refused.value.response.status_code == 401

    with SessionClient(answer) as client:
        _ready(client)
        client.end()
    with pytest.raises(InvalidStatus) as after_end, connect(token["url"], open_timeout=T):
        pass
    assert after_end.value.response.status_code == 401


def test_a_per_session_websocket_connection_carries_its_whole_configuration(
    platform, project_key, project_key_factory
):
    faq = create(
        platform,
        project_key,
        "/public/faqs",
        {"name": "Hours", "faqs": [{"question": "When are you open?", "answer": "Every day from 9 to 17."}]},
    )
    companion = create(platform, project_key, "/public/companions", {"description": "A shop clerk."})
    before = requests.get(platform.url("/public/agents"), headers=project_key.headers, timeout=T).json()
    response = requests.post(
        platform.url("/public/ws-connections"),
        headers=project_key.headers,
        timeout=T,
        json={
            "companionId": companion["id"],
            "providerConfig": {"voiceId": "alloy", "settings": {"temperature": 0.2}},
            "faqCollections": [faq["id"]],
            "language": "en",
        },
    )
    assert response.status_code == 201, response.text
    with SessionClient(response.json()) as client:
        marker = message_of(_ready(client)[1])
        assert (marker["type"], marker["session_id"]) == ("session", client.session_id)
        assert client.ask("what are your opening hours") == "Every day from 9 to 17."
        client.end()
    session = requests.get(
        platform.url(f"/public/sessions/{client.session_id}"), headers=project_key.headers, timeout=T
    ).json()
    assert session["agentId"] is None  # a per-session connection has no agent
    after = requests.get(platform.url("/public/agents"), headers=project_key.headers, timeout=T).json()
    assert after["totalCount"] == before["totalCount"]  # nothing persisted as an agent

    bad = requests.post(
        platform.url("/public/ws-connections"),
        headers=project_key_factory().headers,  # connections: 1 per 5 s per key (published)
        timeout=T,
        json={"companionId": "comp_missing", "functions": ["fn_missing"]},
    )
    assert bad.status_code == 400
    assert {d["field"] for d in error_of(bad)["details"]} >= {"companionId", "functions[0]"}


def test_a_turn_that_cannot_run_ends_the_session_with_reason_error(platform, project_key):
    agent = new_agent(platform, project_key)
    answer = open_connection(platform, project_key, agent["id"])
    # The session's first turn (its opening) snapshots the agent: gone before the client connects,
    # that turn cannot run.
    deleted = requests.delete(
        platform.url(f"/public/agents/{agent['id']}"), headers=project_key.headers, timeout=T
    )
    assert deleted.status_code == 204
    with SessionClient(answer) as client:
        frames = client.receive_until("session_ended")
    assert {
        "event": "error",
        "data": {"code": "TurnFailed", "message": "The agent could not answer, and the session ends."},
    } in frames
    assert frames[-1]["data"]["reason"] == "error"
    session = requests.get(
        platform.url(f"/public/sessions/{client.session_id}"), headers=project_key.headers, timeout=T
    ).json()
    assert (session["status"], session["closeReason"], session["endReason"]) == ("failed", "error", "error")


def test_a_model_that_refuses_gets_an_error_frame_and_the_session_goes_on(platform, model, model_key):
    agent = new_agent(platform, model_key)
    model.reply_error(401, message="Incorrect API key provided: sk-abc***")
    model.reply_text("Back again.")
    with SessionClient(open_connection(platform, model_key, agent["id"])) as client:
        _ready(client)
        client.say("Hello?")
        frames = client.receive_until("error")
        error = frames[-1]["data"]
        assert error["code"] == "model_auth_failed" and "sk-abc" not in error["message"]
        [failed] = _assistant(frames, "failed")
        assert failed["error"] == "model_auth_failed"
        assert client.ask("Hello again?") == "Back again."
        client.end()


def test_memory_written_in_one_session_is_in_the_prompt_of_the_users_next_session(
    platform, model, model_key, project_key_factory
):
    agent = new_agent(platform, model_key)
    model.reply_text("Nice to meet you, Ada.")
    model.reply_text('{"summary": "Ada loves sailing.", "facts": ["The user is called Ada"]}')  # the folding
    with SessionClient(open_connection(platform, model_key, agent["id"], externalClientId="ada")) as client:
        _ready(client)
        assert client.ask("I am Ada and I love sailing.") == "Nice to meet you, Ada."
        client.end()

    memory = requests.get(
        platform.url(f"/public/companions/{agent['companionId']}/clients/ada/memory"),
        headers=model_key.headers,
        timeout=T,
    ).json()
    assert memory["summary"] == "Ada loves sailing."

    # The next session of the same user, through another key of the same project (1 connection / 5 s / key).
    second_key = project_key_factory(
        provider={"type": "openai-compatible", "baseUrl": model.base_url, "model": "gpt-scripted"},
        organization_id=model_key.organization_id,
        project_id=model_key.project_id,
    )
    model.reply_text("Fair winds, Ada!")
    with SessionClient(open_connection(platform, second_key, agent["id"], externalClientId="ada")) as client:
        _ready(client)
        client.ask("Any plans for the weekend?")
        client.end()
    prompts = [
        r.system_prompt
        for r in model.chat_requests
        if r.messages[-1]["content"] == "Any plans for the weekend?"
    ]
    assert len(prompts) == 1 and "Ada loves sailing." in prompts[0] and "The user is called Ada" in prompts[0]


def test_an_agent_without_memory_neither_reads_nor_writes_it(platform, model, model_key):
    agent = new_agent(platform, model_key, memory={"enabled": False})
    model.reply_text("Hello.")
    with SessionClient(open_connection(platform, model_key, agent["id"], externalClientId="bob")) as client:
        _ready(client)
        client.ask("I am Bob.")
        client.end()
    missing = requests.get(
        platform.url(f"/public/companions/{agent['companionId']}/clients/bob/memory"),
        headers=model_key.headers,
        timeout=T,
    )
    assert missing.status_code == 404
    assert len(model.chat_requests) == 1  # no folding call to the model
