"""How client frames reach a session, from any channel (Web PubSub, the REST session endpoints):
stored in the session's inbox, then one ``inbox`` wake-up event for its orchestrator."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel

from shared import durable_names as names
from shared.api_errors import conflict, not_found
from shared.platform import get_platform
from shared.sessions.frames import ClientConnected, ClientFrame, EndSession, ToolResult, UserMessage
from shared.sessions.inbox import INBOX_TABLE, InboxEntry, new_entry
from shared.sessions.records import SESSIONS_TABLE, SessionRecord
from shared.storage import NotFound, TableRepository

SESSION_INDEX_TABLE = "sessionindex"

RaiseEvent = Callable[[str, str], None]  # (instance id, event name)


class SessionIndexEntry(BaseModel):
    """Session id -> project: a channel knows the session, not its project."""

    id: str
    project_id: str


class SessionGateway:
    def __init__(
        self,
        sessions: TableRepository[SessionRecord],
        index: TableRepository[SessionIndexEntry],
        inbox: TableRepository[InboxEntry],
        raise_event: RaiseEvent,
    ) -> None:
        self._sessions = sessions
        self._index = index
        self._inbox = inbox
        self._raise_event = raise_event

    def active_session(self, session_id: str, project_id: str | None = None) -> SessionRecord:
        """The session if it is active (and in ``project_id`` when given): else 404, or 409 when ended."""
        try:
            project = project_id or self._index.get(session_id, session_id).entity.project_id
            record = self._sessions.get(project, session_id).entity
        except (NotFound, ValueError):
            raise not_found("Session", session_id) from None
        if record.status != "active":
            raise conflict("SessionEnded", f"Session '{session_id}' has ended.")
        return record

    def deliver(self, session_id: str, frame: ClientFrame, project_id: str | None = None) -> None:
        self.active_session(session_id, project_id)
        self._inbox.create(session_id, _entry_for(frame))
        self._raise_event(session_id, names.INBOX_EVENT)


def session_gateway(raise_event: RaiseEvent) -> SessionGateway:
    """The gateway over the platform's tables; ``raise_event`` comes from the trigger's durable client."""
    platform = get_platform()
    return SessionGateway(
        platform.repository(SESSIONS_TABLE, SessionRecord),
        platform.repository(SESSION_INDEX_TABLE, SessionIndexEntry),
        platform.repository(INBOX_TABLE, InboxEntry),
        raise_event,
    )


def _entry_for(frame: ClientFrame) -> InboxEntry:
    if isinstance(frame, UserMessage):
        return new_entry("user_message", text=frame.text)
    if isinstance(frame, ToolResult):
        return new_entry("tool_result", call_id=frame.call_id, result=frame.result, is_error=frame.is_error)
    if isinstance(frame, ClientConnected):
        return new_entry("connected")
    assert isinstance(frame, EndSession)
    return new_entry("end")
