"""Lexical retrieval over short texts (FAQ pairs, knowledge passages): no model, no I/O, deterministic.

- Terms: Unicode-normalised, accents and case folded, split on anything not a letter or digit, English
  stop words dropped, lightly stemmed (``deliveries``/``delivery``, ``shipping``/``shipped``/``ship``,
  ``takes``/``taking``/``take``). Runs of CJK characters become overlapping character pairs.
- Query terms also match their synonyms from a small table of customer-service words (``delivery`` ~
  ``shipping``, ``how long`` ~ ``times``, ``cost`` ~ ``price``; weight 0.8) and, when a term is not in
  the index at all, its closest indexed term by character trigrams (typos; weight = similarity x 0.9).
- Ranking: BM25 (k1 1.2, b 0.75) over weighted fields (a FAQ's question counts twice its answer).
- Acceptance: ``coverage``, the share of the query's terms that the document matches, each term
  weighted by how distinctive it is (0.5 for a term found in every document, 1 for one in none) and by
  the quality of its match. It is bounded (0..1) whatever the corpus, so one threshold works for three
  FAQs and for three thousand.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

K1 = 1.2
B = 0.5
SYNONYM_WEIGHT = 0.8
FUZZY_WEIGHT = 0.9
FUZZY_MIN_SIMILARITY = 0.7

_STOP_WORDS_TEXT = """
    a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing done down during each either few for from further get
    gets got had has have having he her here hers herself him himself his how i if in into is it its
    itself just me might more most must my myself no nor not of off on once only or other ought our ours
    ourselves out over own please same shall she should so some such tell than that the their theirs them
    themselves then there these they this those through to too under until up us very was we were what
    whats when where which while who whom why will with would you your yours yourself yourselves hi hello
    hey thanks thank ok okay im ive id dont cant wont isnt arent want wanted like need know let lets also
    yes s t
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

# Words customers use interchangeably. Kept short and domain-neutral on purpose: a wrong synonym makes
# a confident wrong answer, a missing one only a lower score.
SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    (
        "ship",
        "shipping",
        "shipment",
        "deliver",
        "delivery",
        "dispatch",
        "arrive",
        "arrival",
        "courier",
        "postage",
        "parcel",
        "package",
    ),
    ("time", "times", "day", "week", "duration", "soon", "quick", "fast"),
    ("cost", "price", "pricing", "fee", "charge", "expensive", "cheap", "pay"),
    ("refund", "return", "reimburse", "exchange"),
    ("cancel", "cancellation", "terminate", "unsubscribe"),
    ("contact", "reach", "phone", "call", "email", "support", "talk", "speak"),
    ("buy", "purchase", "order"),
    ("open", "opening", "hour", "close", "closing"),
    ("account", "profile", "login", "signin", "register", "signup"),
    ("password", "passcode", "pin", "credential"),
    ("location", "located", "address", "store", "branch"),
    ("problem", "issue", "error", "broken", "wrong", "fault", "defect", "damage", "damaged"),
    ("warranty", "guarantee"),
    ("discount", "coupon", "promo", "promotion", "voucher"),
    ("change", "modify", "update", "edit", "amend", "reset"),
    ("international", "internationally", "abroad", "overseas", "worldwide", "country", "countries"),
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "weekend", "weekday"),
    ("track", "tracking", "trace", "status"),
)

# Phrases that mean one thing, rewritten before splitting into words (on folded text).
PHRASES: tuple[tuple[str, str], ...] = (
    ("how long", "time"),
    ("how much", "cost"),
    ("money back", "refund"),
    ("send back", "return"),
    ("send it back", "return"),
    ("bring back", "return"),
    ("phone number", "phone"),
    ("email address", "email"),
    ("get in touch", "contact"),
    ("sign in", "signin"),
    ("log in", "login"),
    ("sign up", "signup"),
)
_PHRASE = re.compile(r"\b(" + "|".join(re.escape(phrase) for phrase, _ in PHRASES) + r")\b")
_PHRASE_MEANING = dict(PHRASES)
_WORD = re.compile(r"[^\W_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_SENTENCE_END = re.compile(r"(?<=[.!?\u3002\uff01\uff1f])\s+")


def fold(text: str) -> str:
    """Compatibility-normalised, accents removed, case folded."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def stem(word: str) -> str:
    """A light English suffix stripper, applied alike to documents and queries (consistency matters
    more than linguistic accuracy)."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("ing") and len(word) >= 6:
        word = _undouble(word[:-3])
    elif word.endswith("ed") and len(word) >= 5:
        word = _undouble(word[:-2])
    elif word.endswith("es") and word[:-2].endswith(("x", "ch", "sh", "ss", "z")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ly") and len(word) >= 6:
        word = word[:-2]
    if word.endswith("e") and len(word) >= 4:
        word = word[:-1]
    return word


def _undouble(word: str) -> str:
    if len(word) >= 3 and word[-1] == word[-2] and word[-1] not in "aeioulsz":
        return word[:-1]
    return word


def terms(text: str) -> list[str]:
    """The index terms of ``text``, in order (repeats kept)."""
    found: list[str] = []
    folded = _PHRASE.sub(lambda match: _PHRASE_MEANING[match.group(1)], " ".join(fold(text).split()))
    for word in _WORD.findall(folded):
        if _CJK.search(word):
            found.extend(word[i : i + 2] for i in range(max(1, len(word) - 1)))
        elif word not in STOP_WORDS and (len(word) > 1 or word.isdigit()):
            found.append(stem(word))
    return found


def _synonym_table() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for group in SYNONYM_GROUPS:
        stems = {stem(fold(word)) for word in group}
        for member in stems:
            table.setdefault(member, set()).update(stems - {member})
    return {key: frozenset(value) for key, value in table.items()}


SYNONYMS = _synonym_table()


def trigrams(term: str) -> frozenset[str]:
    padded = f"^{term}$"
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the two terms' character trigrams (1 = identical)."""
    grams_a, grams_b = trigrams(a), trigrams(b)
    if not grams_a or not grams_b:
        return 0.0
    return 2 * len(grams_a & grams_b) / (len(grams_a) + len(grams_b))


@dataclass(frozen=True)
class Field:
    text: str
    weight: float = 1.0


@dataclass(frozen=True)
class Hit:
    index: int  # the document's position in the corpus
    score: float  # BM25, for ranking
    coverage: float  # 0..1, for acceptance


class TextIndex:
    """BM25 over documents made of weighted fields."""

    def __init__(self, documents: Sequence[Sequence[Field]]) -> None:
        self._tf: list[dict[str, float]] = []
        self._length: list[float] = []
        df: Counter[str] = Counter()
        for fields in documents:
            counts: dict[str, float] = {}
            for field in fields:
                for term in terms(field.text):
                    counts[term] = counts.get(term, 0.0) + field.weight
            self._tf.append(counts)
            self._length.append(float(sum(counts.values())))
            df.update(counts.keys())
        self._df = df
        self._count = len(documents)
        self._average_length = (sum(self._length) / self._count) if self._count else 0.0
        self._idf_max = self.idf(0)

    def __len__(self) -> int:
        return self._count

    def idf(self, document_frequency: int) -> float:
        n = self._count
        return math.log(1 + (n - document_frequency + 0.5) / (document_frequency + 0.5))

    def _weight(self, term: str) -> float:
        """How much a query term counts towards coverage: 0.5 when every document has it, 1 when
        none has."""
        if self._idf_max <= 0:
            return 1.0
        return 0.5 + 0.5 * self.idf(self._df.get(term, 0)) / self._idf_max

    def expand(self, term: str) -> dict[str, float]:
        """The indexed terms that stand for a query term, with the quality of each match."""
        matches: dict[str, float] = {}
        if term in self._df:
            matches[term] = 1.0
        for synonym in sorted(SYNONYMS.get(term, ())):
            if synonym in self._df:
                matches.setdefault(synonym, SYNONYM_WEIGHT)
        if not matches and len(term) >= 4 and not term.isdigit():
            best, best_similarity = "", 0.0
            for candidate in sorted(self._df):
                if abs(len(candidate) - len(term)) > 3:
                    continue
                value = similarity(term, candidate)
                if value > best_similarity:
                    best, best_similarity = candidate, value
            if best_similarity >= FUZZY_MIN_SIMILARITY:
                matches[best] = best_similarity * FUZZY_WEIGHT
        return matches

    def search(self, query: str) -> list[Hit]:
        """Documents matching at least one query term, best first (ties: corpus order).

        A query term and its synonyms count as one term (their frequencies added, weighted by match
        quality; the term's rarity taken from the documents holding any of them), so a rare synonym
        does not outrank the common word the question actually used."""
        query_terms = list(dict.fromkeys(terms(query)))
        if not query_terms or not self._count:
            return []
        expansions = [(self._weight(term), self.expand(term)) for term in query_terms]
        total_weight = sum(weight for weight, _ in expansions)
        idfs = [
            self.idf(sum(1 for tf in self._tf if any(term in tf for term in matches)))
            for _, matches in expansions
        ]
        hits: list[Hit] = []
        for index, tf in enumerate(self._tf):
            score = 0.0
            covered = 0.0
            norm = K1 * (1 - B + B * self._length[index] / (self._average_length or 1.0))
            for (weight, matches), idf in zip(expansions, idfs, strict=True):
                frequency = sum(quality * tf.get(term, 0.0) for term, quality in matches.items())
                if not frequency:
                    continue
                score += idf * frequency * (K1 + 1) / (frequency + norm)
                covered += weight * max(quality for term, quality in matches.items() if term in tf)
            if score > 0:
                hits.append(Hit(index=index, score=score, coverage=covered / total_weight))
        hits.sort(key=lambda hit: (-hit.score, hit.index))
        return hits


def best_sentences(text: str, query: str, *, limit: int = 400) -> str:
    """The sentences of ``text`` that share most terms with ``query`` (in their original order),
    at most about ``limit`` characters; the whole text when it is short."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    sentences = [sentence for sentence in _SENTENCE_END.split(text) if sentence]
    wanted = set(terms(query))
    expanded = wanted | {synonym for term in wanted for synonym in SYNONYMS.get(term, ())}
    ranked = sorted(
        range(len(sentences)),
        key=lambda i: (-len(expanded & set(terms(sentences[i]))), i),
    )
    chosen: list[int] = []
    used = 0
    for i in ranked:
        if chosen and used + len(sentences[i]) > limit:
            break
        chosen.append(i)
        used += len(sentences[i]) + 1
    picked = " ".join(sentences[i] for i in sorted(chosen))
    return picked if len(picked) <= limit * 2 else picked[: limit * 2 - 1].rstrip() + "…"
