"""The embedded offline model: answers by retrieval from FAQs and knowledge, and says when it cannot."""

from __future__ import annotations

import pytest

from shared.models import (
    EmbeddedOfflineModel,
    FaqEntry,
    KnowledgePassage,
    TextDelta,
    TurnFinished,
    TurnRequest,
    UserMessage,
)
from shared.models.offline import NO_MODEL, NO_MODEL_WITH_KNOWLEDGE, NO_QUESTION, split_for_streaming
from shared.models.retrieval import stem, terms

SHIPPING_TIMES = FaqEntry(
    "What are the shipping times?",
    "Delivery takes 3 to 5 business days within the EU and up to 10 days elsewhere.",
)
RETURNS = FaqEntry(
    "What is your return policy?", "You can return any unused item within 30 days for a full refund."
)
SHIPPING_COST = FaqEntry(
    "How much does shipping cost?", "Shipping is free on orders over 50 euros; otherwise it costs 4.95 euros."
)
HOURS = FaqEntry("What are your opening hours?", "Our shop is open Monday to Saturday from 9am to 6pm.")
PASSWORD = FaqEntry(
    "How do I reset my password?",
    "Click 'Forgot password' on the sign-in page and follow the link we email you.",
)
INTERNATIONAL = FaqEntry("Do you ship internationally?", "Yes, we ship to over 40 countries worldwide.")
CONTACT = FaqEntry(
    "How can I contact customer service?", "Call us at +1 555 0100 or write to help@example.com."
)
CANCEL = FaqEntry(
    "Can I cancel my order?", "Orders can be cancelled free of charge until they are dispatched."
)
FAQS = (SHIPPING_TIMES, RETURNS, SHIPPING_COST, HOURS, PASSWORD, INTERNATIONAL, CONTACT, CANCEL)

WARRANTY_TEXT = (
    "All Solara kettles come with a two-year manufacturer warranty. The warranty covers defects in "
    "materials and workmanship under normal household use. It does not cover limescale damage, drops or "
    "commercial use. To make a claim, keep your receipt and contact the retailer where you bought the "
    "kettle. Replacement parts such as filters and lids can be ordered separately from our spare parts "
    "catalogue, which lists every model since 2015 together with its part numbers and current prices."
)
PASSAGES = (
    KnowledgePassage(WARRANTY_TEXT, document_id="file_warranty", title="Warranty terms", chunk=2),
    KnowledgePassage(
        "The Solara K2 kettle holds 1.7 litres and boils a full jug in about four minutes at 2200 watts.",
        document_id="file_specs",
        title="K2 specifications",
        chunk=0,
    ),
)


def answer(
    question: str, faqs: tuple[FaqEntry, ...] = FAQS, passages: tuple[KnowledgePassage, ...] = ()
) -> str:
    model = EmbeddedOfflineModel()
    events = list(
        model.stream_turn(TurnRequest(messages=(UserMessage(question),), faqs=faqs, knowledge=passages))
    )
    assert isinstance(events[-1], TurnFinished)
    return "".join(event.text for event in events if isinstance(event, TextDelta))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how long does delivery take", SHIPPING_TIMES),
        ("How long will my package take to arrive?", SHIPPING_TIMES),
        ("I want my money back", RETURNS),
        ("what does postage cost", SHIPPING_COST),
        ("is delivery free?", SHIPPING_COST),
        ("when are you open", HOURS),
        ("Are you open on Sundays?", HOURS),
        ("I forgot my password", PASSWORD),
        ("how do I change my pasword", PASSWORD),  # a typo
        ("What's your phone number?", CONTACT),
        ("how do I reach support", CONTACT),
        ("I'd like to cancel my purchase", CANCEL),
        ("WHAT ARE THE SHIPPING TIMES???", SHIPPING_TIMES),  # the question itself, shouted
    ],
)
def test_paraphrased_questions_get_the_matching_faq_answer(question: str, expected: FaqEntry) -> None:
    assert answer(question) == expected.answer


@pytest.mark.parametrize(
    "question",
    [
        "Do you sell gift cards?",
        "What is the meaning of life?",
        "Who won the football game yesterday?",
        "Can I pay with bitcoin?",
        "Do you deliver to Canada?",  # half a match is not an answer
        "hello",
        "tell me a joke",
    ],
)
def test_questions_the_faqs_do_not_cover_get_the_plain_no_model_answer(question: str) -> None:
    assert answer(question) == NO_MODEL


def test_the_no_model_answer_says_plainly_that_no_language_model_is_configured() -> None:
    assert "don't have a language model configured" in NO_MODEL
    assert "FAQs" in NO_MODEL


def test_with_knowledge_the_best_passage_answers_with_a_citation() -> None:
    model = EmbeddedOfflineModel()
    request = TurnRequest(
        messages=(UserMessage("Is limescale damage covered by the guarantee?"),),
        faqs=FAQS,
        knowledge=PASSAGES,
    )

    events = list(model.stream_turn(request))

    text = "".join(event.text for event in events if isinstance(event, TextDelta))
    finished = events[-1]
    assert isinstance(finished, TurnFinished)
    assert text.startswith('From "Warranty terms": ')
    assert "does not cover limescale damage" in text
    assert text.endswith("[1]")
    assert len(text) < len(WARRANTY_TEXT)  # the relevant sentences, not the whole passage
    (citation,) = finished.citations
    assert (citation.index, citation.document_id, citation.title, citation.chunk) == (
        1,
        "file_warranty",
        "Warranty terms",
        2,
    )
    assert "limescale" in citation.text
    assert citation.to_wire()["documentId"] == "file_warranty"


def test_a_second_passage_is_found_by_its_own_words() -> None:
    text = answer("how many litres does the K2 hold?", passages=PASSAGES)

    assert "1.7 litres" in text and text.endswith("[1]")


def test_a_matching_faq_is_preferred_to_a_passage_and_has_no_citation() -> None:
    model = EmbeddedOfflineModel()
    request = TurnRequest(
        messages=(UserMessage("how long does delivery take"),), faqs=FAQS, knowledge=PASSAGES
    )

    events = list(model.stream_turn(request))

    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == SHIPPING_TIMES.answer
    assert isinstance(events[-1], TurnFinished) and events[-1].citations == ()


def test_with_knowledge_the_no_model_answer_mentions_it() -> None:
    assert answer("Do you sell gift cards?", passages=PASSAGES) == NO_MODEL_WITH_KNOWLEDGE


def test_without_any_material_every_question_gets_the_no_model_answer() -> None:
    assert answer("how long does delivery take", faqs=()) == NO_MODEL


def test_no_user_message_is_answered_plainly() -> None:
    events = list(EmbeddedOfflineModel().stream_turn(TurnRequest(messages=())))

    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == NO_QUESTION


def test_only_the_last_user_message_is_answered() -> None:
    request = TurnRequest(
        messages=(UserMessage("When are you open?"), UserMessage("and how do I reset my password")), faqs=FAQS
    )

    events = list(EmbeddedOfflineModel().stream_turn(request))

    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == PASSWORD.answer


def test_the_answer_streams_in_a_few_deltas_that_join_exactly() -> None:
    events = list(
        EmbeddedOfflineModel(FAQS, deltas=3).stream_turn(TurnRequest(messages=(UserMessage("returns?"),)))
    )

    deltas = [event.text for event in events if isinstance(event, TextDelta)]
    assert len(deltas) == 3
    assert "".join(deltas) == RETURNS.answer
    assert events[-1] == TurnFinished(finish_reason="stop")


def test_answers_are_deterministic() -> None:
    model = EmbeddedOfflineModel(FAQS, PASSAGES)
    questions = ["is delivery free?", "limescale warranty", "gift cards?"]

    first = [model.answer(question) for question in questions]

    assert [model.answer(question) for question in questions] == first


def test_faqs_given_to_the_model_and_to_the_request_are_searched_together() -> None:
    model = EmbeddedOfflineModel(faqs=(HOURS,))

    assert model.answer("when do you open", faqs=(RETURNS,)).faq == HOURS
    assert model.answer("refund please", faqs=(RETURNS,)).faq == RETURNS


def test_accents_and_case_fold_and_other_languages_match_by_their_words() -> None:
    faqs = (FaqEntry("¿Cuál es el horario de atención?", "Atendemos de lunes a viernes, de 9 a 18 h."),)

    assert answer("horario de atencion", faqs=faqs) == faqs[0].answer


def test_terms_fold_case_punctuation_and_light_suffixes() -> None:
    assert terms("Deliveries, SHIPPED & shipping!") == ["delivery", "ship", "ship"]
    assert stem("takes") == stem("taking") == stem("take")
    assert terms("How long is it?") == ["tim"]  # "how long" is asked as a time


def test_split_for_streaming_keeps_the_text() -> None:
    text = "one two three four five six"
    assert "".join(split_for_streaming(text, 3)) == text
    assert split_for_streaming("short", 3) == ["short"]
