"""The Marketplace webhook's bearer token: who may tell us that a subscription changed.

Microsoft calls the publisher's webhook with an Entra ID access token (a JWT) issued to the
Marketplace's app for the publisher's app. Accepted only when it is RS256-signed by a key of the
tenant's OpenID configuration (``jwks_uri``, cached), unexpired, its audience is the publisher's
client id, its issuer the tenant's v1 (``https://sts.windows.net/{tenant}/``) or v2
(``{authority}/{tenant}/v2.0``) issuer, and the calling app (``appid`` in v1 tokens, ``azp`` in v2)
is the Marketplace (20e940b3-4c77-4b0b-9a53-9e16a1b010a7). Anything else is a 401.

Sources:
- https://learn.microsoft.com/partner-center/marketplace/partner-center-portal/pc-saas-fulfillment-webhook
  ("ISVs must validate the Microsoft Entra token (JWT) on their webhook endpoint")
- https://learn.microsoft.com/azure/active-directory/develop/access-tokens (claims, validation)
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt

from shared.api_errors import unauthorized
from shared.auth.openid_keys import OpenIdSigningKeys
from shared.billing.marketplace import MARKETPLACE_APP_ID
from shared.settings import MarketplaceSettings, get_settings

_LEEWAY_SECONDS = 60  # clock skew between Entra and us


@dataclass(frozen=True)
class WebhookCaller:
    """The verified caller: always the Marketplace app, in the publisher's tenant."""

    app_id: str
    issuer: str


class WebhookAuthenticator:
    def __init__(self, settings: MarketplaceSettings, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self._settings = settings
        self._keys = (
            OpenIdSigningKeys(settings.webhook_openid_configuration_url, ssl_context=ssl_context)
            if settings.enabled
            else None
        )

    def authenticate(self, authorization: str | None) -> WebhookCaller:
        """The caller of a webhook request, from its ``Authorization`` header; else ``ApiError`` 401."""
        if self._keys is None:
            raise unauthorized("The Marketplace is not configured on this platform.")
        if not authorization or not authorization.lower().startswith("bearer "):
            raise unauthorized("Send the Marketplace's bearer token: Authorization: Bearer <token>.")
        token = authorization[7:].strip()
        try:
            if jwt.get_unverified_header(token).get("alg") != "RS256":
                raise jwt.InvalidAlgorithmError("only RS256 tokens are accepted")
            claims: dict[str, Any] = jwt.decode(
                token,
                self._keys.signing_key(token).key,
                algorithms=["RS256"],
                audience=self._settings.client_id,
                leeway=_LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise unauthorized("The bearer token has expired.") from None
        except jwt.InvalidAudienceError:
            raise unauthorized("The bearer token is not meant for this publisher.") from None
        except (jwt.PyJWTError, OSError, ValueError, KeyError):
            raise unauthorized("The bearer token is not valid.") from None
        issuer = str(claims.get("iss"))
        if issuer not in self._issuers():
            raise unauthorized("The bearer token was not issued by the publisher's tenant.")
        app_id = claims.get("appid") or claims.get("azp")
        if app_id != MARKETPLACE_APP_ID:
            raise unauthorized("The bearer token was not issued to the Marketplace.")
        return WebhookCaller(app_id=str(app_id), issuer=issuer)

    def _issuers(self) -> set[str]:
        tenant = self._settings.tenant_id
        authority = self._settings.authority.rstrip("/")
        issuers = {f"https://sts.windows.net/{tenant}/", f"{authority}/{tenant}/v2.0"}
        assert self._keys is not None
        declared = self._keys.configuration().get("issuer")
        if isinstance(declared, str) and tenant:
            # Entra's multi-tenant documents write the tenant as a placeholder.
            issuers.add(declared.replace("{tenantid}", tenant))
        return issuers


@lru_cache(maxsize=1)
def webhook_authenticator() -> WebhookAuthenticator:
    """The app's authenticator (its key cache lives as long as the process)."""
    return WebhookAuthenticator(get_settings().marketplace)
