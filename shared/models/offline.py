"""The embedded offline model: what a ``hosted`` key answers with when no hosted deployment exists.

It is not a language model and says so. It answers the last user message from the agent's own
material, by retrieval (``shared.models.retrieval``): the best matching FAQ pair gives its answer; the
best matching knowledge passage gives its most relevant sentences with a citation; below the
acceptance threshold it says plainly that no language model is configured and nothing matched.
Deterministic: the same material and question always give the same answer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from shared.models.events import Citation, ModelEvent, TextDelta, TurnFinished
from shared.models.messages import FaqEntry, KnowledgePassage, TurnRequest
from shared.models.retrieval import Field, TextIndex, best_sentences

DEFAULT_THRESHOLD = 0.5  # coverage (0..1) an answer needs; see retrieval.py
FAQ_PREFERENCE = 0.1  # a curated FAQ answer wins over a passage that matches about as well
NO_MODEL = "I don't have a language model configured, and I found nothing in my FAQs about that."
NO_MODEL_WITH_KNOWLEDGE = (
    "I don't have a language model configured, and I found nothing in my FAQs or knowledge about that."
)
NO_QUESTION = "I don't have a language model configured, so I can only answer questions covered by my FAQs."
QUESTION_WEIGHT = 2.0
ANSWER_WEIGHT = 1.0
TITLE_WEIGHT = 1.5


@dataclass(frozen=True)
class OfflineAnswer:
    text: str
    citations: tuple[Citation, ...] = ()
    faq: FaqEntry | None = None  # the pair answered from, if any
    coverage: float = 0.0


class EmbeddedOfflineModel:
    """A ``ModelProvider`` answering by retrieval. FAQs and passages given here are searched together
    with those of each request (``TurnRequest.faqs`` / ``.knowledge``)."""

    def __init__(
        self,
        faqs: Sequence[FaqEntry] = (),
        passages: Sequence[KnowledgePassage] = (),
        *,
        threshold: float = DEFAULT_THRESHOLD,
        deltas: int = 3,
    ) -> None:
        self.faqs = tuple(faqs)
        self.passages = tuple(passages)
        self.threshold = threshold
        self.deltas = max(1, deltas)

    def answer(
        self,
        question: str | None,
        faqs: Sequence[FaqEntry] = (),
        passages: Sequence[KnowledgePassage] = (),
    ) -> OfflineAnswer:
        all_faqs = (*self.faqs, *faqs)
        all_passages = (*self.passages, *passages)
        if not question or not question.strip():
            return OfflineAnswer(NO_QUESTION)
        documents = [
            [Field(faq.question, QUESTION_WEIGHT), Field(faq.answer, ANSWER_WEIGHT)] for faq in all_faqs
        ] + [[Field(p.title, TITLE_WEIGHT), Field(p.text, ANSWER_WEIGHT)] for p in all_passages]
        hits = [hit for hit in TextIndex(documents).search(question) if hit.coverage >= self.threshold]
        if not hits:
            return OfflineAnswer(NO_MODEL_WITH_KNOWLEDGE if all_passages else NO_MODEL)
        top_score = max(hit.score for hit in hits)

        def rank(hit_index: int) -> tuple[float, int]:
            hit = hits[hit_index]
            preference = FAQ_PREFERENCE if hit.index < len(all_faqs) else 0.0
            return (-(hit.coverage + preference + 0.25 * hit.score / top_score), hit.index)

        best = hits[min(range(len(hits)), key=rank)]
        if best.index < len(all_faqs):
            faq = all_faqs[best.index]
            return OfflineAnswer(faq.answer, faq=faq, coverage=best.coverage)
        passage = all_passages[best.index - len(all_faqs)]
        extract = best_sentences(passage.text, question)
        citation = Citation(
            index=1, document_id=passage.document_id, title=passage.title, chunk=passage.chunk, text=extract
        )
        text = f'From "{passage.title}": {extract} [1]' if passage.title else f"{extract} [1]"
        return OfflineAnswer(text, citations=(citation,), coverage=best.coverage)

    def stream_turn(self, request: TurnRequest) -> Iterator[ModelEvent]:
        result = self.answer(request.last_user_text(), request.faqs, request.knowledge)
        for piece in split_for_streaming(result.text, self.deltas):
            yield TextDelta(piece)
        yield TurnFinished(finish_reason="stop", citations=result.citations)


def split_for_streaming(text: str, parts: int) -> list[str]:
    """``text`` in about ``parts`` pieces cut after spaces; joined they give ``text`` back exactly."""
    if parts <= 1 or len(text) < parts * 2:
        return [text]
    pieces: list[str] = []
    start = 0
    for part in range(1, parts):
        target = len(text) * part // parts
        cut = text.find(" ", target)
        if cut == -1 or cut <= start:
            continue
        pieces.append(text[start : cut + 1])
        start = cut + 1
    pieces.append(text[start:])
    return [piece for piece in pieces if piece]
