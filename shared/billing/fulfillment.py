"""The two Marketplace flows, as plain Python over the client and the stores (the HTTP triggers in
``api/marketplace.py`` only parse and answer):

- **Landing** (``land``): the purchase token resolves to a subscription; a new subscription gets a
  new organization with the purchaser as admin; a subscription waiting for fulfillment is activated.
  Landing again with the same token (or another token of the same subscription) changes nothing.
- **Webhook** (``process_notification``): an operation already processed is skipped; the operation
  is confirmed with the Operations API (it must exist and match the subscription and action), then
  applied, recorded in the history, and the organization's live sessions end for Suspend and
  Unsubscribe; ChangePlan and ChangeQuantity are acknowledged with a PATCH (Success, or Failure when
  refused). The operation is marked processed last, so a delivery that failed half-way is redone
  whole by Microsoft's retry (every step is idempotent).

Sources:
- https://learn.microsoft.com/partner-center/marketplace/partner-center-portal/pc-saas-fulfillment-webhook
- https://learn.microsoft.com/partner-center/marketplace-offers/pc-saas-fulfillment-subscription-api
- https://learn.microsoft.com/partner-center/marketplace-offers/partner-center-portal/pc-saas-fulfillment-operations-api
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.auth.principals import UserPrincipal
from shared.billing.marketplace import MarketplaceClient, MarketplaceError
from shared.billing.subscriptions import (
    ACKNOWLEDGED_ACTIONS,
    ENDING_ACTIONS,
    ActionNotAllowed,
    OperationFacts,
    ProcessedOperation,
    SubscriptionRecord,
    SubscriptionStore,
    activated,
    apply,
)
from shared.management.store import ManagementStore

log = logging.getLogger("omniagent.billing")

_MARKETPLACE_ID = r"^[A-Za-z0-9-]{1,64}$"  # Microsoft's ids are GUIDs; anything else never reaches a key
_ORGANIZATION_NAME_MAX = 100


class PurchaseNotFound(LookupError):
    """The purchase token does not resolve (unknown, expired or malformed)."""


class LandingRefused(ValueError):
    """The purchase resolves but cannot be fulfilled here (its message says why; safe to show)."""


class OperationNotConfirmed(LookupError):
    """The Operations API does not know the webhook's operation for that subscription and action."""


# ---------------------------------------------------------------------------------------- landing


def organization_id_for(subscription_id: str) -> str:
    """The organization a Marketplace subscription creates: ``org_`` and 20 hex digits of a hash."""
    return f"org_{hashlib.sha256(subscription_id.encode()).hexdigest()[:20]}"


@dataclass(frozen=True)
class Landing:
    subscription: SubscriptionRecord
    organization_created: bool
    activated_now: bool
    marketplace_status: str  # the subscription's status on Microsoft's side, after activation


def land(
    purchase_token: str,
    client: MarketplaceClient,
    store: SubscriptionStore,
    management: ManagementStore,
    now: datetime,
) -> Landing:
    """Resolve, link (creating the organization on first landing) and activate. Raises
    ``PurchaseNotFound``, ``LandingRefused`` or ``MarketplaceError`` (unavailable)."""
    try:
        purchase = client.resolve(purchase_token)
    except MarketplaceError as error:
        if error.refused:
            raise PurchaseNotFound("The purchase token was not recognised.") from None
        raise
    subscription = purchase.subscription
    stored = store.get(purchase.subscription_id)
    organization_created = False
    if stored is None:
        party = subscription.purchaser or subscription.beneficiary
        email = (party.email_id or "").strip().lower() if party else ""
        if not email:
            raise LandingRefused("The purchase names no purchaser e-mail address.")
        name = (purchase.subscription_name or subscription.name or "Marketplace subscription").strip()
        # The organization's id follows from the subscription's: a landing that dies before the
        # subscription is recorded, or two landings at once, end with one organization, not two.
        organization = management.create_organization(
            UserPrincipal(user_id=email, email=email),
            name[:_ORGANIZATION_NAME_MAX],
            organization_id_for(purchase.subscription_id),
        )
        beneficiary = subscription.beneficiary.email_id if subscription.beneficiary else None
        record = SubscriptionRecord(
            id=purchase.subscription_id,
            organization_id=organization.id,
            name=name,
            offer_id=purchase.offer_id,
            plan_id=purchase.plan_id,
            quantity=purchase.quantity,
            status="PendingFulfillmentStart",
            purchaser_email=email,
            beneficiary_email=beneficiary.lower() if beneficiary else None,
            created_at=now,
            updated_at=now,
        )
        stored = store.create(record)  # a concurrent landing may have recorded it first: the same
        organization_created = True
    marketplace_status = subscription.status
    activated_now = False
    if marketplace_status == "PendingFulfillmentStart":
        client.activate(purchase.subscription_id, purchase.plan_id, purchase.quantity)
        activated_now, marketplace_status = True, "Subscribed"
    record = stored.entity
    if marketplace_status == "Subscribed":
        _before, record = store.change(
            record.id, lambda current: activated(current, now), "activate", "Activate"
        )
    return Landing(record, organization_created, activated_now, marketplace_status)


# ---------------------------------------------------------------------------------------- webhook


class WebhookNotification(BaseModel):
    """The body Microsoft POSTs to the webhook (read leniently: Microsoft may add fields)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str = Field(pattern=_MARKETPLACE_ID, description="The operation id.")
    activity_id: str | None = Field(None, alias="activityId")
    subscription_id: str = Field(alias="subscriptionId", pattern=_MARKETPLACE_ID)
    action: str = Field(min_length=1, max_length=64)
    plan_id: str | None = Field(None, alias="planId")
    quantity: int | None = None
    status: str | None = None
    time_stamp: str | None = Field(None, alias="timeStamp")


Outcome = Literal["applied", "refused", "unknownSubscription", "alreadyProcessed"]


@dataclass(frozen=True)
class WebhookOutcome:
    outcome: Outcome
    subscription: SubscriptionRecord | None = None
    ended_sessions: list[str] = field(default_factory=list)


def process_notification(
    notification: WebhookNotification,
    client: MarketplaceClient,
    store: SubscriptionStore,
    end_sessions: Callable[[str], list[str]],
    now: datetime,
) -> WebhookOutcome:
    """Act on one webhook delivery, once per operation id. Raises ``OperationNotConfirmed`` and
    ``MarketplaceError`` (unavailable: the delivery should be retried)."""
    subscription_id, operation_id = notification.subscription_id, notification.id
    done = store.processed(subscription_id, operation_id)
    if done is not None:
        return WebhookOutcome("alreadyProcessed")
    try:
        operation = client.get_operation(subscription_id, operation_id)
    except MarketplaceError as error:
        if error.refused:
            raise OperationNotConfirmed("The Marketplace does not know this operation.") from None
        raise
    if (
        operation.subscription_id.lower() != subscription_id.lower()
        or operation.action != notification.action
    ):
        raise OperationNotConfirmed("The operation does not match the Marketplace's record of it.")
    facts = OperationFacts(operation_id, operation.action, operation.plan_id, operation.quantity)
    needs_answer = operation.action in ACKNOWLEDGED_ACTIONS and operation.status == "InProgress"

    def finish(outcome: Literal["applied", "refused", "unknownSubscription"]) -> None:
        store.mark_processed(
            ProcessedOperation(
                id=operation_id,
                subscription_id=subscription_id,
                action=operation.action,
                outcome=outcome,
                processed_at=now,
            )
        )

    if store.get(subscription_id) is None:
        # Never landed here (or another publisher app's): nothing of ours to change.
        log.warning("Marketplace operation %s for an unknown subscription", operation_id)
        finish("unknownSubscription")
        return WebhookOutcome("unknownSubscription")
    try:
        _before, after = store.change(
            subscription_id, lambda current: apply(current, facts, now), operation_id, operation.action
        )
    except ActionNotAllowed as refusal:
        log.warning("Marketplace operation %s refused: %s", operation_id, refusal)
        if needs_answer:
            _acknowledge(client, subscription_id, operation_id, "Failure")
        finish("refused")
        return WebhookOutcome("refused")
    ended = end_sessions(after.organization_id) if operation.action in ENDING_ACTIONS else []
    if needs_answer:
        _acknowledge(client, subscription_id, operation_id, "Success")
    finish("applied")
    return WebhookOutcome("applied", after, ended)


def _acknowledge(client: MarketplaceClient, subscription_id: str, operation_id: str, status: str) -> None:
    """PATCH the operation; Microsoft refusing (it auto-accepted after 10 s, or a redelivery already
    answered) is not an error of ours."""
    try:
        client.update_operation(subscription_id, operation_id, status)
    except MarketplaceError as error:
        if not error.refused:
            raise
        log.info("Marketplace operation %s was already answered (%s)", operation_id, error.status)
