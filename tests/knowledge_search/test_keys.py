"""Search document keys and filter literals: safe for any id."""

from __future__ import annotations

import itertools
import re

import pytest

from shared.knowledge.azure_search_keys import chunk_key, odata_string, scope_filter

AWKWARD_IDS = [
    "kb_1",
    "o'brien",
    "a/b?c#d",
    "spaces and tabs\t",
    "ünïcødé 文書",
    "a=b",
    "==",
    "-_-",
    "x" * 200,
]


@pytest.mark.parametrize("awkward", AWKWARD_IDS)
def test_keys_use_only_the_characters_the_service_allows(awkward: str) -> None:
    key = chunk_key(awkward, awkward, awkward, 12)

    assert re.fullmatch(r"[A-Za-z0-9_\-=]+", key)


def test_different_chunks_never_share_a_key() -> None:
    ids = ["a", "b", "a=b", "b=c", "a=b=c", "=", "YQ", "YQ=YQ"]
    keys = {
        chunk_key(project, collection, document, chunk)
        for project, collection, document, chunk in itertools.product(ids, ids, ids, (0, 1, 10))
    }

    assert len(keys) == len(ids) ** 3 * 3


def test_keys_are_stable() -> None:
    assert chunk_key("p1", "kb_1", "doc_1", 3) == chunk_key("p1", "kb_1", "doc_1", 3)
    assert chunk_key("p1", "kb_1", "doc_1", 3) == "cDE=a2JfMQ=ZG9jXzE=3"


def test_ids_too_long_for_a_key_are_refused() -> None:
    with pytest.raises(ValueError, match="too long"):
        chunk_key("p" * 400, "c" * 400, "d", 0)


@pytest.mark.parametrize(
    ("project", "collection", "document"), [("", "c", "d"), ("p", "", "d"), ("p", "c", "")]
)
def test_empty_ids_are_refused(project: str, collection: str, document: str) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        chunk_key(project, collection, document, 0)


def test_quotes_in_filter_literals_are_doubled() -> None:
    assert odata_string("o'brien") == "'o''brien'"
    assert odata_string("''") == "''''''"
    assert scope_filter("p'1", "kb'") == "project_id eq 'p''1' and collection_id eq 'kb'''"
    assert (
        scope_filter("p", "c", "d'") == "project_id eq 'p' and collection_id eq 'c' and document_id eq 'd'''"
    )
