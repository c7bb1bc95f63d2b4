"""The session context's version check (real Azurite behind the storage counter): the worker that wrote
a version reads nothing for it; any other version, or a worker that does not hold it, reads the blob.
A round run again after its write starts from the context its first run started from."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.platform import Platform
from shared.sessions import context as session_context
from shared.sessions.context import SessionConfig, SessionContext, load_context, save_context
from shared.sessions.lifecycle import SessionPlan
from shared.settings import load_settings
from tests.fakes.storage_counter import StorageCounter

PLAN = SessionPlan(
    session_id="sess_versions",
    project_id="proj_a",
    organization_id="org_a",
    agent_id="agent_a",
    key_id="key_a",
    channel_type="websocket",
    inactivity_timeout_seconds=120,
    inactivity_countdown_seconds=15,
)
READ = ("blob", session_context.CONTEXT_CONTAINER)


@pytest.fixture
def counted(azurite) -> Iterator[tuple[Platform, StorageCounter]]:
    with StorageCounter(azurite) as counter:
        environment = {
            "OMNI_ENVIRONMENT": "local",
            "OMNI_STORAGE_CONNECTION_STRING": counter.connection_string,
        }
        yield Platform(load_settings(environment)), counter


def _context(instructions: str) -> SessionContext:
    return SessionContext(config=SessionConfig(agent={}), instructions=instructions)


def test_the_version_this_worker_wrote_is_read_from_memory(counted):
    platform, counter = counted
    version = save_context(platform, PLAN, _context("first"))
    before = counter.snapshot()
    assert load_context(platform, PLAN, version).instructions == "first"
    assert counter.since(before) == {}


def test_an_older_or_unknown_version_reads_the_blob(counted):
    platform, counter = counted
    first = save_context(platform, PLAN, _context("first"))
    second = save_context(platform, PLAN, _context("second"))
    assert first != second
    for version in (first, ""):  # a round whose write was never confirmed; no version at all
        before = counter.snapshot()
        assert load_context(platform, PLAN, version).instructions == "second"
        assert counter.since(before) == {READ: 1}


def test_another_workers_write_is_read_from_storage(counted):
    platform, counter = counted
    mine = save_context(platform, PLAN, _context("mine"))
    # Another worker writes the next version: this one does not hold it.
    data = _context("theirs").model_dump_json().encode()
    store = platform.blob_store(session_context.CONTEXT_CONTAINER)
    theirs = store.put(f"sessions/{PLAN.session_id}/context.json", data, "application/json")
    assert theirs != mine
    before = counter.snapshot()
    assert load_context(platform, PLAN, theirs).instructions == "theirs"
    assert counter.since(before) == {READ: 1}


def test_a_round_run_again_after_its_write_starts_from_the_context_its_first_run_started_from(counted):
    platform, _ = counted
    first = load_context(platform, PLAN, save_context(platform, PLAN, _context("set")), "turn-1.0")
    first.last_item_id = "item_1"
    first.window = '{"messages":[{"role":"user","text":"hello"}],"summary":"","dropped_turns":0}'
    written = save_context(platform, PLAN, first)
    # The host died before the orchestrator heard of round turn-1.0: it is run again, on any worker.
    for version in ("", written):
        again = load_context(platform, PLAN, version, "turn-1.0")
        assert (again.window, again.last_item_id, again.instructions) == ("", None, "set")
    # The next round starts from what turn-1.0 wrote.
    after = load_context(platform, PLAN, written, "turn-2.0")
    assert after.last_item_id == "item_1"
    assert after.conversation().messages == [{"role": "user", "text": "hello"}]
