"""An agent with a knowledge collection answers from it and cites it, on the local stack: the embedded
offline model (no language model), and the scripted model (passages in the prompt, `search_knowledge`
for follow-ups, citations from the answer's `[n]`)."""

from __future__ import annotations

import json
from typing import Any

import requests

from tests.e2e.builders import new_agent
from tests.e2e.session_client import SessionClient, open_connection
from tests.e2e.test_knowledge_files import new_collection, upload_file, wait_until_done
from tests.knowledge.documents import HANDBOOK, Part, make_markdown

CATALOG = [
    Part(f"Kettle model K{n}", 1, [f"The K{n} kettle holds {n + 1} litres and boils in {n + 2} minutes."])
    for n in range(8)
] + [Part("Warranty", 1, ["Every kettle has a two year warranty covering the heating element."])]


def ready_collection(platform: Any, key: Any, name: str, data: bytes) -> tuple[str, str]:
    kb = new_collection(platform, key)
    file_id = upload_file(platform, key, kb, name, data).json()["id"]
    file, _ = wait_until_done(platform, key, kb, file_id)
    assert file["status"] == "ready", file
    assert file["title"] == "Shipping" or name != "handbook.md"  # a Markdown file's first heading
    return kb, file_id


def ask(platform: Any, key: Any, agent_id: str, question: str) -> dict[str, Any]:
    """The assistant's ``completed`` message (``data.message``) answering ``question``; the session's
    record shows the same citations on that answer's conversation item."""
    with SessionClient(open_connection(platform, key, agent_id)) as client:
        client.receive_until("avatar_state_changed", state="ready")
        client.say(question)
        message = client.reply()
        client.end()
    session = requests.get(
        platform.url(f"/public/sessions/{client.session_id}"), headers=key.headers, timeout=30
    ).json()
    [answer] = [i for i in session["conversation"]["items"] if i["text"] == message["content"]]
    assert answer["citations"] == [
        {**c, "text": c["text"] if len(c["text"]) <= 400 else c["text"][:399] + "…"}
        for c in message["citations"] or []
    ]
    return message


def test_the_offline_model_answers_from_an_uploaded_document_and_cites_it(platform, project_key):
    kb, file_id = ready_collection(platform, project_key, "handbook.md", make_markdown(HANDBOOK))
    agent = new_agent(platform, project_key, knowledgeBaseId=kb)
    message = ask(platform, project_key, agent["id"], "How long does delivery to Canada take?")
    assert "seven to ten business days" in message["content"]
    assert message["citations"], message
    citation = message["citations"][0]
    assert citation["documentId"] == file_id and citation["title"] == "Shipping"
    assert isinstance(citation["chunk"], int) and "Canada" in citation["text"]


def test_the_retrieved_passages_are_in_the_prompt_and_the_answer_cites_them(platform, model, model_key):
    kb, file_id = ready_collection(platform, model_key, "handbook.md", make_markdown(HANDBOOK))
    agent = new_agent(platform, model_key, knowledgeBaseId=kb)
    model.reply_text("Delivery to Canada takes seven to ten business days [1].")
    message = ask(platform, model_key, agent["id"], "How long does delivery to Canada take?")

    prompt = model.chat_requests[-1].system_prompt
    assert "## Knowledge" in prompt
    assert "[1] Shipping" in prompt and "seven to ten business days and costs 12 dollars" in prompt
    tools = [tool["function"]["name"] for tool in model.chat_requests[-1].body["tools"]]
    assert tools == ["search_knowledge"]
    assert [(c["index"], c["documentId"]) for c in message["citations"]] == [(1, file_id)]


def test_search_knowledge_answers_follow_ups_with_numbers_after_the_prompts(platform, model, model_key):
    kb, file_id = ready_collection(platform, model_key, "kettles.md", make_markdown(CATALOG))
    agent = new_agent(platform, model_key, knowledgeBaseId=kb)
    model.reply_tool_calls(
        [{"name": "search_knowledge", "arguments": {"query": "warranty heating element"}, "id": "k1"}]
    )
    model.reply_text("The warranty lasts two years [6]; the K3 boils in 5 minutes [1].")
    message = ask(platform, model_key, agent["id"], "Which kettle boils fastest, K3 kettle?")

    first_prompt = model.chat_requests[-2].system_prompt
    assert first_prompt.count("(document ") == 5  # five passages in the prompt
    tool_message = model.chat_requests[-1].messages[-1]
    found = json.loads(tool_message["content"])["passages"]
    assert found[0]["number"] == 6 and "two year warranty" in found[0]["text"]
    assert model.chat_requests[-1].system_prompt == first_prompt  # same passages, same numbers
    cited = {c["index"]: c for c in message["citations"]}
    assert set(cited) == {1, 6}
    assert cited[6]["documentId"] == file_id and "two year warranty" in cited[6]["text"]
