"""A loopback Azure Marketplace: Entra ID (client credentials, OpenID configuration, signing keys), the
SaaS Fulfillment APIs v2, the Operations API and the Metering service, for the real ``azure-identity``
and ``azure-core`` clients to talk to.

One aiohttp server over TLS on 127.0.0.1 (azure-identity only accepts https authorities, and
``BearerTokenCredentialPolicy`` refuses tokens over plain http), in a background thread. Its CA is
written next to a copy of certifi's bundle (``ca_bundle``): hand ``connection_verify=fake.ca_bundle``
to in-process clients, or ``devhost_env()`` (``REQUESTS_CA_BUNDLE``/``SSL_CERT_FILE``) to a devhost.

Shapes and rules follow Microsoft's documentation:

- Entra ID: ``POST /{tenant}/oauth2/v2.0/token`` (client credentials; the secret and the scope
  ``20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default`` are checked, tokens issued are recorded),
  ``GET /{tenant}/v2.0/.well-known/openid-configuration`` and its ``jwks_uri``.
  https://learn.microsoft.com/partner-center/marketplace/partner-center-portal/pc-saas-registration
- Fulfillment v2: resolve (``x-ms-marketplace-token``), get subscription, activate.
  https://learn.microsoft.com/partner-center/marketplace-offers/pc-saas-fulfillment-subscription-api
- Operations: list, get, ``PATCH {status}``; ``start_operation`` returns the webhook body Microsoft
  would POST. https://learn.microsoft.com/partner-center/marketplace-offers/partner-center-portal/pc-saas-fulfillment-operations-api
  https://learn.microsoft.com/partner-center/marketplace/partner-center-portal/pc-saas-fulfillment-webhook
- Metering: ``POST /api/usageEvent`` and ``POST /api/batchUsageEvent`` (at most 25 events; one event
  per resource, dimension and hour: a second is ``Duplicate`` with the accepted one in
  ``error.additionalInfo.acceptedMessage``; older than 24 hours ``Expired``; in the future
  ``BadArgument``; unknown resource ``ResourceNotFound``; a subscription not ``Subscribed``
  ``ResourceNotActive``; quantity not above 0 ``InvalidQuantity``).
  https://learn.microsoft.com/partner-center/marketplace/marketplace-metering-service-apis

Every API call must carry a bearer token this fake issued for the Marketplace scope (else 401) and
``api-version=2018-08-31`` (else 400). The webhook side: ``webhook_token(...)`` signs RS256 tokens
as Entra would for the Marketplace's calls to the publisher (``forged=True`` signs with a key the
JWKS does not hold, under the same ``kid``).

Failure injection for the metering client: ``fail_next(n, status)`` answers the next ``n`` API calls
with that status without acting; ``lose_next_answers(n, how)`` acts (events accepted) and then
answers 500 (``how="error"``) or drops the connection (``how="drop"``), as a crash between Microsoft
accepting and the caller recording would look. ``now`` is the fake's clock (``set_now``).
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import secrets
import ssl
import tempfile
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import certifi
import jwt
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from shared.settings import MarketplaceSettings
from tests.fakes.loopback import LoopbackServer

MARKETPLACE_APP_ID = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7"
MARKETPLACE_SCOPE = f"{MARKETPLACE_APP_ID}/.default"
API_VERSION = "2018-08-31"
MAX_BATCH_EVENTS = 25
PUBLISHER_ID = "omniagent-publisher"
DEFAULT_OFFER_ID = "omniagent"

# Actions Microsoft completes before notifying (the publisher only acknowledges with HTTP 200) and
# actions that wait for the publisher's PATCH (auto-accepted after 10 s on Microsoft's side).
_NOTIFY_ONLY = frozenset({"Renew", "Suspend", "Unsubscribe"})
_ACTION_STATUS = {"Suspend": "Suspended", "Unsubscribe": "Unsubscribed", "Reinstate": "Subscribed"}


def _utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class FakeSubscription:
    id: str
    name: str
    offer_id: str
    plan_id: str
    quantity: int | None
    status: str
    purchaser_email: str
    beneficiary_email: str
    purchase_token: str
    customer_tenant_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def to_json(self) -> dict[str, Any]:
        """The subscription as the Fulfillment API answers it."""
        start = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        body: dict[str, Any] = {
            "id": self.id,
            "publisherId": PUBLISHER_ID,
            "offerId": self.offer_id,
            "name": self.name,
            "saasSubscriptionStatus": self.status,
            "beneficiary": {
                "emailId": self.beneficiary_email,
                "objectId": str(uuid.uuid5(uuid.NAMESPACE_URL, self.beneficiary_email)),
                "tenantId": self.customer_tenant_id,
                "puid": "10003FFE9D5D2FA0",
            },
            "purchaser": {
                "emailId": self.purchaser_email,
                "objectId": str(uuid.uuid5(uuid.NAMESPACE_URL, self.purchaser_email)),
                "tenantId": self.customer_tenant_id,
                "puid": "10003FFE9D5D2FA0",
            },
            "planId": self.plan_id,
            "term": {
                "termUnit": "P1M",
                "startDate": _utc_text(start),
                "endDate": _utc_text(start + dt.timedelta(days=30)),
            },
            "autoRenew": True,
            "isTest": True,
            "isFreeTrial": False,
            "allowedCustomerOperations": ["Delete", "Update", "Read"],
            "sandboxType": "None",
            "sessionMode": "None",
        }
        if self.quantity is not None:
            body["quantity"] = self.quantity
        return body


@dataclass
class FakeOperation:
    id: str
    activity_id: str
    subscription_id: str
    offer_id: str
    plan_id: str
    quantity: int | None
    action: str
    status: str
    time_stamp: str

    def to_json(self) -> dict[str, Any]:
        """As the Operations API answers it (GET operation, list outstanding operations)."""
        return {
            "id": self.id,
            "activityId": self.activity_id,
            "subscriptionId": self.subscription_id,
            "offerId": self.offer_id,
            "publisherId": PUBLISHER_ID,
            "planId": self.plan_id,
            "quantity": self.quantity,
            "action": self.action,
            "timeStamp": self.time_stamp,
            "status": self.status,
            "errorStatusCode": "",
            "errorMessage": "",
        }


@dataclass(frozen=True)
class IssuedToken:
    """An access token the fake's token endpoint issued (client credentials)."""

    token: str
    client_id: str
    scope: str


@dataclass(frozen=True)
class MeteringCall:
    """One call of the metering API: its path, the events sent and the status answered."""

    path: str
    events: list[dict[str, Any]]
    status: int


@dataclass(frozen=True)
class AcceptedEvent:
    usage_event_id: str
    resource_id: str
    plan_id: str
    dimension: str
    quantity: float
    effective_start_time: dt.datetime
    message_time: dt.datetime
    message: dict[str, Any]  # the accepted message as answered


@dataclass(frozen=True)
class OperationPatch:
    subscription_id: str
    operation_id: str
    body: dict[str, Any]


@dataclass(frozen=True)
class _Tls:
    folder: Path
    server_context: ssl.SSLContext
    ca_file: Path  # our CA only
    ca_bundle: Path  # certifi's CAs plus ours


def _make_tls() -> _Tls:
    """A CA and a server certificate for 127.0.0.1 / localhost signed by it (strict X.509 checks
    pass: key usages, key identifiers)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Fake Marketplace Test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder = Path(tempfile.mkdtemp(prefix="fake-marketplace-"))
    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    (folder / "ca.pem").write_bytes(ca_pem)
    (folder / "bundle.pem").write_bytes(Path(certifi.where()).read_bytes() + b"\n" + ca_pem)
    (folder / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "server-key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(folder / "server.pem", folder / "server-key.pem")
    return _Tls(folder, context, folder / "ca.pem", folder / "bundle.pem")


class FakeMarketplace(LoopbackServer):
    thread_name = "fake-marketplace"

    def __init__(
        self,
        *,
        tenant_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> None:
        self.tenant_id = tenant_id or str(uuid.uuid4())
        self.client_id = client_id or str(uuid.uuid4())
        self.client_secret = client_secret or f"secret-{secrets.token_urlsafe(24)}"
        self._signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._forger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = f"kid-{secrets.token_hex(6)}"
        self._tls = _make_tls()
        super().__init__(ssl_context=self._tls.server_context)
        self._lock = threading.Lock()
        self._now: dt.datetime | None = None
        # Tokens stay valid across resets: clients (a devhost) cache theirs for an hour.
        self._tokens: set[str] = set()
        self._reset_state()

    def _reset_state(self) -> None:
        self.subscriptions: dict[str, FakeSubscription] = {}
        self.operations: dict[str, FakeOperation] = {}
        self.issued_tokens: list[IssuedToken] = []
        self.refused_token_requests = 0
        self.key_fetches = 0  # reads of the JWKS (clients should cache the keys)
        self.api_calls: list[tuple[str, str]] = []  # (method, path) of every authorized API call
        self.unauthorized_calls = 0
        self.activations: list[tuple[str, dict[str, Any]]] = []
        self.operation_patches: list[OperationPatch] = []
        self.metering_calls: list[MeteringCall] = []
        self.accepted_events: list[AcceptedEvent] = []
        self._failures: deque[int] = deque()
        self._lost_answers: deque[str] = deque()

    def reset(self) -> None:
        """Forget every subscription, operation, call and injected failure (keys, TLS and the access
        tokens issued stay)."""
        with self._lock:
            self._reset_state()
            self._now = None

    # ------------------------------------------------------------------------------------ lifecycle

    def add_routes(self, app: web.Application) -> None:
        routes = app.router
        routes.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._openid_configuration)
        routes.add_get("/{tenant}/.well-known/openid-configuration", self._openid_configuration)
        routes.add_get("/{tenant}/discovery/v2.0/keys", self._keys)
        routes.add_get("/common/discovery/instance", self._instance_discovery)
        routes.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        routes.add_post("/api/saas/subscriptions/resolve", self._resolve)
        routes.add_get("/api/saas/subscriptions/{subscription}", self._get_subscription)
        routes.add_post("/api/saas/subscriptions/{subscription}/activate", self._activate)
        routes.add_get("/api/saas/subscriptions/{subscription}/operations", self._list_operations)
        routes.add_get("/api/saas/subscriptions/{subscription}/operations/{operation}", self._get_operation)
        routes.add_patch(
            "/api/saas/subscriptions/{subscription}/operations/{operation}", self._patch_operation
        )
        routes.add_post("/api/usageEvent", self._usage_event)
        routes.add_post("/api/batchUsageEvent", self._batch_usage_event)

    # ------------------------------------------------------------------------------------ addresses

    @property
    def origin(self) -> str:
        """Both the Entra authority and the Marketplace API URL."""
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca_bundle(self) -> str:
        """certifi's CAs plus the fake's: for ``connection_verify`` or ``REQUESTS_CA_BUNDLE``."""
        return str(self._tls.ca_bundle)

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts the fake (for urllib-based clients)."""
        return ssl.create_default_context(cafile=self.ca_bundle)

    @property
    def openid_configuration_url(self) -> str:
        return f"{self.origin}/{self.tenant_id}/v2.0/.well-known/openid-configuration"

    @property
    def v1_issuer(self) -> str:
        return f"https://sts.windows.net/{self.tenant_id}/"

    @property
    def v2_issuer(self) -> str:
        return f"{self.origin}/{self.tenant_id}/v2.0"

    def settings(self) -> MarketplaceSettings:
        """The app's Marketplace settings for this fake (in-process clients)."""
        return MarketplaceSettings(
            tenant_id=self.tenant_id,
            client_id=self.client_id,
            client_secret=self.client_secret,
            api_url=self.origin,
            authority=self.origin,
            openid_configuration_url=self.openid_configuration_url,
        )

    def settings_env(self) -> dict[str, str]:
        """The ``OMNI_MARKETPLACE_*`` settings that point the app at this fake."""
        return {
            "OMNI_MARKETPLACE_TENANT_ID": self.tenant_id,
            "OMNI_MARKETPLACE_CLIENT_ID": self.client_id,
            "OMNI_MARKETPLACE_CLIENT_SECRET": self.client_secret,
            "OMNI_MARKETPLACE_API_URL": self.origin,
            "OMNI_MARKETPLACE_AUTHORITY": self.origin,
            "OMNI_MARKETPLACE_OPENID_CONFIGURATION_URL": self.openid_configuration_url,
        }

    def devhost_env(self) -> dict[str, str]:
        """Settings for a devhost subprocess: ``settings_env()`` plus the CA bundle that makes the
        fake's certificate trusted by requests (azure-core) and by urllib/OpenSSL (the JWKS fetch)."""
        return {**self.settings_env(), "REQUESTS_CA_BUNDLE": self.ca_bundle, "SSL_CERT_FILE": self.ca_bundle}

    # ------------------------------------------------------------------------------------ scenario

    @property
    def now(self) -> dt.datetime:
        return self._now or dt.datetime.now(dt.UTC)

    def set_now(self, moment: dt.datetime | None) -> None:
        """The fake's clock for metering rules (Expired, future events); None: the real clock."""
        self._now = moment.astimezone(dt.UTC) if moment else None

    def add_subscription(
        self,
        *,
        plan_id: str = "hosted",
        offer_id: str = DEFAULT_OFFER_ID,
        quantity: int | None = None,
        purchaser_email: str = "buyer@contoso.example",
        beneficiary_email: str | None = None,
        name: str = "Contoso Omniagent",
        status: str = "PendingFulfillmentStart",
        subscription_id: str | None = None,
    ) -> str:
        """A purchase the landing page will see: answers its purchase token (``?token=``)."""
        token = base64.urlsafe_b64encode(secrets.token_bytes(48)).decode()
        subscription = FakeSubscription(
            id=subscription_id or str(uuid.uuid4()),
            name=name,
            offer_id=offer_id,
            plan_id=plan_id,
            quantity=quantity,
            status=status,
            purchaser_email=purchaser_email,
            beneficiary_email=beneficiary_email or purchaser_email,
            purchase_token=token,
        )
        with self._lock:
            self.subscriptions[subscription.id] = subscription
        return token

    def add_subscribed(self, *, plan_id: str = "hosted", **fields: Any) -> str:
        """An active (``Subscribed``) subscription, for metering: answers its id (the resourceId)."""
        token = self.add_subscription(plan_id=plan_id, status="Subscribed", **fields)
        return self.subscription_for_token(token).id

    def subscription_for_token(self, token: str) -> FakeSubscription:
        with self._lock:
            return next(s for s in self.subscriptions.values() if s.purchase_token == token)

    def start_operation(
        self,
        subscription_id: str,
        action: str,
        *,
        plan_id: str | None = None,
        quantity: int | None = None,
        status: str | None = None,
    ) -> dict[str, Any]:
        """Microsoft starts an operation (``ChangePlan``, ``ChangeQuantity``, ``Renew``, ``Suspend``,
        ``Reinstate``, ``Unsubscribe``): answers the webhook body it would POST to the publisher.

        Notify-only actions (Renew, Suspend, Unsubscribe) are already done on Microsoft's side
        (``Succeeded``); the others wait ``InProgress`` for the publisher's PATCH."""
        with self._lock:
            subscription = self.subscriptions[subscription_id]
            operation = FakeOperation(
                id=str(uuid.uuid4()),
                activity_id=str(uuid.uuid4()),
                subscription_id=subscription_id,
                offer_id=subscription.offer_id,
                plan_id=plan_id or subscription.plan_id,
                quantity=quantity if quantity is not None else subscription.quantity,
                action=action,
                status=status or ("Succeeded" if action in _NOTIFY_ONLY else "InProgress"),
                time_stamp=_utc_text(dt.datetime.now(dt.UTC)),
            )
            self.operations[operation.id] = operation
            if action in _ACTION_STATUS:
                subscription.status = _ACTION_STATUS[action]
            body = {
                "id": operation.id,
                "activityId": operation.activity_id,
                "publisherId": PUBLISHER_ID,
                "offerId": operation.offer_id,
                "planId": operation.plan_id,
                "quantity": operation.quantity,
                "subscriptionId": subscription_id,
                "timeStamp": operation.time_stamp,
                "action": action,
                "status": operation.status,
                "operationRequestSource": "Azure",
                "subscription": subscription.to_json(),
                "purchaseToken": None,
            }
        return body

    def fail_next(self, count: int = 1, status: int = 503) -> None:
        """The next ``count`` Marketplace API calls answer ``status`` without acting."""
        with self._lock:
            self._failures.extend([status] * count)

    def lose_next_answers(self, count: int = 1, how: str = "error") -> None:
        """The next ``count`` metering calls act (events accepted) but the answer is lost: a 500
        (``how="error"``) or a dropped connection (``how="drop"``)."""
        assert how in ("error", "drop"), how
        with self._lock:
            self._lost_answers.extend([how] * count)

    # ------------------------------------------------------------------------------------ webhook tokens

    def webhook_token(
        self,
        *,
        audience: str | None = None,
        expires_in: int = 3600,
        issuer: str | None = None,
        app_id: str = MARKETPLACE_APP_ID,
        tenant_id: str | None = None,
        forged: bool = False,
        version: str = "1.0",
    ) -> str:
        """A bearer token as Entra issues it for the Marketplace's webhook calls: RS256 with the key
        in the JWKS (``forged``: another key under the same ``kid``). Defaults: audience = the
        publisher's client id, the tenant's v1 issuer, ``appid`` (v1) / ``azp`` (v2) = Marketplace."""
        now = int(dt.datetime.now(dt.UTC).timestamp())
        tenant = tenant_id or self.tenant_id
        claims: dict[str, Any] = {
            "aud": audience or self.client_id,
            "iss": issuer or (self.v1_issuer if version == "1.0" else self.v2_issuer),
            "iat": now - 60,
            "nbf": now - 60,
            "exp": now + expires_in,
            "tid": tenant,
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, app_id)),
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, app_id)),
            "ver": version,
            "idtyp": "app",
        }
        claims["appid" if version == "1.0" else "azp"] = app_id
        key = self._forger_key if forged else self._signing_key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.key_id, "typ": "JWT"})

    # ------------------------------------------------------------------------------------ Entra ID

    async def _openid_configuration(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        base = f"{self.origin}/{tenant}"
        return web.json_response(
            {
                "issuer": f"{base}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "token id_token"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
                "tenant_region_scope": "EU",
            }
        )

    async def _keys(self, request: web.Request) -> web.Response:
        with self._lock:
            self.key_fetches += 1
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._signing_key.public_key()))
        jwk.update({"kid": self.key_id, "use": "sig", "alg": "RS256"})
        return web.json_response({"keys": [jwk]})

    async def _instance_discovery(self, request: web.Request) -> web.Response:
        host = f"127.0.0.1:{self.port}"
        return web.json_response(
            {
                "tenant_discovery_endpoint": self.openid_configuration_url,
                "api-version": "1.1",
                "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        client_id, secret, scope = form.get("client_id"), form.get("client_secret"), form.get("scope")
        if form.get("grant_type") != "client_credentials":
            return self._token_error(400, "unsupported_grant_type", "AADSTS70003: grant type not supported.")
        if request.match_info["tenant"] != self.tenant_id:
            return self._token_error(400, "invalid_request", "AADSTS90002: Tenant not found.")
        if client_id != self.client_id:
            return self._token_error(400, "unauthorized_client", "AADSTS700016: Application not found.")
        if not isinstance(secret, str) or not secrets.compare_digest(secret, self.client_secret):
            return self._token_error(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        scopes = str(scope or "").split()
        if scopes != [MARKETPLACE_SCOPE]:
            return self._token_error(400, "invalid_scope", "AADSTS70011: The provided scope is not valid.")
        now = int(dt.datetime.now(dt.UTC).timestamp())
        token = jwt.encode(
            {
                "aud": MARKETPLACE_APP_ID,
                "iss": self.v1_issuer,
                "iat": now,
                "nbf": now,
                "exp": now + 3599,
                "appid": self.client_id,
                "tid": self.tenant_id,
                "jti": secrets.token_hex(8),
            },
            self._signing_key,
            algorithm="RS256",
            headers={"kid": self.key_id},
        )
        with self._lock:
            self._tokens.add(token)
            self.issued_tokens.append(IssuedToken(token, str(client_id), str(scope)))
        return web.json_response(
            {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}
        )

    def _token_error(self, status: int, error: str, description: str) -> web.Response:
        with self._lock:
            self.refused_token_requests += 1
        return web.json_response({"error": error, "error_description": description}, status=status)

    # ------------------------------------------------------------------------------------ API guard

    def _refusal(self, request: web.Request) -> web.Response | None:
        """401 without a token this fake issued; 400 without the API version; an injected failure."""
        authorization = request.headers.get("Authorization", "")
        token = authorization[7:].strip() if authorization.lower().startswith("bearer ") else ""
        with self._lock:
            if token not in self._tokens:
                self.unauthorized_calls += 1
                return _fulfillment_error(
                    401, "Unauthorized", "The authorization token is missing or invalid."
                )
            if request.query.get("api-version") != API_VERSION:
                return _fulfillment_error(400, "BadArgument", "The api-version is missing or not supported.")
            self.api_calls.append((request.method, request.path))
            if self._failures:
                status = self._failures.popleft()
                return _fulfillment_error(status, "ServerError", "The service is temporarily unavailable.")
        return None

    # ------------------------------------------------------------------------------------ fulfillment

    async def _resolve(self, request: web.Request) -> web.Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        token = request.headers.get("x-ms-marketplace-token", "")
        with self._lock:
            found = next((s for s in self.subscriptions.values() if s.purchase_token == token), None)
            if not token or found is None:
                return _fulfillment_error(400, "BadArgument", "The marketplace token is missing or invalid.")
            return web.json_response(
                {
                    "id": found.id,
                    "subscriptionName": found.name,
                    "offerId": found.offer_id,
                    "planId": found.plan_id,
                    **({"quantity": found.quantity} if found.quantity is not None else {}),
                    "subscription": found.to_json(),
                }
            )

    async def _get_subscription(self, request: web.Request) -> web.Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        with self._lock:
            found = self.subscriptions.get(request.match_info["subscription"])
            if found is None:
                return _fulfillment_error(404, "EntityNotFound", "The subscription was not found.")
            return web.json_response(found.to_json())

    async def _activate(self, request: web.Request) -> web.Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        body = await _json_body(request)
        with self._lock:
            found = self.subscriptions.get(request.match_info["subscription"])
            if found is None:
                return _fulfillment_error(404, "EntityNotFound", "The subscription was not found.")
            if not isinstance(body, dict) or body.get("planId") != found.plan_id:
                return _fulfillment_error(400, "BadArgument", "The planId does not match the subscription.")
            if found.status in ("Suspended", "Unsubscribed"):
                return _fulfillment_error(
                    400, "BadArgument", f"A {found.status} subscription cannot be activated."
                )
            found.status = "Subscribed"
            if body.get("quantity") not in (None, ""):
                found.quantity = int(body["quantity"])
            self.activations.append((found.id, body))
        return web.Response(status=200)

    async def _list_operations(self, request: web.Request) -> web.Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        subscription_id = request.match_info["subscription"]
        with self._lock:
            pending = [
                o.to_json()
                for o in self.operations.values()
                if o.subscription_id == subscription_id and o.status in ("NotStarted", "InProgress")
            ]
        return web.json_response({"operations": pending})

    async def _get_operation(self, request: web.Request) -> web.Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        with self._lock:
            found = self.operations.get(request.match_info["operation"])
            if found is None or found.subscription_id != request.match_info["subscription"]:
                return _fulfillment_error(404, "EntityNotFound", "The operation was not found.")
            return web.json_response(found.to_json())

    async def _patch_operation(self, request: web.Request) -> web.Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        body = await _json_body(request)
        subscription_id, operation_id = request.match_info["subscription"], request.match_info["operation"]
        with self._lock:
            found = self.operations.get(operation_id)
            if found is None or found.subscription_id != subscription_id:
                return _fulfillment_error(404, "EntityNotFound", "The operation was not found.")
            if not isinstance(body, dict) or body.get("status") not in ("Success", "Failure"):
                return _fulfillment_error(400, "BadArgument", "status must be Success or Failure.")
            if found.status != "InProgress":
                return _fulfillment_error(409, "Conflict", "The operation is not in progress.")
            self.operation_patches.append(OperationPatch(subscription_id, operation_id, body))
            found.status = "Succeeded" if body["status"] == "Success" else "Failed"
            subscription = self.subscriptions[subscription_id]
            if body["status"] == "Success" and found.action == "ChangePlan":
                subscription.plan_id = found.plan_id
            if body["status"] == "Success" and found.action == "ChangeQuantity":
                subscription.quantity = found.quantity
        return web.Response(status=200)

    # ------------------------------------------------------------------------------------ metering

    async def _usage_event(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._metering_refusal(request, "/api/usageEvent")) is not None:
            return refused
        body = await _json_body(request)
        events = [body] if isinstance(body, dict) else []
        with self._lock:
            if not events:
                answer = _bad_request("usageEventRequest", "The request body is not a usage event.")
            else:
                result = self._judge(events[0])
                answer = _single_answer(result)
            self.metering_calls.append(MeteringCall("/api/usageEvent", events, answer.status))
            lost = self._lost_answers.popleft() if self._lost_answers else None
        return _lose(request, answer, lost)

    async def _batch_usage_event(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._metering_refusal(request, "/api/batchUsageEvent")) is not None:
            return refused
        body = await _json_body(request)
        events = body.get("request") if isinstance(body, dict) else None
        with self._lock:
            if not isinstance(events, list) or not events or not all(isinstance(e, dict) for e in events):
                answer = _bad_request("batchUsageEventRequest", "request must be a non-empty list of events.")
                events = events if isinstance(events, list) else []
            elif len(events) > MAX_BATCH_EVENTS:
                answer = _bad_request(
                    "batchUsageEventRequest", f"A batch holds at most {MAX_BATCH_EVENTS} usage events."
                )
            else:
                results = [self._judge(event) for event in events]
                answer = web.json_response({"count": len(results), "result": results})
            self.metering_calls.append(MeteringCall("/api/batchUsageEvent", list(events), answer.status))
            lost = self._lost_answers.popleft() if self._lost_answers else None
        return _lose(request, answer, lost)

    def _metering_refusal(self, request: web.Request, path: str) -> web.Response | None:
        refused = self._refusal(request)
        if refused is not None and refused.status >= 500:
            with self._lock:
                self.metering_calls.append(MeteringCall(path, [], refused.status))
        return refused

    def _judge(self, event: dict[str, Any]) -> dict[str, Any]:
        """One event's result (called with the lock held); accepted events are recorded."""
        now = self.now
        echo = {
            "resourceId": event.get("resourceId"),
            "quantity": event.get("quantity"),
            "dimension": event.get("dimension"),
            "effectiveStartTime": event.get("effectiveStartTime"),
            "planId": event.get("planId"),
        }
        missing = [
            name
            for name in ("resourceId", "dimension", "effectiveStartTime", "planId")
            if not event.get(name)
        ]
        start = _parse_time(event.get("effectiveStartTime"))
        quantity = event.get("quantity")
        if missing or start is None:
            target = missing[0] if missing else "effectiveStartTime"
            return _rejected(echo, "BadArgument", f"The {target} is missing or not valid.", target)
        if not isinstance(quantity, int | float) or isinstance(quantity, bool) or quantity <= 0:
            return _rejected(echo, "InvalidQuantity", "The quantity must be greater than 0.", "quantity")
        if start > now:
            return _rejected(
                echo, "BadArgument", "The effectiveStartTime is in the future.", "effectiveStartTime"
            )
        if start < now - dt.timedelta(hours=24):
            return _rejected(echo, "Expired", "The usage event is older than 24 hours.", "effectiveStartTime")
        subscription = self.subscriptions.get(str(event["resourceId"]))
        if subscription is None:
            return _rejected(echo, "ResourceNotFound", "The resource was not found.", "resourceId")
        if subscription.status != "Subscribed":
            return _rejected(echo, "ResourceNotActive", "The resource is not active.", "resourceId")
        hour = start.replace(minute=0, second=0, microsecond=0)
        for accepted in self.accepted_events:
            if (
                accepted.resource_id == subscription.id
                and accepted.dimension == event["dimension"]
                and accepted.effective_start_time.replace(minute=0, second=0, microsecond=0) == hour
            ):
                return {
                    **echo,
                    "status": "Duplicate",
                    "messageTime": "0001-01-01T00:00:00",
                    "error": {
                        "additionalInfo": {"acceptedMessage": accepted.message},
                        "message": "This usage event already exist.",
                        "code": "Conflict",
                    },
                }
        message = {
            "usageEventId": str(uuid.uuid4()),
            "status": "Accepted",
            "messageTime": _utc_text(now),
            "resourceId": subscription.id,
            "quantity": float(quantity),
            "dimension": event["dimension"],
            "effectiveStartTime": event["effectiveStartTime"],
            "planId": event["planId"],
        }
        self.accepted_events.append(
            AcceptedEvent(
                usage_event_id=message["usageEventId"],
                resource_id=subscription.id,
                plan_id=str(event["planId"]),
                dimension=str(event["dimension"]),
                quantity=float(quantity),
                effective_start_time=start,
                message_time=now,
                message=message,
            )
        )
        return message


def _parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _rejected(echo: dict[str, Any], status: str, message: str, target: str) -> dict[str, Any]:
    return {
        **echo,
        "status": status,
        "messageTime": "0001-01-01T00:00:00",
        "error": {"message": message, "target": target, "code": status},
    }


def _single_answer(result: dict[str, Any]) -> web.Response:
    """The single-event API answers the accepted message, 409 with it for a duplicate, 400 else."""
    if result["status"] == "Accepted":
        return web.json_response(result)
    if result["status"] == "Duplicate":
        return web.json_response(result["error"], status=409)
    error = result["error"]
    return _bad_request("usageEventRequest", error["message"], error["code"], error.get("target"))


def _bad_request(
    target: str, message: str, code: str = "BadArgument", field_name: str | None = None
) -> web.Response:
    return web.json_response(
        {
            "message": "One or more errors have occurred.",
            "target": target,
            "details": [{"message": message, "target": field_name or target, "code": code}],
            "code": "BadArgument",
        },
        status=400,
    )


def _fulfillment_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def _lose(request: web.Request, answer: web.Response, lost: str | None) -> web.StreamResponse:
    if lost is None:
        return answer
    if lost == "drop" and request.transport is not None:
        request.transport.abort()
        return answer  # nothing reaches the caller: the connection is gone
    return _fulfillment_error(500, "ServerError", "An unexpected error occurred.")


async def _json_body(request: web.Request) -> Any:
    try:
        return await request.json()
    except (ValueError, UnicodeDecodeError):
        return None
