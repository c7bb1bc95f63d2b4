"""The client of Microsoft's Marketplace APIs: SaaS Fulfillment v2 (resolve, get, activate), the
Operations API (get, PATCH) and the Metering service (batch usage events).

Built on the ``azure-core`` pipeline: a ``BearerTokenCredentialPolicy`` with the publisher's Entra app
(``azure.identity.ClientSecretCredential``, scope = the Marketplace's resource id), a retry policy
(5xx, 408/429 and connection errors, with backoff) and ``x-ms-requestid`` / ``x-ms-correlationid``
headers. Answers are parsed leniently (Microsoft reserves the right to add fields).

Sources:
- https://learn.microsoft.com/partner-center/marketplace-offers/pc-saas-fulfillment-subscription-api
- https://learn.microsoft.com/partner-center/marketplace-offers/partner-center-portal/pc-saas-fulfillment-operations-api
- https://learn.microsoft.com/partner-center/marketplace/marketplace-metering-service-apis
- https://learn.microsoft.com/partner-center/marketplace/partner-center-portal/pc-saas-registration
  (the token's resource: 20e940b3-4c77-4b0b-9a53-9e16a1b010a7)
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlsplit

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError
from azure.core.pipeline.policies import (
    BearerTokenCredentialPolicy,
    HeadersPolicy,
    RetryPolicy,
    UserAgentPolicy,
)
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest, HttpResponse
from azure.identity import AzureAuthorityHosts, ClientSecretCredential
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from shared.settings import MarketplaceSettings, get_settings

MARKETPLACE_APP_ID = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7"
MARKETPLACE_SCOPE = f"{MARKETPLACE_APP_ID}/.default"
API_VERSION = "2018-08-31"
MAX_BATCH_EVENTS = 25
_KNOWN_AUTHORITY_HOSTS = frozenset(
    urlsplit(f"https://{host}").hostname
    for host in (
        AzureAuthorityHosts.AZURE_PUBLIC_CLOUD,
        AzureAuthorityHosts.AZURE_GOVERNMENT,
        AzureAuthorityHosts.AZURE_CHINA,
    )
)


class MarketplaceError(Exception):
    """A Marketplace call that failed: transport or 5xx after retries (``status`` None or >= 500),
    or refused (4xx, ``status`` and Microsoft's ``code``)."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    @property
    def refused(self) -> bool:
        """Microsoft refused the request itself (4xx): retrying the same request will not help."""
        return self.status is not None and 400 <= self.status < 500


# ---------------------------------------------------------------------------------------- results


class _Wire(BaseModel):
    """Microsoft's camelCase JSON, read leniently: unknown fields are ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


class Party(_Wire):
    """The purchaser or the beneficiary of a subscription."""

    email_id: str | None = None
    object_id: str | None = None
    tenant_id: str | None = None


class MarketplaceSubscription(_Wire):
    id: str
    name: str = ""
    publisher_id: str | None = None
    offer_id: str
    plan_id: str
    quantity: int | None = None
    status: str = Field(alias="saasSubscriptionStatus")
    purchaser: Party | None = None
    beneficiary: Party | None = None
    is_test: bool = False
    is_free_trial: bool = False


class ResolvedPurchase(_Wire):
    """What a purchase token (the landing page's ``?token=``) stands for."""

    subscription_id: str = Field(alias="id")
    subscription_name: str = ""
    offer_id: str
    plan_id: str
    quantity: int | None = None
    subscription: MarketplaceSubscription


class MarketplaceOperation(_Wire):
    id: str
    activity_id: str | None = None
    subscription_id: str
    offer_id: str | None = None
    publisher_id: str | None = None
    plan_id: str | None = None
    quantity: int | None = None
    action: str
    status: str
    time_stamp: str | None = None


@dataclass(frozen=True)
class UsageEvent:
    """One usage event: ``quantity`` units of ``dimension`` in the hour starting at
    ``effective_start_time`` (UTC, on the hour)."""

    resource_id: str
    plan_id: str
    dimension: str
    quantity: float
    effective_start_time: datetime

    def to_json(self) -> dict[str, Any]:
        start = self.effective_start_time.astimezone(UTC)
        return {
            "resourceId": self.resource_id,
            "quantity": self.quantity,
            "dimension": self.dimension,
            "effectiveStartTime": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "planId": self.plan_id,
        }


@dataclass(frozen=True)
class UsageEventResult:
    """Microsoft's verdict on one event: ``Accepted``, ``Duplicate`` (``usage_event_id`` is then the
    accepted original's), ``Expired``, ``ResourceNotFound``, ``InvalidQuantity``, ``BadArgument``..."""

    event: UsageEvent
    status: str
    usage_event_id: str | None
    message: str | None


# ---------------------------------------------------------------------------------------- client


class MarketplaceClient:
    def __init__(
        self,
        settings: MarketplaceSettings,
        credential: TokenCredential | None = None,
        *,
        connection_verify: bool | str = True,
        retry_total: int = 3,
        retry_backoff_factor: float = 0.8,
        retry_backoff_max: float = 10.0,
        timeout_seconds: float = 30.0,
    ) -> None:
        """``connection_verify``: True, or a CA bundle path (tests trust their loopback server)."""
        if not settings.enabled:
            raise MarketplaceError(
                "The Marketplace is not configured (OMNI_MARKETPLACE_TENANT_ID, _CLIENT_ID)."
            )
        self._settings = settings
        self._api_url = settings.api_url.rstrip("/")
        self._credential = credential or _publisher_credential(settings, connection_verify)
        self._timeout = timeout_seconds
        self._client: PipelineClient[HttpRequest, HttpResponse] = PipelineClient(
            self._api_url,
            policies=[
                HeadersPolicy({"Accept": "application/json"}),
                UserAgentPolicy(sdk_moniker="omniagent-marketplace"),
                RetryPolicy(
                    retry_total=retry_total,
                    retry_backoff_factor=retry_backoff_factor,
                    retry_backoff_max=retry_backoff_max,
                ),
                BearerTokenCredentialPolicy(self._credential, MARKETPLACE_SCOPE),
            ],
            transport=RequestsTransport(connection_verify=connection_verify),
        )

    # --- fulfillment -----------------------------------------------------------------------------

    def resolve(self, purchase_token: str) -> ResolvedPurchase:
        """The subscription a landing page's purchase token stands for (refused: 400)."""
        answer = self._call(
            "POST",
            "/api/saas/subscriptions/resolve",
            headers={"x-ms-marketplace-token": purchase_token},
        )
        return _parse(ResolvedPurchase, answer)

    def activate(self, subscription_id: str, plan_id: str, quantity: int | None) -> None:
        body: dict[str, Any] = {"planId": plan_id}
        if quantity is not None:
            body["quantity"] = quantity
        self._call("POST", f"/api/saas/subscriptions/{_segment(subscription_id)}/activate", body=body)

    def get_subscription(self, subscription_id: str) -> MarketplaceSubscription:
        answer = self._call("GET", f"/api/saas/subscriptions/{_segment(subscription_id)}")
        return _parse(MarketplaceSubscription, answer)

    # --- operations ------------------------------------------------------------------------------

    def get_operation(self, subscription_id: str, operation_id: str) -> MarketplaceOperation:
        path = f"/api/saas/subscriptions/{_segment(subscription_id)}/operations/{_segment(operation_id)}"
        return _parse(MarketplaceOperation, self._call("GET", path))

    def update_operation(self, subscription_id: str, operation_id: str, status: str) -> None:
        """Acknowledge an operation (``Success``) or refuse it (``Failure``): the body the Operations
        API documents is the status alone."""
        body: dict[str, Any] = {"status": status}
        path = f"/api/saas/subscriptions/{_segment(subscription_id)}/operations/{_segment(operation_id)}"
        self._call("PATCH", path, body=body)

    # --- metering --------------------------------------------------------------------------------

    def post_usage_batch(self, events: Sequence[UsageEvent]) -> list[UsageEventResult]:
        """Post at most 25 events in one call; one result per event, in the events' order.

        Raises ``MarketplaceError`` on transport errors or 5xx after retries, and when the batch is
        refused as a whole (4xx)."""
        if len(events) > MAX_BATCH_EVENTS:
            raise ValueError(f"A batch holds at most {MAX_BATCH_EVENTS} usage events, not {len(events)}.")
        if not events:
            return []
        answer = self._call("POST", "/api/batchUsageEvent", body={"request": [e.to_json() for e in events]})
        results = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(results, list):
            raise MarketplaceError("The metering service answered without results.", status=200)
        return _match_results(events, [r for r in results if isinstance(r, dict)])

    # --- transport -------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        request_headers = {
            "x-ms-requestid": str(uuid.uuid4()),
            "x-ms-correlationid": str(uuid.uuid4()),
            **(headers or {}),
        }
        request = HttpRequest(
            method,
            f"{self._api_url}{path}",
            params={"api-version": API_VERSION},
            headers=request_headers,
            json=body if body is not None else ({} if method in ("POST", "PATCH") else None),
        )
        try:
            response = self._client.send_request(request, connection_timeout=10, read_timeout=self._timeout)
            response.read()
        except AzureError as error:
            # The credential's and the transport's errors: never their text, it may hold a secret.
            raise MarketplaceError(
                f"The Marketplace could not be reached ({type(error).__name__})."
            ) from None
        if response.status_code >= 400:
            code, message = _error_of(response)
            raise MarketplaceError(
                f"The Marketplace answered {response.status_code} to {method} {path.split('?')[0]}"
                + (f": {code}: {message}" if code else ""),
                status=response.status_code,
                code=code,
            )
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise MarketplaceError("The Marketplace answered a body that is not JSON.", status=200) from None


def _publisher_credential(settings: MarketplaceSettings, connection_verify: bool | str) -> TokenCredential:
    if not settings.client_secret:
        raise MarketplaceError("OMNI_MARKETPLACE_CLIENT_SECRET is not set.")
    assert settings.tenant_id and settings.client_id  # settings.enabled
    host = urlsplit(settings.authority).hostname
    return ClientSecretCredential(
        settings.tenant_id,
        settings.client_id,
        settings.client_secret,
        authority=settings.authority,
        # Entra's own hosts are known to MSAL; any other authority (a sovereign or test one) is
        # trusted as configured instead of being checked against login.microsoftonline.com.
        disable_instance_discovery=host not in _KNOWN_AUTHORITY_HOSTS,
        connection_verify=connection_verify,
    )


def _segment(value: str) -> str:
    return quote(value, safe="")


def _parse(model: type[Any], answer: Any) -> Any:
    try:
        return model.model_validate(answer)
    except ValidationError:
        raise MarketplaceError(
            f"The Marketplace answered a {model.__name__} we cannot read.", status=200
        ) from None


def _error_of(response: HttpResponse) -> tuple[str | None, str | None]:
    """Microsoft's error code and message: ``{"error": {code, message}}`` or ``{code, message}``."""
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return None, None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    if not isinstance(body, dict):
        return None, None
    details = body.get("details")
    message = body.get("message")
    if isinstance(details, list) and details and isinstance(details[0], dict):
        message = details[0].get("message") or message
    code = body.get("code")
    return (str(code) if code else None), (str(message)[:300] if message else None)


def _hour_key(resource_id: Any, dimension: Any, start: Any) -> tuple[str, str, str] | None:
    if not isinstance(start, str):
        return None
    try:
        moment = datetime.fromisoformat(start.replace("Z", "+00:00"))
    except ValueError:
        return None
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    return str(resource_id).lower(), str(dimension), moment.strftime("%Y-%m-%dT%H")


def _match_results(events: Sequence[UsageEvent], results: list[dict[str, Any]]) -> list[UsageEventResult]:
    """Pair results with events by resource, dimension and hour (Microsoft does not promise the
    order); an event without a result is reported as ``Missing``."""
    by_key: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for result in results:
        key = _hour_key(result.get("resourceId"), result.get("dimension"), result.get("effectiveStartTime"))
        if key is not None:
            by_key.setdefault(key, []).append(result)
    matched: list[UsageEventResult] = []
    for event in events:
        wire = event.to_json()
        key = _hour_key(event.resource_id, event.dimension, wire["effectiveStartTime"])
        candidates = by_key.get(key) if key else None
        if not candidates:
            matched.append(UsageEventResult(event, "Missing", None, "The metering service gave no result."))
            continue
        matched.append(_result_of(event, candidates.pop(0)))
    return matched


def _result_of(event: UsageEvent, result: dict[str, Any]) -> UsageEventResult:
    status = str(result.get("status") or "Error")
    error = result.get("error") if isinstance(result.get("error"), dict) else {}
    assert isinstance(error, dict)
    usage_event_id = result.get("usageEventId")
    if status == "Duplicate":
        info = error.get("additionalInfo") if isinstance(error.get("additionalInfo"), dict) else {}
        accepted = info.get("acceptedMessage") if isinstance(info, dict) else None
        if isinstance(accepted, dict):
            usage_event_id = accepted.get("usageEventId") or usage_event_id
    message = error.get("message")
    return UsageEventResult(
        event=event,
        status=status,
        usage_event_id=str(usage_event_id) if usage_event_id else None,
        message=str(message) if message else None,
    )


@lru_cache(maxsize=1)
def marketplace_client() -> MarketplaceClient:
    """The app's client, from the settings (built on first use; raises when billing is off)."""
    return MarketplaceClient(get_settings().marketplace)
