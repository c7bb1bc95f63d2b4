"""What an organization's subscription means for its sessions: no new connection while it is
suspended or unsubscribed (402), and its live sessions end with reason ``billing``.

A session is ended the way a client's ``end_session`` command ends it: an ``end`` entry in the
session's inbox (here with ``reason: billing``), then the ``inbox`` wake-up event; the orchestrator
ends at once, without answering queued turns. Nothing is enforced while billing is off (no
Marketplace settings).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from shared import durable_names as names
from shared.api_errors import payment_required
from shared.billing.subscriptions import blocks_connections, subscription_store
from shared.management.records import PROJECTS_TABLE, ProjectRecord
from shared.platform import Platform
from shared.sessions.inbox import INBOX_TABLE, InboxEntry, new_entry
from shared.sessions.records import SESSIONS_TABLE, SessionRecord

log = logging.getLogger("omniagent.billing")

RaiseEvent = Callable[[str, str], None]  # (instance id, event name)

# Live sessions: pending or started (``active``: rows stored before the published lifecycle).
_LIVE_FILTER = "status eq @pending or status eq @started or status eq @legacy"
_LIVE_PARAMETERS = {"pending": "pending", "started": "started", "legacy": "active"}


def refuse_unpaid_connection(platform: Platform, organization_id: str) -> None:
    """Raise 402 when the organization's subscription does not allow new sessions."""
    if not platform.settings.marketplace.enabled:
        return
    subscription = subscription_store(platform).subscription_for_organization(organization_id)
    if subscription is not None and blocks_connections(subscription.status):
        raise payment_required(
            f"The organization's Marketplace subscription is {subscription.status.lower()}: "
            "new sessions are refused until it is reinstated."
        )


def end_live_sessions(platform: Platform, organization_id: str, raise_event: RaiseEvent) -> list[str]:
    """Ask every active session of the organization's projects to end with reason ``billing``;
    answers their ids. Safe to repeat: an ended session ignores a second end."""
    projects = platform.repository(PROJECTS_TABLE, ProjectRecord).list_all(organization_id)
    sessions = platform.repository(SESSIONS_TABLE, SessionRecord)
    inbox = platform.repository(INBOX_TABLE, InboxEntry)
    ended: list[str] = []
    for project in projects:
        for session in sessions.list_all(project.id, _LIVE_FILTER, _LIVE_PARAMETERS):
            inbox.create(session.id, new_entry("end", reason="billing"))
            raise_event(session.id, names.INBOX_EVENT)
            ended.append(session.id)
    if ended:
        log.info("Ending %d session(s) of organization %s: billing", len(ended), organization_id)
    return ended
