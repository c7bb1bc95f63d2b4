"""The session orchestrator (instance id = session id): one connection's life.

Deterministic: time from ``context.current_utc_datetime``, ids from ``context.new_uuid()``, every
decision from ``shared/sessions/lifecycle.py``; every side effect is an activity. Client commands
reach it through the session inbox (storage); an ``inbox`` event (its payload names the entry) wakes
it, and ``run_model_turn`` takes the inbox itself, so a text turn is two episodes: the wake-up that
schedules the round, and the round's end. A tool round or an utterance adds at most one. Long
sessions restart their history every ``TURNS_PER_EXECUTION`` turns with ``continue_as_new``.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

from shared import durable_names as names
from shared.knowledge.grounding import SEARCH_TOOL_NAME
from shared.sessions import protocol
from shared.sessions.inbox import event_hint
from shared.sessions.lifecycle import (
    IMMEDIATE_END_REASONS,
    MAX_TOOL_ROUNDS,
    TURNS_PER_EXECUTION,
    SessionPlan,
    SessionProgress,
    begin,
    grace_over,
    next_wake,
    on_connection,
    on_user_activity,
    seconds_left,
)
from shared.tools.records import ToolCall, failed

bp = df.Blueprint()


@bp.function_name(names.SESSION)
@bp.orchestration_trigger(context_name="context")
def session(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    data = context.get_input()
    plan = SessionPlan.from_json(data["plan"])
    progress = SessionProgress.from_json(data["progress"]) if data.get("progress") else None
    # Why the session was asked to end (None: it was not): the client's end answers what was sent
    # before it first; the platform's (billing) ends it at once.
    ending: str | None = data.get("ending") or None
    if progress is None:
        progress = begin(context.current_utc_datetime)

    turns_here = 0
    end_reason: str | None = None
    inbox = _InboxWait(context)
    while end_reason is None:
        if not progress.unread:
            if ending:
                end_reason = ending
                break
            wake_at, why = next_wake(plan, progress)
            timer = context.create_timer(wake_at)
            wake = inbox.task()
            winner = yield context.task_any([wake, timer])
            if winner == timer:
                inbox.beaten(wake)
                if why == "warn":
                    progress = replace(progress, warned=True)
                    remaining = seconds_left(plan, progress, context.current_utc_datetime)
                    yield _send(context, plan, [protocol.inactivity_warning(remaining)])
                    continue
                if why == "reconnect_grace":
                    # Storage decides, not the timer: the round takes the inbox and reads the channel
                    # state (a connection may have come as the grace ran out); the end is below.
                    progress = replace(progress, unread=True)
                    continue
                end_reason = why
                break
            timer.cancel()
            inbox.taken()
            hint = event_hint(wake.result)
            if hint.get("kind") == "end" and hint.get("reason") in IMMEDIATE_END_REASONS:
                end_reason = hint["reason"]
                break
        if turns_here >= TURNS_PER_EXECUTION:
            # A new execution keeps replays short. It starts when the session is about to take its
            # inbox anyway (a wake-up, or entries known to wait), so it costs one episode and no
            # extra read: the next execution takes the inbox first. An event raised during this
            # episode ends with this execution (the SDK handles it after this code has run); its
            # entry is in the inbox.
            carried = replace(progress, unread=True)
            context.continue_as_new({"plan": plan.to_json(), "progress": carried.to_json(), "ending": ending})
            return {"continued": True}
        try:
            progress, taken = yield from _turn(context, plan, progress, inbox)
        except Exception:  # an activity failed for good (its error is in the history): end cleanly
            message = "The agent could not answer, and the session ends."
            yield _send(context, plan, [protocol.error("TurnFailed", message)])
            end_reason = "error"
            break
        ending = ending or taken.get("ending")
        if ending in IMMEDIATE_END_REASONS:
            end_reason = ending
            break
        if grace_over(plan, progress, context.current_utc_datetime):
            end_reason = "connection_lost"
            break
        if not taken.get("answered"):
            continue
        progress = replace(progress, turns=progress.turns + 1)
        turns_here += 1

    yield context.call_activity(
        names.END_SESSION,
        {
            "plan": plan.to_json(),
            "progress": progress.to_json(),
            "reason": end_reason,
            "endedAt": context.current_utc_datetime.isoformat(),
        },
    )
    return {"reason": end_reason, "turns": progress.turns}


def _turn(
    context: df.DurableOrchestrationContext, plan: SessionPlan, progress: SessionProgress, inbox: _InboxWait
) -> Generator[Any, Any, tuple[SessionProgress, dict[str, Any]]]:
    """Take the inbox and, when it holds a turn, answer it: model rounds until the model stops calling
    tools. Answers the progress and what was taken (``answered``, ``ending``)."""
    turn_id = str(context.new_uuid())
    request: dict[str, Any] = {
        "plan": plan.to_json(),
        "turn": progress.turns,
        "turnId": turn_id,
        "round": 0,
        "cursor": progress.inbox_cursor,
        "contextVersion": progress.context_version,
        # Without a client, every round reads the channel state: has a connection come back?
        "checkConnection": progress.disconnected_at is not None,
    }
    result = yield context.call_activity(names.RUN_MODEL_TURN, request)
    progress = replace(progress, inbox_cursor=result["cursor"], unread=bool(result.get("more")))
    if "connection" in result:
        progress = on_connection(progress, result["connection"]["lostAt"])
    if result.get("active"):
        progress = on_user_activity(progress, context.current_utc_datetime)
    taken = {"answered": result.get("question") is not None, "ending": result.get("ending")}
    searched: list[Any] = []
    for round_index in range(1, MAX_TOOL_ROUNDS + 1):
        calls = result.get("toolCalls") or []
        if not calls:
            break
        # Unknown tools and unreadable arguments are answered at once, without running anything;
        # built-in tools (search_knowledge) were answered by the model round itself.
        outcomes = [
            failed(ToolCall.from_dict(c), c["error"], 0.0, 0).to_dict()
            for c in calls
            if c["flow"] == "invalid"
        ]
        outcomes += [c["outcome"] for c in calls if c["flow"] == "answered"]
        explicit = [c for c in calls if c["flow"] == "explicit"]
        implicit = [c for c in calls if c["flow"] == "implicit"]
        transfers = [c for c in calls if c["flow"] == "transfer"]  # a phone call's human handoff
        if explicit or transfers:
            answered = yield context.task_all(
                [
                    context.call_activity(names.CALL_FUNCTION_ENDPOINT, {"plan": plan.to_json(), "call": c})
                    for c in explicit
                ]
                + [context.call_activity(names.TRANSFER_CALL, {"call": c}) for c in transfers]
            )
            outcomes += answered
        waited_ms = 0.0
        if implicit:
            waited_ms, ended, other = yield from _await_implicit(
                context, plan, {c["call_id"] for c in implicit}, inbox
            )
            taken["ending"] = taken["ending"] or ended
            progress = replace(progress, unread=progress.unread or other)
        searched += [
            o["result"] for o in outcomes if o["name"] == SEARCH_TOOL_NAME and o.get("error") is None
        ]
        request = {
            **request,
            "round": round_index,
            "question": result.get("question"),
            "turnCursor": result["cursor"],
            "toolOutcomes": outcomes,
            "implicitCalls": implicit,
            "waitedMs": waited_ms,
            "callOrder": [c["call_id"] for c in calls],
            "searched": searched,
            "contextVersion": result.get("contextVersion", ""),
        }
        result = {**(yield context.call_activity(names.RUN_MODEL_TURN, request)), "cursor": result["cursor"]}
    return replace(progress, context_version=result.get("contextVersion", "")), taken


def _await_implicit(
    context: df.DurableOrchestrationContext, plan: SessionPlan, pending: set[str], inbox: _InboxWait
) -> Generator[Any, Any, tuple[float, str | None, bool]]:
    """Wait for the client's ``send_function_output`` of each call (the round that follows reads
    them from the inbox), until the tool timeout. The events' payloads say which call was answered;
    one that merged with another only makes the wait run to its timeout, never loses a result.
    Answers the time waited, an end asked for meanwhile, and whether other commands woke it (they
    wait in the inbox for the next turn)."""
    started = context.current_utc_datetime
    deadline = started + timedelta(seconds=plan.tool_timeout_seconds)
    ended: str | None = None
    other = False
    while pending and not ended:
        timer = context.create_timer(deadline)
        wake = inbox.task()
        winner = yield context.task_any([wake, timer])
        if winner == timer:
            inbox.beaten(wake)
            break
        timer.cancel()
        inbox.taken()
        hint = event_hint(wake.result)
        if hint.get("kind") == "tool_result":
            pending.discard(hint.get("callId") or "")
        elif hint.get("kind") == "end":
            ended = hint.get("reason") or "client"
        else:
            other = True
    return (context.current_utc_datetime - started).total_seconds() * 1000, ended, other


class _InboxWait:
    """The session's wait for its ``inbox`` event. A wait that a timer beat stays pending in the SDK,
    and the first event raised while no newer wait exists (during an activity) completes it: so the
    next wait reuses it (already completed: it wakes at once) instead of waiting for an event that
    was already spent on it."""

    def __init__(self, context: df.DurableOrchestrationContext) -> None:
        self._context = context
        self._beaten: Any = None

    def task(self) -> Any:
        wake, self._beaten = self._beaten, None
        return wake if wake is not None else self._context.wait_for_external_event(names.INBOX_EVENT)

    def beaten(self, wake: Any) -> None:
        self._beaten = wake

    def taken(self) -> None:
        """A wait was woken. The SDK (1.7.0) keeps an event that arrived while no wait was open
        ("deferred", e.g. during an activity) and completes every later wait of that name with it
        at once: the orchestrator spun on a spent hint (an empty inbox read per episode, or, in the
        tool wait, a loop with no yield until the recursion limit). Drop it once taken; the same
        point in every replay, so deterministic."""
        self._context.deferred_tasks.pop(names.INBOX_EVENT, None)


def _send(context: df.DurableOrchestrationContext, plan: SessionPlan, events: list[dict[str, Any]]) -> Any:
    request = {"sessionId": plan.session_id, "channelType": plan.channel_type, "frames": events}
    return context.call_activity(names.SEND_TO_SESSION, request)
