"""The memory store on real tables in Azurite: ETag-guarded folds, real forgetting, phone links."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest
from azure.core.exceptions import ResourceNotFoundError

from shared.api_errors import ApiError
from shared.ids import new_id
from shared.memory.folding import Line, Summary
from shared.memory.records import MEMORIES_TABLE, ClientMemory
from shared.memory.store import MemoryStore, PhoneNumberTaken
from shared.storage import table_service

CONVERSATION: list[Line] = [("user", "I'm Sarah."), ("assistant", "Hello Sarah!")]
SARAH = "+14155550123"
SARAH_WORK = "+14155550124"


@pytest.fixture
def store(storage_settings) -> MemoryStore:
    return MemoryStore.on(table_service(storage_settings))


@pytest.fixture
def project() -> str:
    return new_id("proj")


class CountingSummarizer:
    """Numbers its summaries; the first ``rendezvous`` calls wait for each other (to race two folds)."""

    def __init__(self, rendezvous: int = 0) -> None:
        self.calls = 0
        self._lock = threading.Lock()
        self._barrier = threading.Barrier(rendezvous) if rendezvous else None

    def summarize(self, previous: ClientMemory | None, conversation: Sequence[Line]) -> Summary:
        with self._lock:
            self.calls += 1
            call = self.calls
        if self._barrier is not None and call <= self._barrier.parties:
            self._barrier.wait(timeout=10)
        facts = (
            *(previous.facts if previous else ()),
            *(text for role, text in conversation if role == "user"),
        )
        return Summary(f"summary {call}", tuple(facts))


def test_a_fold_creates_the_memory_and_the_next_one_updates_it(store, project):
    first = store.save_folded(project, "comp_a", "sarah", CONVERSATION, None, session_id="s1")
    assert first is not None and first.sessions_count == 1
    second = store.save_folded(project, "comp_a", "sarah", [("user", "I moved.")], None, session_id="s2")
    assert second is not None and second.sessions_count == 2
    loaded = store.load(project, "comp_a", "sarah")
    assert loaded == second
    assert [e.text for e in loaded.last_exchanges] == ["I'm Sarah.", "Hello Sarah!", "I moved."]


def test_folding_a_session_again_writes_nothing(store, project):
    store.save_folded(project, "comp_a", "sarah", CONVERSATION, None, session_id="s1")
    etag = store.read(project, "comp_a", "sarah").etag
    again = store.save_folded(project, "comp_a", "sarah", CONVERSATION, None, session_id="s1")
    assert again is not None and again.sessions_count == 1
    assert store.read(project, "comp_a", "sarah").etag == etag


def test_a_session_where_nothing_was_said_leaves_no_memory(store, project):
    assert store.save_folded(project, "comp_a", "sarah", [("assistant", " ")], None) is None
    assert store.load(project, "comp_a", "sarah") is None


def test_two_sessions_ending_at_once_are_both_remembered(store, project):
    summarizer = CountingSummarizer(rendezvous=2)  # both read "nothing yet" and fold before either writes
    with ThreadPoolExecutor(2) as pool:
        results = list(
            pool.map(
                lambda n: store.save_folded(
                    project, "comp_a", "sarah", [("user", f"session {n}")], summarizer, session_id=f"s{n}"
                ),
                (1, 2),
            )
        )
    assert all(results)
    memory = store.load(project, "comp_a", "sarah")
    assert memory is not None and memory.sessions_count == 2
    assert sorted(memory.folded_sessions) == ["s1", "s2"]
    assert sorted(memory.facts) == ["session 1", "session 2"]
    assert summarizer.calls == 3  # the loser folded again over the winner's memory


def test_memory_never_crosses_companions_or_projects(store, project):
    store.save_folded(project, "comp_a", "sarah", CONVERSATION, None)
    assert store.load(project, "comp_b", "sarah") is None
    assert store.load(new_id("proj"), "comp_a", "sarah") is None
    assert store.load(project, "comp_a", "sarah2") is None


def test_forgetting_deletes_the_row_from_storage(store, project, storage_settings):
    store.save_folded(project, "comp_a", "sarah", CONVERSATION, None)
    assert store.forget(project, "comp_a", "sarah") is True
    raw = table_service(storage_settings).get_table_client(MEMORIES_TABLE)
    with pytest.raises(ResourceNotFoundError):
        raw.get_entity(project, "comp_a.sarah")
    assert store.load(project, "comp_a", "sarah") is None
    assert store.forget(project, "comp_a", "sarah") is False


def test_forgetting_a_version_that_changed_is_refused(store, project):
    store.save_folded(project, "comp_a", "sarah", CONVERSATION, None)
    etag = store.read(project, "comp_a", "sarah").etag
    store.save_folded(project, "comp_a", "sarah", [("user", "more")], None)
    with pytest.raises(ApiError) as refused:
        store.forget(project, "comp_a", "sarah", if_match=etag)
    assert refused.value.status == 412
    assert store.load(project, "comp_a", "sarah") is not None


def test_a_linked_phone_number_resolves_to_its_client(store, project):
    assert store.link_phones(project, "comp_a", "sarah", [SARAH_WORK, SARAH, SARAH]) == [SARAH, SARAH_WORK]
    assert store.client_for_phone(project, "comp_a", SARAH) == "sarah"
    assert store.client_for_phone(project, "comp_a", SARAH_WORK) == "sarah"
    assert store.phone_numbers(project, "comp_a", "sarah") == [SARAH, SARAH_WORK]
    assert store.client_for_phone(project, "comp_a", "+14155550999") is None
    assert store.client_for_phone(project, "comp_a", "not a number") is None


def test_links_never_cross_companions_or_projects(store, project):
    store.link_phones(project, "comp_a", "sarah", [SARAH])
    assert store.client_for_phone(project, "comp_b", SARAH) is None
    assert store.client_for_phone(new_id("proj"), "comp_a", SARAH) is None
    # Another companion's end user may have the same number.
    assert store.link_phones(project, "comp_b", "someone", [SARAH]) == [SARAH]
    assert store.client_for_phone(project, "comp_a", SARAH) == "sarah"


def test_linking_replaces_the_clients_set(store, project):
    store.link_phones(project, "comp_a", "sarah", [SARAH, SARAH_WORK])
    assert store.link_phones(project, "comp_a", "sarah", [SARAH_WORK]) == [SARAH_WORK]
    assert store.client_for_phone(project, "comp_a", SARAH) is None
    assert store.link_phones(project, "comp_a", "sarah", []) == []
    assert store.phone_numbers(project, "comp_a", "sarah") == []


def test_a_number_of_another_client_is_refused_and_nothing_changes(store, project):
    store.link_phones(project, "comp_a", "sarah", [SARAH])
    store.link_phones(project, "comp_a", "bob", ["+442071234567"])
    with pytest.raises(PhoneNumberTaken) as taken:
        store.link_phones(project, "comp_a", "bob", ["+442071234560", SARAH])
    assert taken.value.phone_number == SARAH
    assert store.phone_numbers(project, "comp_a", "bob") == ["+442071234567"]
    assert store.client_for_phone(project, "comp_a", "+442071234560") is None
    assert store.client_for_phone(project, "comp_a", SARAH) == "sarah"


def test_two_clients_claiming_one_number_at_once_get_one_link(store, project):
    def claim(client: str) -> bool:
        try:
            store.link_phones(project, "comp_a", client, [SARAH])
        except PhoneNumberTaken:
            return False
        return True

    with ThreadPoolExecutor(4) as pool:
        won = list(pool.map(claim, ["c1", "c2", "c3", "c4"]))
    assert won.count(True) == 1
    winner = ["c1", "c2", "c3", "c4"][won.index(True)]
    assert store.client_for_phone(project, "comp_a", SARAH) == winner


@pytest.mark.parametrize(
    "numbers", [["4155550123"], ["+1 415 555 0123"], [f"+1415555{i:04d}" for i in range(11)]]
)
def test_invalid_numbers_and_too_many_are_refused(store, project, numbers):
    with pytest.raises(ValueError):
        store.link_phones(project, "comp_a", "sarah", numbers)
    assert store.phone_numbers(project, "comp_a", "sarah") == []
