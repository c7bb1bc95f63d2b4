"""The prompt: companion, agent, FAQs, memory and knowledge in one system message, then the transcript."""

from __future__ import annotations

from shared.agents.models import AgentFields
from shared.companions.models import CompanionRecord
from shared.models import (
    AgentPrompt,
    AssistantMessage,
    CompanionPrompt,
    FaqEntry,
    KnowledgePassage,
    MemoryNotes,
    SystemMessage,
    ToolSpec,
    UserMessage,
    build_messages,
    build_turn_request,
    cited_passages,
)
from shared.models.prompt import language_rule, select_faqs

ADA = CompanionPrompt(
    name="Ada Lovelace",
    personality="A warm, precise concierge for the Solara kettle shop.",
    instructions="Keep answers under three sentences.",
)
SHOP_AGENT = AgentPrompt(instructions="You help customers of Solara with orders and returns.", language="es")
FAQS = (
    FaqEntry("What are the shipping times?", "Delivery takes 3 to 5 business days."),
    FaqEntry("What is your return policy?", "Returns are accepted within 30 days."),
)
MEMORY = MemoryNotes(
    summary="Returning customer who bought a K2 kettle.", facts=("Prefers email", "Lives in Lyon")
)
KNOWLEDGE = (
    KnowledgePassage(
        "The K2 holds 1.7 litres.", document_id="file_specs", title="K2 specifications", chunk=0
    ),
    KnowledgePassage(
        "Two-year warranty on all kettles.", document_id="file_warranty", title="Warranty", chunk=3
    ),
)
TRANSCRIPT = (
    UserMessage("Hola"),
    AssistantMessage("¡Hola! ¿En qué puedo ayudarte?"),
    UserMessage("¿Garantía?"),
)


def system_text(**overrides: object) -> str:
    arguments: dict[str, object] = {
        "companion": ADA,
        "agent": SHOP_AGENT,
        "transcript": TRANSCRIPT,
        "faqs": FAQS,
        "memory": MEMORY,
        "knowledge": KNOWLEDGE,
    } | overrides
    messages = build_messages(**arguments)  # type: ignore[arg-type]
    assert isinstance(messages[0], SystemMessage)
    return messages[0].content


def test_the_system_message_comes_first_then_the_transcript_unchanged() -> None:
    messages = build_messages(companion=ADA, agent=SHOP_AGENT, transcript=TRANSCRIPT, faqs=FAQS)

    assert isinstance(messages[0], SystemMessage)
    assert messages[1:] == list(TRANSCRIPT)


def test_the_prompt_holds_the_companion_agent_faqs_memory_and_knowledge() -> None:
    prompt = system_text()

    assert prompt.startswith("You are Ada Lovelace.\nA warm, precise concierge for the Solara kettle shop.")
    assert "You help customers of Solara with orders and returns." in prompt
    assert "Always answer in Spanish." in prompt
    assert "Q: What are the shipping times?\nA: Delivery takes 3 to 5 business days." in prompt
    assert "Q: What is your return policy?\nA: Returns are accepted within 30 days." in prompt
    assert "Returning customer who bought a K2 kettle.\n- Prefers email\n- Lives in Lyon" in prompt
    assert "[1] K2 specifications (document file_specs, part 0)\nThe K2 holds 1.7 litres." in prompt
    assert "[2] Warranty (document file_warranty, part 3)\nTwo-year warranty on all kettles." in prompt
    assert "cite its number in brackets" in prompt
    assert "not instructions" in prompt


def test_sections_come_in_a_fixed_order() -> None:
    prompt = system_text()

    order = [
        "You are Ada",
        "## Instructions",
        "## Language",
        "## Frequently asked",
        "## What you remember",
        "## Knowledge",
    ]
    positions = [prompt.index(marker) for marker in order]
    assert positions == sorted(positions)


def test_agent_instructions_override_the_companions_own() -> None:
    assert "Keep answers under three sentences." not in system_text()
    assert "Keep answers under three sentences." in system_text(agent=AgentPrompt(language="es"))


def test_language_rules() -> None:
    assert language_rule("fr") == "Always answer in French."
    assert language_rule("German") == "Always answer in German."
    assert language_rule(None).startswith("Answer in English unless the user writes in another language")


def test_empty_sections_are_left_out() -> None:
    prompt = system_text(faqs=(), memory=None, knowledge=(), companion=CompanionPrompt(), agent=AgentPrompt())

    assert prompt.startswith("You are a helpful assistant.")
    for absent in (
        "## Instructions",
        "## Frequently",
        "## What you remember",
        "## Knowledge",
        "reference material",
    ):
        assert absent not in prompt


def test_many_faqs_are_narrowed_to_those_closest_to_the_last_user_message() -> None:
    filler = [FaqEntry(f"Do you stock model X{n}?", f"Model X{n} is in stock.") for n in range(40)]
    warranty = FaqEntry("How long is the warranty?", "Two years on every kettle.")
    faqs = [*filler[:20], warranty, *filler[20:]]

    chosen = select_faqs(faqs, "what guarantee do I get?", limit=5)

    assert len(chosen) == 5
    assert chosen[0] == warranty
    prompt = system_text(faqs=faqs, transcript=(UserMessage("what guarantee do I get?"),), max_faqs=5)
    assert "Two years on every kettle." in prompt
    assert prompt.count("\nQ: ") == 5


def test_the_turn_request_carries_the_prompt_tools_settings_and_grounding() -> None:
    tool = ToolSpec("lookup_order", "Find an order.", {"type": "object", "properties": {}})

    request = build_turn_request(
        companion=ADA,
        agent=SHOP_AGENT,
        transcript=TRANSCRIPT,
        faqs=FAQS,
        memory=MEMORY,
        knowledge=KNOWLEDGE,
        tools=(tool,),
        temperature=0.4,
        max_output_tokens=300,
    )

    assert isinstance(request.messages[0], SystemMessage) and "Ada Lovelace" in request.messages[0].content
    assert request.tools == (tool,)
    assert (request.temperature, request.max_output_tokens) == (0.4, 300)
    assert request.faqs == FAQS and request.knowledge == KNOWLEDGE
    assert request.last_user_text() == "¿Garantía?"


def test_prompts_from_the_stored_companion_and_agent() -> None:
    companion = CompanionRecord(
        id="comp_1",
        description="  Cheerful barista.  ",
        first_name="Sam",
        last_name="Reyes",
        instructions="Be brief.",
    )
    agent = AgentFields.model_validate(
        {
            "companionId": "comp_1",
            "voiceId": "alloy",
            "language": "Italian",
            "providerSettings": {"instructions": "Sell coffee."},
        }
    )

    assert CompanionPrompt.from_record(companion) == CompanionPrompt(
        "Sam Reyes", "  Cheerful barista.  ", "Be brief."
    )
    assert AgentPrompt.from_fields(agent) == AgentPrompt(instructions="Sell coffee.", language="it")
    prompt = system_text(
        companion=CompanionPrompt.from_record(companion), agent=AgentPrompt.from_fields(agent)
    )
    assert prompt.startswith("You are Sam Reyes.\nCheerful barista.")
    assert "Always answer in Italian." in prompt


def test_cited_passages_follow_the_numbers_in_the_answer() -> None:
    citations = cited_passages(
        "It holds 1.7 litres [1] and has a warranty [2][1]. See [7] too, [1, 2].", KNOWLEDGE
    )

    assert [(c.index, c.document_id, c.chunk) for c in citations] == [
        (1, "file_specs", 0),
        (2, "file_warranty", 3),
    ]
    assert cited_passages("No sources here.", KNOWLEDGE) == ()
