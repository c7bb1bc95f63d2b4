"""The Azure Marketplace's two doors into the platform (not customer API: outside the OpenAPI document).

- ``GET /marketplace/landing?token=...``: the landing page a buyer is sent to after purchase. Resolves
  the token, links the subscription to an organization (a new one, with the purchaser as admin, on
  first landing) and activates it; answers a small HTML page, or JSON with ``Accept: application/json``.
- ``POST /marketplace/webhook``: Microsoft's notifications (ChangePlan, ChangeQuantity, Renew,
  Suspend, Reinstate, Unsubscribe), with an Entra ID bearer token (401 otherwise, nothing changed).

The flows are in ``shared/billing/fulfillment.py``; both routes answer 404 while billing is off.
"""

from __future__ import annotations

import html
import logging

import azure.durable_functions as df

from api.endpoint import Reply, RequestContext, endpoint
from shared.api_errors import ApiError, ErrorKind, validation_failed
from shared.billing.enforcement import end_live_sessions
from shared.billing.fulfillment import (
    Landing,
    LandingRefused,
    OperationNotConfirmed,
    PurchaseNotFound,
    WebhookNotification,
    land,
    process_notification,
)
from shared.billing.marketplace import MarketplaceError, marketplace_client
from shared.billing.subscriptions import subscription_store, utc_now
from shared.billing.webhook_auth import webhook_authenticator
from shared.management.store import management_store
from shared.platform import get_platform

bp = df.Blueprint()
log = logging.getLogger("omniagent.billing")

TAG = "Marketplace"
_MAX_TOKEN_LENGTH = 4096
_NOT_IDENTIFIED = (
    "We couldn't identify this purchase. Reopen this SaaS subscription in the Azure portal or in "
    'Microsoft 365 Admin Center and select "Configure Account" or "Manage Account" again.'
)


def _billing_off() -> ApiError:
    return ApiError(
        404, "MarketplaceNotConfigured", "Billing through the Marketplace is off here.", ErrorKind.NOT_FOUND
    )


def _unavailable() -> ApiError:
    return ApiError(
        503, "MarketplaceUnavailable", "The Marketplace could not be reached: try again.", ErrorKind.FAILURE
    )


@endpoint(
    bp,
    "GET",
    "marketplace/landing",
    summary="Marketplace landing page",
    tag=TAG,
    auth="none",
    errors=(400, 404, 503),
    documented=False,
)
def marketplace_landing(ctx: RequestContext) -> Reply:
    wants_json = "application/json" in (ctx.request.headers.get("Accept") or "")
    try:
        landing = _land(ctx.request.params.get("token") or "")
    except ApiError as error:
        if wants_json:
            raise
        return _page(error.status, "We couldn't set up your subscription", error.description)
    subscription = landing.subscription
    answer = {
        "subscriptionId": subscription.id,
        "organizationId": subscription.organization_id,
        "organizationCreated": landing.organization_created,
        "activated": landing.activated_now,
        "status": subscription.status,
        "planId": subscription.plan_id,
        "quantity": subscription.quantity,
        "purchaserEmail": subscription.purchaser_email,
    }
    if wants_json:
        return Reply(answer)
    lines = [
        f"Subscription {subscription.name or subscription.id} is {subscription.status.lower()}, "
        f"on plan {subscription.plan_id}.",
        f"Organization {subscription.organization_id} "
        + ("was created for it" if landing.organization_created else "holds it")
        + f"; {subscription.purchaser_email or 'the purchaser'} is its admin.",
        "Sign in to the management API with that address to create projects and API keys.",
    ]
    return _page(200, "Your Omniagent subscription is ready", *lines)


def _land(token: str) -> Landing:
    platform = get_platform()
    if not platform.settings.marketplace.enabled:
        raise _billing_off()
    token = token.strip()
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        raise validation_failed("The landing page needs the purchase token (?token=...).")
    try:
        return land(
            token, marketplace_client(), subscription_store(platform), management_store(platform), utc_now()
        )
    except PurchaseNotFound:
        raise ApiError(400, "PurchaseNotIdentified", _NOT_IDENTIFIED, ErrorKind.VALIDATION) from None
    except LandingRefused as refusal:
        raise ApiError(400, "PurchaseNotFulfillable", str(refusal), ErrorKind.VALIDATION) from None
    except MarketplaceError as error:
        log.warning("Marketplace landing failed: %s", error)
        raise _unavailable() from None


def _page(status: int, title: str, *paragraphs: str) -> Reply:
    body = "".join(f"<p>{html.escape(text)}</p>" for text in paragraphs)
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return Reply(raw_body=page.encode(), status=status, content_type="text/html")


@endpoint(
    bp,
    "POST",
    "marketplace/webhook",
    summary="Marketplace webhook",
    tag=TAG,
    auth="none",
    errors=(400, 401, 404, 503),
    durable_client=True,
    documented=False,
)
def marketplace_webhook(ctx: RequestContext) -> Reply:
    platform = get_platform()
    if not platform.settings.marketplace.enabled:
        raise _billing_off()
    webhook_authenticator().authenticate(ctx.request.headers.get("Authorization"))
    notification = ctx.body(WebhookNotification)
    durable = ctx.durable
    assert durable is not None
    try:
        outcome = process_notification(
            notification,
            marketplace_client(),
            subscription_store(platform),
            lambda organization_id: end_live_sessions(platform, organization_id, durable.raise_event),
            utc_now(),
        )
    except OperationNotConfirmed as refusal:
        raise ApiError(400, "OperationNotConfirmed", str(refusal), ErrorKind.VALIDATION) from None
    except MarketplaceError as error:
        log.warning("Marketplace webhook %s not processed: %s", notification.id, error)
        raise _unavailable() from None
    subscription = outcome.subscription
    return Reply(
        {
            "operationId": notification.id,
            "outcome": outcome.outcome,
            "status": subscription.status if subscription else None,
            "endedSessions": len(outcome.ended_sessions),
        }
    )
