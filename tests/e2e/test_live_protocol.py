"""The published live protocol over real WebSockets, against the local stack and the scripted model:
streamed replies and their item chain, implicit functions, system messages, delayed messages versus
barge-in, set_settings, a client written from the published pages alone, and the prompt's window."""

from __future__ import annotations

import json
import math

from shared.models.window import DEFAULT_MAX_TOKENS, MAX_WINDOW_MESSAGES, MESSAGE_OVERHEAD_TOKENS
from tests.e2e.builders import new_agent, new_weather_function
from tests.e2e.session_client import SessionClient, events_named, message_of, open_connection
from tests.fakes.scripted_openai import RecordedRequest, TextReply

COUNTING = "One. Two. Three. Four. Five. Six. Seven. Eight. Nine. Ten."


def _text_session(platform, key, agent_id: str, **body) -> SessionClient:
    client = SessionClient(open_connection(platform, key, agent_id, modality="text", **body))
    client.receive_until("avatar_state_changed", state="ready")
    return client


def _until_reply(client: SessionClient) -> list[dict]:
    return client.receive_until("message_received", role="assistant", action="completed")


def _items(frames: list[dict]) -> list[dict]:
    return [message_of(f) for f in events_named(frames, "message_received")]


def test_typed_turns_stream_deltas_that_make_the_completed_message_and_chain_their_items(
    platform, model, model_key
):
    agent = new_agent(platform, model_key)
    model.reply_text("Lisbon is lovely in May.", chunks=4)
    model.reply_text("Pack light layers.", chunks=3)
    with _text_session(platform, model_key, agent["id"]) as client:
        client.say("Where should I travel in spring?")
        first = _items(_until_reply(client))
        client.say("What should I pack?")
        second = _items(_until_reply(client))
        client.end()

    for items, question, answer, pieces in (
        (first, "Where should I travel in spring?", "Lisbon is lovely in May.", 4),
        (second, "What should I pack?", "Pack light layers.", 3),
    ):
        user, *assistant = items
        assert (user["role"], user["action"], user["content"]) == ("user", "completed", question)
        # The model's pieces, or fewer: deltas that queued behind a frame in flight go as one.
        actions = [m["action"] for m in assistant]
        assert actions == ["delta"] * (len(actions) - 1) + ["completed"], actions
        assert 1 <= len(actions) - 1 <= pieces, actions
        assert "".join(m["content"] for m in assistant[:-1]) == assistant[-1]["content"] == answer
        assert all(m["role"] == "assistant" for m in assistant)
        assert len({(m["response_id"], m["item_id"]) for m in assistant}) == 1
        assert {m["previous_item_id"] for m in assistant} == {user["item_id"]}
        assert assistant[-1]["item_id"] != user["item_id"]
    assert first[0].get("previous_item_id") is None  # no greeting: the user's item opens the chain
    assert second[0]["previous_item_id"] == first[-1]["item_id"]
    assert first[-1]["response_id"] != second[-1]["response_id"]


def test_an_implicit_function_round_trip_and_a_missed_call_that_times_out(platform, model, model_key):
    function = new_weather_function(platform, model_key)
    agent = new_agent(platform, model_key, functions=[function["id"]])

    def answer_from_the_tool(request: RecordedRequest) -> TextReply:
        result = json.loads(request.messages[-1]["content"])
        if "error" in result:
            return TextReply("I could not get the weather.")
        return TextReply(f"It is {result['celsius']} degrees in Oslo.")

    model.reply_tool_calls([{"name": "get_weather", "arguments": {"city": "Oslo"}, "id": "call_1"}])
    model.respond_with(answer_from_the_tool)  # after the queued replies
    with _text_session(platform, model_key, agent["id"]) as client:
        client.say("Weather in Oslo?")
        call = client.receive_until("function_implicitly_called")[-1]["data"]
        assert call == {"call_id": "call_1", "name": "get_weather", "arguments": {"city": "Oslo"}}
        client.command("send_function_output", call_id="call_1", output=json.dumps({"celsius": 4}))
        assert client.reply()["content"] == "It is 4 degrees in Oslo."

        model.reply_tool_calls([{"name": "get_weather", "arguments": {"city": "Bergen"}, "id": "call_2"}])
        client.say("And in Bergen?")
        missed = client.receive_until("function_implicitly_called")[-1]["data"]
        assert (missed["call_id"], missed["arguments"]) == ("call_2", {"city": "Bergen"})
        frames = _until_reply(client)  # the client never answers call_2
        assert [f["data"] for f in events_named(frames, "function_call_timeout")] == [
            {"call_id": "call_2", "name": "get_weather"}
        ]
        assert message_of(frames[-1])["content"] == "I could not get the weather."
        client.end()

    tool_messages = [r.messages[-1] for r in model.chat_requests if r.messages[-1]["role"] == "tool"]
    assert [m["tool_call_id"] for m in tool_messages] == ["call_1", "call_2"]
    assert json.loads(tool_messages[0]["content"]) == {"celsius": 4}
    assert "timed out" in json.loads(tool_messages[1]["content"])["error"]


def test_a_system_message_is_silent_context_unless_it_asks_for_a_response(platform, model, model_key):
    agent = new_agent(platform, model_key)
    model.reply_text("Hello, Zed.")
    model.reply_text("Tea it is, Zed.")
    with _text_session(platform, model_key, agent["id"]) as client:
        client.command("send_message", role="system", text="The user is called Zed.", trigger_response=False)
        client.say("Hi!")
        absorbed = [m for m in _items(_until_reply(client)) if m["action"] != "delta"]
        assert [(m["role"], m["action"], m["content"]) for m in absorbed] == [
            ("user", "completed", "Hi!"),
            ("assistant", "completed", "Hello, Zed."),
        ]
        assert len(model.chat_requests) == 1  # the silent message asked the model nothing

        client.command("send_message", role="system", text="Zed prefers tea.", trigger_response=True)
        triggered = [m for m in _items(_until_reply(client)) if m["action"] != "delta"]
        assert [(m["role"], m["content"]) for m in triggered] == [("assistant", "Tea it is, Zed.")]
        client.end()

    first, second = model.chat_requests
    system = {"role": "system", "content": "The user is called Zed."}
    assert system in first.messages[1:]
    assert first.messages.index(system) < first.messages.index({"role": "user", "content": "Hi!"})
    assert second.messages[-1] == {"role": "system", "content": "Zed prefers tea."}
    assert system in second.messages[1:]


def test_a_delayed_message_waits_for_the_reply_and_an_undelayed_one_interrupts_it(platform, model, model_key):
    agent = new_agent(platform, model_key)
    model.reply_text(COUNTING, chunks=20, chunk_delay=0.2)
    model.reply_text("That was the count.")
    model.reply_text(COUNTING, chunks=20, chunk_delay=0.2)
    model.reply_text("Sure, stopping.")
    with _text_session(platform, model_key, agent["id"]) as client:
        client.say("Count to ten.")
        client.receive_until("message_received", role="assistant", action="delta")
        client.say("Then say you are done.", delay=True)
        waited = _items(_until_reply(client))
        assert waited[-1]["content"] == COUNTING
        assert not [m for m in waited if m["action"] == "cancelled"]
        assert "Then say you are done." not in [m["content"] for m in waited if m["role"] == "user"]
        after = [m for m in _items(_until_reply(client)) if m["action"] != "delta"]
        assert [(m["role"], m["content"]) for m in after] == [
            ("user", "Then say you are done."),
            ("assistant", "That was the count."),
        ]

        client.say("Count to ten again.")
        client.receive_until("message_received", role="assistant", action="delta")
        client.say("Stop!")
        cut = message_of(client.receive_until("message_received", role="assistant", action="cancelled")[-1])
        assert cut["reason"] == "turn_detected"
        assert COUNTING.startswith(cut["content"]) and cut["content"] != COUNTING
        answered = [m for m in _items(_until_reply(client)) if m["action"] != "delta"]
        assert [(m["role"], m["content"]) for m in answered] == [
            ("user", "Stop!"),
            ("assistant", "Sure, stopping."),
        ]
        client.end()

    delayed_request = model.chat_requests[1].messages
    assert delayed_request[-2:] == [
        {"role": "assistant", "content": COUNTING},
        {"role": "user", "content": "Then say you are done."},
    ]
    assert model.chat_requests[-1].messages[-1] == {"role": "user", "content": "Stop!"}


def test_set_settings_replaces_the_instructions_and_sets_the_temperature_of_the_next_request(
    platform, model, model_key
):
    agent = new_agent(platform, model_key, providerSettings={"instructions": "Speak like a pirate."})
    model.always_text("Okay.")
    with _text_session(platform, model_key, agent["id"]) as client:
        assert client.ask("Hello") == "Okay."
        client.command("set_settings", instructions="Answer in French.", temperature=0.3)
        assert client.ask("Hello again") == "Okay."
        client.end()

    before, after = model.chat_requests
    assert "Speak like a pirate." in before.system_prompt and before.body.get("temperature") != 0.3
    assert "Answer in French." in after.system_prompt and "pirate" not in after.system_prompt
    assert after.body["temperature"] == 0.3
    assert after.messages[-1] == {"role": "user", "content": "Hello again"}


def test_a_client_written_from_the_published_pages_alone_talks_to_the_local_stack(
    platform, model, model_key, capsys
):
    agent = new_agent(platform, model_key)
    model.reply_text("Hello from Omniagent.", chunks=3)
    api_url, api_key, agent_id = platform.host.base_url, model_key.key, agent["id"]

    # ---- the client: only what the published pages say (no project code) ----
    import asyncio
    import base64

    import requests
    import websockets

    async def talk(text: str) -> None:
        created = requests.post(
            f"{api_url}/public/agents/{agent_id}/connections",
            headers={"X-Api-Key": api_key},
            json={"channelType": "websocket"},
            timeout=30,
        )
        created.raise_for_status()
        token = json.loads(base64.b64decode(created.json()["token"]))
        async with websockets.connect(token["url"]) as ws:
            await ws.send(json.dumps({"type": "send_message", "data": {"role": "user", "text": text}}))
            async for raw in ws:
                frame = json.loads(raw)
                if frame["event"] != "message_received":
                    continue
                message = frame["data"]["message"]
                if message.get("role") == "assistant" and message.get("action") == "completed":
                    print(message["content"])
                    return

    asyncio.run(asyncio.wait_for(talk("Say hello."), timeout=60))
    # ---- end of the client ----

    assert capsys.readouterr().out == "Hello from Omniagent.\n"
    assert model.chat_requests[-1].messages[-1] == {"role": "user", "content": "Say hello."}


def test_the_prompt_stays_within_the_window_over_thirty_turns(platform, model, model_key):
    agent = new_agent(platform, model_key)
    turns = 30
    filler = " ".join(["and then we talked about the weather, the trains and the long summer evenings"] * 4)

    def answer(request: RecordedRequest) -> TextReply:
        return TextReply(f"Answer {len(model.chat_requests)}: {filler}")

    model.respond_with(answer)
    with _text_session(platform, model_key, agent["id"]) as client:
        for turn in range(turns):
            assert client.ask(f"Question {turn}: {filler}").startswith("Answer ")
        client.end()

    requests_made = model.chat_requests
    assert len(requests_made) == turns
    for request in requests_made:
        conversation = request.messages[1:]  # after the system prompt
        tokens = sum(MESSAGE_OVERHEAD_TOKENS + math.ceil(len(m["content"]) / 4) for m in conversation)
        assert len(conversation) <= MAX_WINDOW_MESSAGES and tokens <= DEFAULT_MAX_TOKENS, len(conversation)
    last = requests_made[-1].messages
    assert last[-1]["content"] == f"Question {turns - 1}: {filler}"
    assert len(last) - 1 < 2 * turns - 1  # older turns fell out of the window
    assert not any(m["content"].startswith("Question 0:") for m in last[1:])
    summary = requests_made[-1].system_prompt
    assert "Earlier in this conversation" in summary and "User: Question 0:" in summary  # folded, not lost
