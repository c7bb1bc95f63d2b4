"""The session's activities: one side effect each (see orchestrators/session.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df

from shared import durable_names as names
from shared.audio.errors import AudioError
from shared.audio.utterance import UtteranceBuffer
from shared.billing.usage_store import record_session_usage
from shared.memory.folding import conversation_lines, summarizer_for
from shared.memory.store import save_folded
from shared.models import ProviderError
from shared.platform import Platform, get_platform
from shared.sessions import frames
from shared.sessions.configuration import session_agent, session_model, session_speech
from shared.sessions.inbox import INBOX_TABLE, InboxEntry, read_after
from shared.sessions.lifecycle import SessionPlan, SessionProgress, active_seconds, billed_minutes
from shared.sessions.records import SESSIONS_TABLE, TRANSCRIPTS_TABLE, SessionRecord, TranscriptEntry
from shared.sessions.speaking import speak

bp = df.Blueprint()


@bp.function_name(names.SEND_TO_SESSION)
@bp.activity_trigger(input_name="request")
def send_to_session(request: dict[str, Any]) -> None:
    """Send frames; with ``speak``, also that text in the session's voice (the greeting)."""
    platform = get_platform()
    platform.session_connection.send(request["sessionId"], request["frames"])
    if request.get("speak"):
        plan = SessionPlan(**request["plan"])
        speech = session_speech(platform, plan.project_id, plan.key_id)
        if speech is not None and speech.can_synthesize:
            voice = session_agent(platform, plan).voice_id

            def send(session_frames: list[dict[str, Any]]) -> None:
                platform.session_connection.send(plan.session_id, session_frames)

            try:
                speak(speech, voice, "greeting", request["speak"], send)
            except ProviderError as refused:
                send([refused.to_frame()])


@bp.function_name(names.TRANSCRIBE_UTTERANCE)
@bp.activity_trigger(input_name="request")
def transcribe_utterance(request: dict[str, Any]) -> str:
    """The user's closed utterance as text (echoed to the client as ``user.transcript``); "" when
    nothing was understood or the key's provider cannot transcribe (the client is told why)."""
    platform = get_platform()
    plan = SessionPlan(**request["plan"])
    buffer = UtteranceBuffer.for_service(platform.tables)
    utterance_id = request["utteranceId"]
    send = platform.session_connection.send
    try:
        pcm = buffer.assemble(plan.session_id, utterance_id)
        speech = session_speech(platform, plan.project_id, plan.key_id)
        if speech is None or not speech.can_transcribe:
            send(
                plan.session_id,
                [
                    frames.error(
                        "AudioNotSupported",
                        "This agent's model provider cannot "
                        "transcribe speech: send user.message frames instead.",
                    )
                ],
            )
            return ""
        text = speech.transcribe(pcm, plan.language).strip()
    except AudioError as bad:
        send(plan.session_id, [bad.to_frame()])
        return ""
    except ProviderError as refused:
        send(plan.session_id, [refused.to_frame()])
        return ""
    if text:
        send(plan.session_id, [frames.user_transcript(text)])
    buffer.discard(plan.session_id, utterance_id)
    return text


@bp.function_name(names.READ_INBOX)
@bp.activity_trigger(input_name="request")
def read_session_inbox(request: dict[str, Any]) -> list[dict[str, Any]]:
    inbox = get_platform().repository(INBOX_TABLE, InboxEntry)
    entries = read_after(inbox, request["sessionId"], request["cursor"])
    return [
        {
            "id": e.id,
            "kind": e.kind,
            "text": e.text,
            "callId": e.call_id,
            "utteranceId": e.utterance_id,
            "result": e.result,
            "isError": e.is_error,
            "reason": e.reason,
        }
        for e in entries
    ]


@bp.function_name(names.END_SESSION)
@bp.activity_trigger(input_name="request")
def end_session(request: dict[str, Any]) -> dict[str, Any]:
    """Record the end (active seconds, billed minutes), tell the client, close its connections."""
    platform = get_platform()
    plan = SessionPlan(**request["plan"])
    progress = SessionProgress(**request["progress"])
    ended_at = datetime.fromisoformat(request["endedAt"]).astimezone(UTC)
    seconds = active_seconds(progress, ended_at)
    minutes = billed_minutes(seconds)
    sessions = platform.repository(SESSIONS_TABLE, SessionRecord)
    stored = sessions.get(plan.project_id, plan.session_id)
    if stored.entity.status != "ended":  # a re-run of this activity records nothing twice
        sessions.update(
            plan.project_id,
            stored.entity.model_copy(
                update={
                    "status": "ended",
                    "ended_at": ended_at,
                    "end_reason": request["reason"],
                    "active_seconds": seconds,
                    "billed_minutes": minutes,
                }
            ),
            stored.etag,
        )
    # Usage for the usage views and metering; the same rows again on a re-run of this activity.
    record_session_usage(stored.entity, datetime.fromisoformat(progress.started_at), ended_at)
    _remember(platform, plan)
    platform.session_connection.send(plan.session_id, [frames.session_ended(request["reason"], minutes)])
    platform.session_connection.close(plan.session_id, reason=request["reason"])
    return {"activeSeconds": seconds, "billedMinutes": minutes}


def _remember(platform: Platform, plan: SessionPlan) -> None:
    """Fold the conversation into the end user's memory (by the model when one is configured).
    Idempotent by session id: a re-run of this activity changes nothing."""
    if not (plan.memory_enabled and plan.external_client_id and plan.companion_id):
        return
    entries = platform.repository(TRANSCRIPTS_TABLE, TranscriptEntry).list_all(plan.session_id)
    lines = conversation_lines(entries)
    if not lines:
        return
    summarizer = summarizer_for(session_model(platform, plan.project_id, plan.key_id))
    save_folded(
        plan.project_id,
        plan.companion_id,
        plan.external_client_id,
        lines,
        summarizer,
        session_id=plan.session_id,
    )
