"""Marketplace subscriptions as we keep them: the record, its history, the operations processed, the
organization's view, and the rules that change them (names are API: renaming a table orphans data).

| table | partition | row | holds |
|---|---|---|---|
| ``marketplacesubscriptions`` | subscription id | subscription id | the subscription (ETag-guarded) |
| ``marketplacehistory`` | subscription id | operation id | one change: action, old and new values |
| ``marketplaceoperations`` | subscription id | operation id | a webhook operation processed (idempotency) |
| ``marketplaceorganizations`` | organization id | organization id | its subscription, plan, status |

The subscription record is the truth; ``marketplaceorganizations`` is its copy keyed by
organization, so the check on every new connection is one point read. Both are written by the same
change (record first, then history, then the copy), and a change is re-applied whole if its webhook
is delivered again before it was marked processed: every write is idempotent.

Statuses and actions follow Microsoft's SaaS fulfillment v2 lifecycle:
https://learn.microsoft.com/partner-center/marketplace/partner-center-portal/pc-saas-fulfillment-life-cycle
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

from azure.data.tables import TableServiceClient
from pydantic import BaseModel

from shared.concurrency import UPDATE_ATTEMPTS, busy
from shared.platform import Platform
from shared.storage import AlreadyExists, ConcurrencyConflict, NotFound, Stored, TableRepository

SUBSCRIPTIONS_TABLE = "marketplacesubscriptions"
HISTORY_TABLE = "marketplacehistory"
OPERATIONS_TABLE = "marketplaceoperations"
ORGANIZATION_SUBSCRIPTIONS_TABLE = "marketplaceorganizations"

SubscriptionStatus = Literal["PendingFulfillmentStart", "Subscribed", "Suspended", "Unsubscribed"]
# "Subscribe" (newer docs: sent once Microsoft has the subscription active) is acknowledged; it
# completes an activation this side has not recorded yet.
Action = Literal["Subscribe", "ChangePlan", "ChangeQuantity", "Renew", "Suspend", "Reinstate", "Unsubscribe"]
ACTIONS: frozenset[str] = frozenset(get_args(Action))
# Actions that wait for the publisher's answer (PATCH Success / Failure) on Microsoft's side.
ACKNOWLEDGED_ACTIONS: frozenset[str] = frozenset({"ChangePlan", "ChangeQuantity"})
# Actions after which the organization's live sessions end.
ENDING_ACTIONS: frozenset[str] = frozenset({"Suspend", "Unsubscribe"})
_BLOCKING: frozenset[str] = frozenset({"Suspended", "Unsubscribed"})


class SubscriptionRecord(BaseModel):
    id: str  # the Marketplace's subscription id
    organization_id: str
    name: str = ""
    offer_id: str
    plan_id: str
    quantity: int | None = None
    status: SubscriptionStatus
    purchaser_email: str | None = None
    beneficiary_email: str | None = None
    created_at: datetime
    updated_at: datetime
    activated_at: datetime | None = None
    last_operation_id: str | None = None


class SubscriptionChange(BaseModel):
    """One line of a subscription's history."""

    id: str  # the operation id (``activate`` for the landing page's activation)
    subscription_id: str
    action: str
    at: datetime
    old_status: str | None = None
    new_status: str
    old_plan_id: str | None = None
    new_plan_id: str
    old_quantity: int | None = None
    new_quantity: int | None = None
    recorded_at: datetime | None = None  # when the line was written (orders lines of the same second)


class ProcessedOperation(BaseModel):
    id: str  # the operation id
    subscription_id: str
    action: str
    outcome: Literal["applied", "refused", "unknownSubscription"]
    processed_at: datetime


class OrganizationSubscription(BaseModel):
    """An organization's subscription, as the connection check and metering read it."""

    id: str  # the organization id
    subscription_id: str
    plan_id: str
    status: SubscriptionStatus
    updated_at: datetime


@dataclass(frozen=True)
class OperationFacts:
    """What an operation asks for, as confirmed by Microsoft's Operations API."""

    id: str
    action: str
    plan_id: str | None = None
    quantity: int | None = None


class ActionNotAllowed(ValueError):
    """The action cannot apply to the subscription in its status (e.g. anything after Unsubscribe)."""


# ---------------------------------------------------------------------------------------- rules


def blocks_connections(status: str | None) -> bool:
    """Whether an organization whose subscription has this status may not open new sessions."""
    return status in _BLOCKING


def apply(subscription: SubscriptionRecord, operation: OperationFacts, now: datetime) -> SubscriptionRecord:
    """The subscription after the operation. Raises ``ActionNotAllowed`` for an unknown action or
    one its status does not allow (an unsubscribed subscription is final)."""
    if operation.action not in ACTIONS:
        raise ActionNotAllowed(f"Unknown action {operation.action!r}.")
    if subscription.status == "Unsubscribed":
        raise ActionNotAllowed("The subscription is unsubscribed: nothing changes it any more.")
    changes: dict[str, object] = {"updated_at": now, "last_operation_id": operation.id}
    match operation.action:
        case "Subscribe":
            return activated(subscription, now).model_copy(update={"last_operation_id": operation.id})
        case "ChangePlan":
            if not operation.plan_id:
                raise ActionNotAllowed("ChangePlan names no plan.")
            changes["plan_id"] = operation.plan_id
        case "ChangeQuantity":
            changes["quantity"] = operation.quantity
        case "Suspend":
            changes["status"] = "Suspended"
        case "Reinstate":
            changes["status"] = "Subscribed"
        case "Unsubscribe":
            changes["status"] = "Unsubscribed"
        case "Renew":
            pass  # a new term: nothing we keep changes
    return subscription.model_copy(update=changes)


def activated(subscription: SubscriptionRecord, now: datetime) -> SubscriptionRecord:
    """After the landing page's activation (a no-op for a subscription already past it)."""
    if subscription.status != "PendingFulfillmentStart":
        return subscription
    return subscription.model_copy(update={"status": "Subscribed", "activated_at": now, "updated_at": now})


def change_of(
    before: SubscriptionRecord | None, after: SubscriptionRecord, change_id: str, action: str, now: datetime
) -> SubscriptionChange:
    return SubscriptionChange(
        id=change_id,
        subscription_id=after.id,
        action=action,
        at=now,
        old_status=before.status if before else None,
        new_status=after.status,
        old_plan_id=before.plan_id if before else None,
        new_plan_id=after.plan_id,
        old_quantity=before.quantity if before else None,
        new_quantity=after.quantity,
    )


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


# ---------------------------------------------------------------------------------------- store


@dataclass
class SubscriptionStore:
    subscriptions: TableRepository[SubscriptionRecord]
    history: TableRepository[SubscriptionChange]
    operations: TableRepository[ProcessedOperation]
    organizations: TableRepository[OrganizationSubscription]

    @classmethod
    def on(cls, service: TableServiceClient) -> SubscriptionStore:
        """The store over the app's tables of an account (the app itself uses ``subscription_store``)."""
        return cls(
            subscriptions=TableRepository(service, SUBSCRIPTIONS_TABLE, SubscriptionRecord),
            history=TableRepository(service, HISTORY_TABLE, SubscriptionChange),
            operations=TableRepository(service, OPERATIONS_TABLE, ProcessedOperation),
            organizations=TableRepository(
                service, ORGANIZATION_SUBSCRIPTIONS_TABLE, OrganizationSubscription
            ),
        )

    def get(self, subscription_id: str) -> Stored[SubscriptionRecord] | None:
        try:
            return self.subscriptions.get(subscription_id, subscription_id)
        except (NotFound, ValueError):
            return None

    def create(self, record: SubscriptionRecord) -> Stored[SubscriptionRecord]:
        """Record a new subscription (first landing); if a concurrent landing recorded it first,
        theirs is answered."""
        try:
            stored = self.subscriptions.create(record.id, record)
        except AlreadyExists:
            found = self.get(record.id)
            assert found is not None
            return found
        self._record(change_of(None, record, "purchase", "Purchase", record.created_at))
        self._copy_to_organization(record)
        return stored

    def change(
        self,
        subscription_id: str,
        change: Callable[[SubscriptionRecord], SubscriptionRecord],
        change_id: str,
        action: str,
    ) -> tuple[SubscriptionRecord, SubscriptionRecord]:
        """Read, change, write with the ETag read (again on a conflict); then the history line and
        the organization's copy (rewritten even when nothing changed, in case a crash left it behind).
        Answers (before, after); raises ``NotFound``, ``ActionNotAllowed``."""
        for _ in range(UPDATE_ATTEMPTS):
            stored = self.get(subscription_id)
            if stored is None:
                raise NotFound(f"subscription {subscription_id!r}")
            updated = change(stored.entity)
            if updated != stored.entity:  # an unchanged record (a repeated landing) writes no line
                try:
                    self.subscriptions.update(subscription_id, updated, stored.etag)
                except ConcurrencyConflict:
                    continue
                self._record(change_of(stored.entity, updated, change_id, action, updated.updated_at))
            self._copy_to_organization(updated)
            return stored.entity, updated
        raise busy("subscription")

    def history_of(self, subscription_id: str) -> list[SubscriptionChange]:
        lines = self.history.list_all(subscription_id)
        return sorted(lines, key=lambda change: (change.recorded_at or change.at, change.id))

    def processed(self, subscription_id: str, operation_id: str) -> ProcessedOperation | None:
        try:
            return self.operations.get(subscription_id, operation_id).entity
        except (NotFound, ValueError):
            return None

    def mark_processed(self, record: ProcessedOperation) -> None:
        self.operations.upsert(record.subscription_id, record)

    def subscription_for_organization(self, organization_id: str) -> OrganizationSubscription | None:
        """The organization's subscription (one point read); None when it has none."""
        try:
            return self.organizations.get(organization_id, organization_id).entity
        except (NotFound, ValueError):
            return None

    def _record(self, change: SubscriptionChange) -> None:
        recorded = change.model_copy(update={"recorded_at": datetime.now(UTC)})
        self.history.upsert(change.subscription_id, recorded)

    def _copy_to_organization(self, record: SubscriptionRecord) -> None:
        self.organizations.upsert(
            record.organization_id,
            OrganizationSubscription(
                id=record.organization_id,
                subscription_id=record.id,
                plan_id=record.plan_id,
                status=record.status,
                updated_at=record.updated_at,
            ),
        )


def subscription_store(platform: Platform) -> SubscriptionStore:
    return SubscriptionStore(
        subscriptions=platform.repository(SUBSCRIPTIONS_TABLE, SubscriptionRecord),
        history=platform.repository(HISTORY_TABLE, SubscriptionChange),
        operations=platform.repository(OPERATIONS_TABLE, ProcessedOperation),
        organizations=platform.repository(ORGANIZATION_SUBSCRIPTIONS_TABLE, OrganizationSubscription),
    )
