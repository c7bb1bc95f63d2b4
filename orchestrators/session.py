"""The session orchestrator (instance id = session id): one connection's life.

Deterministic: time from ``context.current_utc_datetime``, ids from ``context.new_uuid()``, every
decision from ``shared/sessions/lifecycle.py``; every side effect is an activity. Client frames reach
it through the session inbox (storage) and an ``inbox`` wake-up event. Long sessions restart their
history every ``TURNS_PER_EXECUTION`` turns with ``continue_as_new``.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

from shared import durable_names as names
from shared.sessions import frames
from shared.sessions.lifecycle import (
    IMMEDIATE_END_REASONS,
    MAX_TOOL_ROUNDS,
    TURNS_PER_EXECUTION,
    SessionPlan,
    SessionProgress,
    begin,
    end_reason_of,
    next_wake,
    on_user_activity,
    seconds_left,
    turns_before_end,
)
from shared.tools.records import ToolCall, failed, outcome_from_answer, timed_out

bp = df.Blueprint()


@bp.function_name(names.SESSION)
@bp.orchestration_trigger(context_name="context")
def session(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    data = context.get_input()
    plan = SessionPlan(**data["plan"])
    progress = SessionProgress(**data["progress"]) if data.get("progress") else None
    # User turns not answered yet, in order: {"text"} or {"utteranceId"} (audio to transcribe first).
    queued: list[dict[str, Any]] = list(data.get("queued", []))
    # Why the session was asked to end (None: it was not): the client's end answers what is queued
    # first, the platform's (billing) drops it. Executions before ``billing`` carried a bool.
    ending: str | None = "client" if data.get("ending") is True else (data.get("ending") or None)
    if progress is None:
        progress = begin(context.current_utc_datetime)

    turns_here = 0
    end_reason: str | None = None
    while end_reason is None:
        if not queued:
            if ending:
                end_reason = ending
                break
            wake_at, why = next_wake(plan, progress)
            timer = context.create_timer(wake_at)
            wake = context.wait_for_external_event(names.INBOX_EVENT)
            winner = yield context.task_any([wake, timer])
            if winner == timer:
                if why == "warn":
                    progress = replace(progress, warned=True)
                    remaining = seconds_left(plan, progress, context.current_utc_datetime)
                    yield _send(context, plan, [frames.inactivity_warning(remaining)])
                    continue
                end_reason = why
                break
            timer.cancel()
            entries = yield context.call_activity(
                names.READ_INBOX, {"sessionId": plan.session_id, "cursor": progress.inbox_cursor}
            )
            if not entries:
                continue
            progress = on_user_activity(
                replace(progress, inbox_cursor=entries[-1]["id"]), context.current_utc_datetime
            )
            if not progress.greeted and any(e["kind"] == "connected" for e in entries):
                # Greet on the first connection: frames sent before it would reach nobody.
                progress = replace(progress, greeted=True)
                spoken = plan.greeting if plan.speaks else None
                yield _send(context, plan, [_started_frame(plan)], speak=spoken)
            # Tool results outside a tool wait are late (answered or timed out already): dropped.
            turns, _ = turns_before_end(entries)
            queued.extend(turns)
            ending = ending or end_reason_of(entries)
            if ending in IMMEDIATE_END_REASONS:
                queued = []
            continue

        item, queued = queued[0], queued[1:]  # one turn per message or utterance, in order
        try:
            text = item.get("text")
            if text is None:  # an utterance: its transcript is the user's turn (echoed to the client)
                text = yield context.call_activity(
                    names.TRANSCRIBE_UTTERANCE, {"plan": plan.to_json(), "utteranceId": item["utteranceId"]}
                )
                if not text:
                    continue
            progress, arrived, ended = yield from _turn(context, plan, progress, text)
        except Exception:  # an activity failed for good (its error is in the history): end cleanly
            message = "The agent could not answer, and the session ends."
            yield _send(context, plan, [frames.error("TurnFailed", message)])
            end_reason = "error"
            break
        queued.extend(arrived)
        ending = ending or ended
        if ending in IMMEDIATE_END_REASONS:
            queued = []
        progress = replace(progress, turns=progress.turns + 1)
        turns_here += 1
        if turns_here >= TURNS_PER_EXECUTION:
            state = {
                "plan": plan.to_json(),
                "progress": progress.to_json(),
                "queued": queued,
                "ending": ending,
            }
            context.continue_as_new(state)
            return {"continued": True}

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
    context: df.DurableOrchestrationContext, plan: SessionPlan, progress: SessionProgress, text: str
) -> Generator[Any, Any, tuple[SessionProgress, list[dict[str, Any]], str | None]]:
    """One user turn: model rounds until the model stops calling tools. Answers the progress, the
    user messages that arrived meanwhile (the next turn's) and why the session was asked to end
    meanwhile (None: it was not)."""
    turn_id = str(context.new_uuid())
    queued: list[dict[str, Any]] = []
    ended: str | None = None
    request: dict[str, Any] = {
        "plan": plan.to_json(),
        "turn": progress.turns,
        "turnId": turn_id,
        "round": 0,
        "userText": text,
        "cursor": progress.inbox_cursor,  # a user frame after it interrupts the reply (barge-in)
    }
    result = yield context.call_activity(names.RUN_MODEL_TURN, request)
    for round_index in range(1, MAX_TOOL_ROUNDS + 1):
        calls = result.get("toolCalls") or []
        if not calls or ended:
            break
        # Unknown tools and unreadable arguments are answered at once, without running anything;
        # built-in tools (search_knowledge) were answered by the model turn's activity.
        outcomes = {
            c["call_id"]: failed(ToolCall.from_dict(c), c["error"], 0.0, 0).to_dict()
            for c in calls
            if c["flow"] == "invalid"
        }
        outcomes.update({c["call_id"]: c["outcome"] for c in calls if c["flow"] == "answered"})
        explicit = [c for c in calls if c["flow"] == "explicit"]
        implicit = [c for c in calls if c["flow"] == "implicit"]
        if explicit:
            answered = yield context.task_all(
                [
                    context.call_activity(
                        names.CALL_FUNCTION_ENDPOINT, {"plan": plan.to_json(), "call": call}
                    )
                    for call in explicit
                ]
            )
            outcomes.update({outcome["call_id"]: outcome for outcome in answered})
        if implicit:
            progress, waited, more, ended = yield from _await_implicit(context, plan, progress, implicit)
            outcomes.update(waited)
            queued.extend(more)
        request = {
            **request,
            "round": round_index,
            "userText": None,
            "toolOutcomes": [outcomes[c["call_id"]] for c in calls],
        }
        result = yield context.call_activity(names.RUN_MODEL_TURN, request)
    return progress, queued, ended


def _await_implicit(
    context: df.DurableOrchestrationContext,
    plan: SessionPlan,
    progress: SessionProgress,
    calls: list[dict[str, Any]],
) -> Generator[Any, Any, tuple[SessionProgress, dict[str, Any], list[dict[str, Any]], str | None]]:
    """Send ``tool.call`` frames and wait for the client's ``tool.result`` of each, until the tool
    timeout; a call not answered in time is an error result for the model."""
    yield _send(context, plan, [frames.tool_call(c["call_id"], c["name"], c["arguments"]) for c in calls])
    started = context.current_utc_datetime
    deadline = started + timedelta(seconds=plan.tool_timeout_seconds)
    pending = {c["call_id"]: ToolCall.from_dict(c) for c in calls}
    outcomes: dict[str, Any] = {}
    queued: list[dict[str, Any]] = []
    ended: str | None = None
    while pending and not ended:
        timer = context.create_timer(deadline)
        wake = context.wait_for_external_event(names.INBOX_EVENT)
        winner = yield context.task_any([wake, timer])
        if winner == timer:
            break
        timer.cancel()
        entries = yield context.call_activity(
            names.READ_INBOX, {"sessionId": plan.session_id, "cursor": progress.inbox_cursor}
        )
        if not entries:
            continue
        progress = on_user_activity(
            replace(progress, inbox_cursor=entries[-1]["id"]), context.current_utc_datetime
        )
        elapsed_ms = (context.current_utc_datetime - started).total_seconds() * 1000
        for entry in entries:
            call = pending.pop(entry.get("callId") or "", None) if entry["kind"] == "tool_result" else None
            if call is not None:
                answer = {"result": entry.get("result"), "isError": entry.get("isError")}
                outcomes[call.call_id] = outcome_from_answer(call, answer, elapsed_ms).to_dict()
            elif entry["kind"] == "user_message":
                queued.append({"text": entry["text"]})
            elif entry["kind"] == "audio_final":
                queued.append({"utteranceId": entry["utteranceId"]})
            elif entry["kind"] == "end":
                ended = entry.get("reason") or "client"
    for call in pending.values():
        timeout_ms = plan.tool_timeout_seconds * 1000
        outcomes[call.call_id] = timed_out(call, plan.tool_timeout_seconds, timeout_ms, 1).to_dict()
    return progress, outcomes, queued, ended


def _send(
    context: df.DurableOrchestrationContext,
    plan: SessionPlan,
    session_frames: list[dict[str, Any]],
    speak: str | None = None,
) -> Any:
    request: dict[str, Any] = {"sessionId": plan.session_id, "frames": session_frames}
    if speak:
        request.update({"speak": speak, "plan": plan.to_json()})
    return context.call_activity(names.SEND_TO_SESSION, request)


def _started_frame(plan: SessionPlan) -> dict[str, Any]:
    inactivity = {
        "timeoutSeconds": plan.inactivity_timeout_seconds,
        "countdownSeconds": plan.inactivity_countdown_seconds,
        "enabled": not plan.idle_timeout_disabled,
    }
    started = frames.session_started(
        plan.session_id, plan.agent_id, plan.greeting, plan.disclaimer, inactivity
    )
    return {**started, "audio": plan.speaks}
