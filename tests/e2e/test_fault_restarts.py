"""A devhost killed (SIGKILL) in the middle of work resumes it when it starts again: the orchestrations,
their progress and the transcript live in storage. Killed between two turns: test_session_restart.py.
Here: killed while a knowledge file is being embedded, and while the model is answering a turn.

The scripted model holds the request in flight until the test lets it go (a gate), so the kill lands
inside the work, not before or after it. Activities run at least once: the work in flight when the host
died runs again on restart, and its result is kept once."""

from __future__ import annotations

import signal
import threading

import requests

from shared.knowledge.ingestion import EMBED_BATCH_CHUNKS
from tests.e2e.builders import new_agent
from tests.e2e.session_client import SessionClient, open_connection
from tests.e2e.test_knowledge_files import _index, files_url, new_collection, search, wait_until_done
from tests.fakes.scripted_openai import RecordedRequest, TextReply, embedding_vector

T = 30
BATCH = EMBED_BATCH_CHUNKS  # chunks per embeddings request: the gate holds the second batch


def test_a_devhost_killed_mid_ingestion_finishes_the_file_after_restart(
    platform, own_platform_factory, project_key_factory, model
):
    host = own_platform_factory()
    key = project_key_factory(
        provider={
            "type": "openai-compatible",
            "baseUrl": model.base_url,
            "model": "gpt-scripted",
            "embeddingModel": "embed-1",
        }
    )
    embedded, held, gate = [0], threading.Event(), threading.Event()

    def embed(text: str, dimensions: int) -> list[float]:
        embedded[0] += 1
        if embedded[0] > BATCH and not gate.is_set():
            held.set()
            gate.wait(60)
        return embedding_vector(text, dimensions)

    model.embed_with(embed)
    kb = new_collection(host, key)
    text = "\n\n".join(
        f"## Topic {n}\n\n" + f"Item {n} is cared for with oil number {n}. " * 12 for n in range(80)
    )
    created = requests.post(
        files_url(host, kb), json={"text": text, "name": "care.md"}, headers=key.headers, timeout=T
    )
    assert created.status_code == 201, created.text
    assert held.wait(60), "ingestion never reached its second batch"

    host.kill(signal.SIGKILL)  # mid-ingestion: one batch embedded, the next one in flight
    gate.set()
    host.start()

    ready, _ = wait_until_done(host, key, kb, created.json()["id"], timeout=120)
    assert ready["status"] == "ready", ready
    assert ready["chunkCount"] > BATCH, ready
    with _index(platform) as index:  # every chunk once: the rerun replaced, not added
        assert index.count(key.project_id, kb, created.json()["id"]) == ready["chunkCount"]
    results = search(host, key, kb, "oil number 42")
    assert results and "oil number 42" in results[0]["text"]
    listed = requests.get(files_url(host, kb), headers=key.headers, timeout=T).json()
    assert [f["id"] for f in listed["items"]] == [created.json()["id"]]  # one file, not a second run's copy


def test_a_devhost_killed_mid_turn_answers_that_turn_after_restart(
    own_platform_factory, project_key_factory, model
):
    host = own_platform_factory()
    key = project_key_factory(provider=model.provider())
    agent = new_agent(host, key)
    in_flight, gate = threading.Event(), threading.Event()

    def answer(request: RecordedRequest) -> TextReply:
        question = request.messages[-1]["content"]
        if question == "What is the capital of France?":
            in_flight.set()
            gate.wait(60)  # the first attempt dies with the host; the rerun waits for the reconnect
            return TextReply("Paris.")
        return TextReply("You asked about France.")

    model.respond_with(answer)
    connection = open_connection(host, key, agent["id"])
    with SessionClient(connection) as client:
        client.receive_until("avatar_state_changed", state="ready")
        client.say("What is the capital of France?")
        assert in_flight.wait(T), "the turn never reached the model"
        host.kill(signal.SIGKILL)  # mid-turn: the model is answering
    host.start()  # the same port: the token's URL still points here

    with SessionClient(connection) as client:  # the same token, a new connection
        gate.set()
        assert client.reply()["content"] == "Paris."  # the turn in flight, run again after the restart
        assert client.ask("What did I ask?") == "You asked about France."
        assert client.end()["reason"] == "client"

    session = requests.get(
        host.url(f"/public/sessions/{connection['connection']['id']}"), headers=key.headers, timeout=T
    ).json()
    assert [item["text"] for item in session["conversation"]["items"]] == [
        "What is the capital of France?",
        "Paris.",
        "What did I ask?",
        "You asked about France.",
    ]
