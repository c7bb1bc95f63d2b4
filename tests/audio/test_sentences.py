"""split_sentences: whole sentences out of streamed text, each as soon as its end arrives; and the reply
spoken sentence by sentence, the first audio before the whole reply is written."""

from __future__ import annotations

import time
from collections.abc import Iterator

from shared.models import (
    OpenAIChatProvider,
    SystemMessage,
    TextDelta,
    TurnRequest,
    UserMessage,
    split_sentences,
)
from tests.audio.conftest import compatible_speech
from tests.fakes import ScriptedOpenAI
from tests.fakes.openai_fixtures import API_KEY, FakeSleep


def sentences(*deltas: str, **options: int) -> list[str]:
    return list(split_sentences(iter(deltas), **options))


def test_sentences_end_at_stops_questions_exclamations_and_line_breaks() -> None:
    assert sentences("Hello there. How are you? Great! Next line\nLast one") == [
        "Hello there.",
        "How are you?",
        "Great!",
        "Next line",
        "Last one",
    ]


def test_a_sentence_is_yielded_as_soon_as_its_end_arrives_before_later_deltas_are_read() -> None:
    read: list[str] = []

    def deltas() -> Iterator[str]:
        for delta in ("Hello th", "ere", ". How", " are", " you?", " Fine"):
            read.append(delta)
            yield delta

    stream = split_sentences(deltas())

    assert next(stream) == "Hello there."
    assert read == ["Hello th", "ere", ". How"]  # the space after the stop proved the end
    assert next(stream) == "How are you?"
    assert read[-1] == " Fine"
    assert list(stream) == ["Fine"]


def test_a_stop_at_the_end_of_a_delta_waits_for_what_follows_it() -> None:
    read: list[str] = []

    def deltas() -> Iterator[str]:
        for delta in ("It costs 3.", "5 euros.", " ", "Thanks", " a lot!", " Bye"):
            read.append(delta)
            yield delta

    stream = split_sentences(deltas())

    assert next(stream) == "It costs 3.5 euros."
    assert read == ["It costs 3.", "5 euros.", " ", "Thanks"]  # "3." was no end; "T" proved this one
    assert next(stream) == "Thanks a lot!"
    assert read[-1] == " Bye"  # "!" and a space are enough
    assert list(stream) == ["Bye"]


def test_abbreviations_decimals_initials_and_addresses_do_not_end_a_sentence() -> None:
    text = (
        "Bring a document, e.g. a passport, i.e. something official. "
        "It weighs 3.5 kg. Dr. Smith and J. R. Tolkien met at example.com today. "
        "Prices rose in the U.S. last year."
    )

    assert sentences(*[piece for word in text.split(" ") for piece in (word, " ")]) == [
        "Bring a document, e.g. a passport, i.e. something official.",
        "It weighs 3.5 kg.",
        "Dr. Smith and J. R. Tolkien met at example.com today.",
        "Prices rose in the U.S. last year.",
    ]


def test_ellipses_quotes_and_brackets_stay_with_their_sentence() -> None:
    assert sentences('She said "Wait here." Then... nothing. (Really?) Yes?! ', "OK") == [
        'She said "Wait here."',
        "Then... nothing.",
        "(Really?)",
        "Yes?!",
        "OK",
    ]


def test_a_numbered_list_keeps_its_numbers_with_their_items() -> None:
    assert sentences("1. Open the app.\n2. Sign in.\n") == ["1. Open the app.", "2. Sign in."]


def test_cjk_stops_end_a_sentence_without_a_space() -> None:
    assert sentences("\u4f60\u597d\u3002\u518d\u89c1\uff01", "\u597d") == [
        "\u4f60\u597d\u3002",
        "\u518d\u89c1\uff01",
        "\u597d",
    ]


def test_a_long_run_without_a_stop_is_cut_at_a_pause() -> None:
    words = ["word"] * 60
    text = ", ".join(words[:30]) + " and " + " ".join(words[30:])

    pieces = sentences(*[text[i : i + 7] for i in range(0, len(text), 7)], max_chars=100)

    assert all(len(piece) <= 100 for piece in pieces)
    assert " ".join(pieces) == text
    assert pieces[0].endswith(",")


def test_blank_text_yields_nothing_and_the_rest_comes_at_the_end() -> None:
    assert sentences("", "  ", "\n\n") == []
    assert sentences("No stop at all") == ["No stop at all"]


def test_the_first_sentence_is_spoken_before_the_model_has_written_the_reply(
    server: ScriptedOpenAI, sleep: FakeSleep
) -> None:
    reply = "Sure, I can help. Your order shipped yesterday. It arrives on Monday."
    server.reply_text(reply, chunks=6, chunk_delay=0.15)
    chat = OpenAIChatProvider.compatible(base_url=server.base_url, model="gpt-test", api_key=API_KEY)
    speech = compatible_speech(server, sleep)
    last_delta_at = 0.0

    def deltas() -> Iterator[str]:
        nonlocal last_delta_at
        request = TurnRequest(messages=(SystemMessage("You are Ada."), UserMessage("Where is my order?")))
        for event in chat.stream_turn(request):
            if isinstance(event, TextDelta):
                last_delta_at = time.monotonic()
                yield event.text

    audio = [(sentence, speech.synthesize(sentence, "coral")) for sentence in split_sentences(deltas())]

    assert [sentence for sentence, _ in audio] == [
        "Sure, I can help.",
        "Your order shipped yesterday.",
        "It arrives on Monday.",
    ]
    assert all(len(pcm) == len(sentence) * 800 * 2 for sentence, pcm in audio)
    first_speech = server.speeches[0]
    assert first_speech.input == "Sure, I can help."
    assert first_speech.received_at < last_delta_at
