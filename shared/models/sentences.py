"""``split_sentences`` cuts a streamed answer into sentences, so each can be spoken as soon as it is whole."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

_ENDINGS = ".!?…"
_WIDE_ENDINGS = "\u3002\uff01\uff1f"  # ideographic full stop, fullwidth ! and ?: no space after them
_CLOSERS = "\"')]}\u00bb\u201d\u2019"  # quotes, brackets, closing guillemet and curly quotes
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "approx", "fig", "dept", "inc", "ltd", "co"}
)
DEFAULT_MAX_SENTENCE = 300  # characters: a longer run without an ending is cut at a pause


def split_sentences(text_stream: Iterable[str], max_chars: int = DEFAULT_MAX_SENTENCE) -> Iterator[str]:
    """Whole sentences of a streamed text, each yielded as soon as its end has arrived, then the rest.

    A sentence ends at ``.``, ``!``, ``?`` or ``…`` (with any closing quotes or brackets) followed by
    a space, at a line break, or at the CJK full stop, exclamation and question marks. Not an end: a
    decimal point (``3.5``), a dot inside a word (``example.com``), abbreviations (``e.g.``, ``i.e.``,
    ``U.S.``, ``Dr.``, initials like ``J.``), a list number at the start (``1. ``), a stop or ellipsis
    followed by a lowercase word (``Then... nothing.``). Since an end is only known once what follows
    it is seen (a space, and for ``.`` the next word's first letter), a sentence is yielded as soon as
    that has arrived, or when the stream ends. A run longer than ``max_chars`` without an end is cut
    at its last comma, semicolon, colon or space, so a long sentence does not hold back the first
    audio. Yielded sentences are stripped, never empty."""
    buffer = ""
    scan = 0  # what is before this index holds no sentence end
    for delta in text_stream:
        if not delta:
            continue
        buffer += delta
        while True:
            end, scan = _sentence_end(buffer, scan)
            if end is None:
                break
            sentence = buffer[:end].strip()
            buffer = buffer[end:]
            scan = 0
            if sentence:
                yield sentence
        while len(buffer.strip()) > max_chars:
            cut = _pause(buffer, max_chars)
            sentence = buffer[:cut].strip()
            buffer = buffer[cut:]
            scan = 0
            if sentence:
                yield sentence
    rest = buffer.strip()
    if rest:
        yield rest


def _sentence_end(buffer: str, start: int) -> tuple[int | None, int]:
    """``(end, scan)``: the index just after the first sentence end from ``start`` (None when there
    is none yet), and where to resume scanning once more text has arrived."""
    index = start
    length = len(buffer)
    while index < length:
        char = buffer[index]
        if char == "\n":
            return index + 1, 0
        if char in _WIDE_ENDINGS:
            after = index + 1
            while after < length and buffer[after] in _WIDE_ENDINGS + _CLOSERS:
                after += 1
            if after == length:
                return None, index  # more endings or closers may follow
            return after, 0
        if char in _ENDINGS:
            after = index + 1
            while after < length and buffer[after] in _ENDINGS:
                after += 1
            while after < length and buffer[after] in _CLOSERS:
                after += 1
            if after == length:
                return None, index  # the next character decides
            if not buffer[after].isspace() or _is_abbreviation(buffer, index):
                index = after
                continue
            if char in "!?" or "\n" in buffer[after : _next_word(buffer, after)]:
                return after, 0
            # A stop or an ellipsis followed by a lowercase word is a pause ("Then... nothing."):
            # the first letter of the next word decides.
            word = _next_word(buffer, after)
            if word == length:
                return None, index
            if not buffer[word].islower():
                return after, 0
            index = word
            continue
        index += 1
    return None, length


def _next_word(buffer: str, start: int) -> int:
    """The index of the first character at or after ``start`` that is not a space."""
    index = start
    while index < len(buffer) and buffer[index].isspace():
        index += 1
    return index


def _is_abbreviation(buffer: str, dot: int) -> bool:
    """Whether the single ``.`` at ``dot`` closes an abbreviation, an initial or a list number."""
    if buffer[dot] != "." or (dot + 1 < len(buffer) and buffer[dot + 1] == "."):
        return False
    word_start = dot
    while word_start > 0 and not buffer[word_start - 1].isspace():
        word_start -= 1
    word = buffer[word_start:dot].lstrip("\"'([{\u00ab\u201c\u2018")
    if not word:
        return False
    if "." in word:  # e.g. i.e. U.S. a.m.
        return True
    if len(word) == 1 and word.isalpha() and word.isupper():  # an initial: J. R. R. Tolkien
        return True
    if word.isdigit() and not buffer[:word_start].strip():  # "1. First, ..." at a line's start
        return True
    return word.lower() in _ABBREVIATIONS


def _pause(buffer: str, max_chars: int) -> int:
    """Where to cut an over-long run: after its last ``,;:`` (then space) within ``max_chars``."""
    leading = len(buffer) - len(buffer.lstrip())
    window = buffer[: leading + max_chars]
    for marks in (",;:", " "):
        cut = max(window.rfind(mark) for mark in marks)
        if cut > leading:
            return cut + 1
    return leading + max_chars
