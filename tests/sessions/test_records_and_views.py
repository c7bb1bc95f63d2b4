"""Session records in the published lifecycle (pending -> started -> closed | failed) and the
published views of them, against Azurite for the stored transitions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.sessions.records import (
    CITATION_TEXT_CHARS,
    SessionRecord,
    TranscriptEntry,
    close_reason_for,
    mark_ended,
    mark_started,
    stored_citations,
)
from shared.sessions.views import (
    created_within,
    detail_of,
    has_tags,
    parse_tags,
    searchable_text,
    summary_of,
)
from shared.storage import NotFound, TableRepository, table_service
from shared.storage.entities import from_entity

T0 = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
PROJECT = "proj_a"


def record(**changes) -> SessionRecord:
    base = SessionRecord(
        id="sess_a",
        organization_id="org_a",
        project_id=PROJECT,
        agent_id="agent_a",
        key_id="key_a",
        provider_type="hosted",
        channel_type="websocket",
        started_at=T0,
    )
    return base.model_copy(update=changes)


def line(row: str, role: str, text: str, seconds: int, **changes) -> TranscriptEntry:
    fields = {"tool_calls": [], "tool_outcomes": [], "citations": [], "interrupted": False, **changes}
    # constructed: the "system" role is newer than some versions of TranscriptEntry
    return TranscriptEntry.model_construct(
        id=row, turn_id="t1", role=role, text=text, at=T0 + timedelta(seconds=seconds), **fields
    )


@pytest.fixture
def sessions(storage_settings) -> TableRepository[SessionRecord]:
    return TableRepository(table_service(storage_settings), f"sessions{uuid.uuid4().hex}", SessionRecord)


def test_a_new_session_is_pending_and_live():
    assert (record().status, record().is_live) == ("pending", True)
    assert record(status="started").is_live
    assert not record(status="closed").is_live and not record(status="failed").is_live


def test_rows_stored_before_the_published_lifecycle_still_load():
    old = {"PartitionKey": PROJECT, "RowKey": "sess_old", "organization_id": "org_a", "project_id": PROJECT}
    old |= {"key_id": "k", "provider_type": "hosted", "channel_type": "websocket", "started_at": T0}
    assert from_entity(SessionRecord, {**old, "status": "active"}, "id").status == "started"
    ended = from_entity(SessionRecord, {**old, "status": "ended", "end_reason": "inactivity"}, "id")
    assert (ended.status, ended.modality, ended.function_ids, ended.connected_at) == (
        "closed",
        "text",
        [],
        None,
    )
    assert summary_of(ended).closeReason == "idle_timeout"  # mapped from the stored end reason


def test_our_end_reasons_as_published_close_reasons():
    assert [close_reason_for(r) for r in ("inactivity", "client", "max_duration", "billing", "error")] == [
        "idle_timeout",
        "client_closed",
        "max_duration",
        "billing",
        "error",
    ]
    assert close_reason_for(None) is None


def test_a_connected_session_is_started_once_then_closed_once(sessions):
    sessions.create(PROJECT, record())
    started = mark_started(sessions, PROJECT, "sess_a", T0 + timedelta(seconds=5))
    assert (started.status, started.connected_at) == ("started", T0 + timedelta(seconds=5))
    again = mark_started(sessions, PROJECT, "sess_a", T0 + timedelta(seconds=50))  # a reconnect
    assert again.connected_at == T0 + timedelta(seconds=5)

    end = {"ended_at": T0 + timedelta(seconds=300), "active_seconds": 295.0, "billed_minutes": 5}
    closed = mark_ended(sessions, PROJECT, "sess_a", reason="inactivity", **end)
    assert (closed.status, closed.end_reason, closed.close_reason) == ("closed", "inactivity", "idle_timeout")
    rerun = mark_ended(sessions, PROJECT, "sess_a", reason="error", **{**end, "billed_minutes": 9})
    assert (rerun.status, rerun.end_reason, rerun.billed_minutes) == ("closed", "inactivity", 5)
    assert mark_started(sessions, PROJECT, "sess_a", T0).status == "closed"  # ended stays ended
    assert sessions.get(PROJECT, "sess_a").entity == closed
    with pytest.raises(NotFound):
        mark_started(sessions, PROJECT, "sess_missing", T0)


def test_a_session_fails_when_its_client_never_connected_or_it_ended_with_an_error(sessions):
    end = {"ended_at": T0 + timedelta(seconds=120), "active_seconds": 120.0, "billed_minutes": 2}
    sessions.create(PROJECT, record(id="sess_never"))
    never = mark_ended(sessions, PROJECT, "sess_never", reason="inactivity", **end)
    assert (never.status, never.close_reason) == ("failed", "idle_timeout")
    sessions.create(PROJECT, record(id="sess_seen"))  # connected, as the orchestrator saw it
    assert (
        mark_ended(sessions, PROJECT, "sess_seen", reason="client", connected=True, **end).status == "closed"
    )
    sessions.create(PROJECT, record(id="sess_error", status="started"))
    error = mark_ended(sessions, PROJECT, "sess_error", reason="error", **end)
    assert (error.status, error.close_reason) == ("failed", "error")


def test_the_published_summary_and_detail():
    closed = record(
        status="closed",
        connected_at=T0 + timedelta(seconds=5),
        ended_at=T0 + timedelta(seconds=300),
        end_reason="inactivity",
        close_reason="idle_timeout",
        active_seconds=300.0,
        billed_minutes=5,
        modality="audio",
        companion_id="comp_a",
        function_ids=["fn_a"],
        faq_collection_ids=["faq_a"],
        knowledge_base_id="kb_a",
        external_client_id="user-1",
        tags={"env": "prod"},
    )
    summary = summary_of(closed).model_dump()
    assert summary == {
        "id": "sess_a",
        "companionId": "comp_a",
        "functions": ["fn_a"],
        "knowledgeBaseId": "kb_a",
        "faqIds": ["faq_a"],
        "externalClientId": "user-1",
        "tags": {"env": "prod"},
        "sessionType": "websocket",
        "modality": "audio",
        "status": "closed",
        "closeReason": "idle_timeout",
        "cost": 0.29,  # 5 active minutes at the hosted rate, $0.058
        "createdAt": int(T0.timestamp()),
        "startedAt": int(T0.timestamp()) + 5,
        "closedAt": int(T0.timestamp()) + 300,
        "agentId": "agent_a",
        "endReason": "inactivity",
        "billedMinutes": 5,
        "dimension": "hosted_llm_minutes",
    }
    assert summary_of(record(status="started")).cost is None  # null until it ends
    assert summary_of(record(provider_type="openai-compatible")).dimension == "byo_llm_minutes"
    assert (
        summary_of(closed.model_copy(update={"provider_type": "unknown"})).model_dump()["dimension"] is None
    )
    outcome = {"name": "lookup", "arguments": {}, "result": 1, "error": None}
    transcript = [
        line("000001.00.0system", "system", "Be brief.", 6),
        line("000001.00.1user", "user", "Order 42?", 10),
        line("000001.00.2assistant", "assistant", "", 11, tool_calls=[{"name": "lookup"}]),
        line("000001.01.1tool", "tool", "1", 12, tool_outcomes=[outcome]),
        line("000001.01.2assistant", "assistant", "It shipped.", 13, interrupted=True),
    ]
    cited = {"index": 1, "documentId": "file_a", "title": "Orders", "chunk": 0, "text": "Order 42 shipped."}
    transcript[-1] = line(
        "000001.01.2assistant", "assistant", "It shipped [1].", 13, interrupted=True, citations=[cited]
    )
    detail = detail_of(closed, transcript)
    assert [(i.role, i.text, i.timestamp - int(T0.timestamp())) for i in detail.conversation.items] == [
        ("user", "Order 42?", 10),
        ("agent", "It shipped [1].", 13),
    ]
    assert detail.conversation.items[1].interrupted is True
    assert [i.citations for i in detail.conversation.items] == [[], [cited]]
    assert (detail.toolCalls, detail.functionMetrics) == ([outcome], [])


def test_the_creation_window_filter():
    created = record()  # created at T0
    assert created_within(created, None, None)
    assert created_within(created, T0, T0 + timedelta(seconds=1))  # from inclusive
    assert not created_within(created, None, T0)  # to exclusive
    assert not created_within(created, T0 + timedelta(seconds=1), None)
    assert created_within(created, T0.replace(tzinfo=None), None)  # no offset: UTC
    assert created_within(created, T0.astimezone(timezone(timedelta(hours=2))), None)


def test_a_transcript_line_keeps_its_citations_with_their_text_cut():
    long = {"index": 2, "documentId": "file_b", "title": "Handbook", "chunk": 3, "text": "x" * 5000}
    short = {"index": 1, "documentId": "file_a", "title": "Orders", "chunk": 0, "text": "Order 42."}
    kept = stored_citations([short, long])
    assert kept[0] == short
    assert {k: v for k, v in kept[1].items() if k != "text"} == {k: v for k, v in long.items() if k != "text"}
    assert len(kept[1]["text"]) == CITATION_TEXT_CHARS and kept[1]["text"].endswith("…")
    assert long["text"] == "x" * 5000  # the answer's own citations are not changed


def test_the_tags_filter():
    assert parse_tags("env:prod, channel:web") == {"env": "prod", "channel": "web"}
    assert parse_tags('{"env": "prod"}') == {"env": "prod"}
    assert parse_tags("vip") == {"vip": None}
    assert parse_tags(None) == {} and parse_tags(" ") == {}
    for bad in (":prod", '{"env": 1}', "{bad json", "env:prod,,"):
        with pytest.raises(ValueError):
            parse_tags(bad)
    tagged = record(tags={"env": "prod", "vip": "yes"})
    assert has_tags(tagged, {"env": "prod", "vip": None}) and has_tags(tagged, {})
    assert not has_tags(tagged, {"env": "dev"}) and not has_tags(tagged, {"channel": None})
    assert "env:prod" in searchable_text(summary_of(tagged))
