"""Where the app's Azure Communication Services (ACS) is: any ACS, real or the devhost's stand-in.

``ACS_CONNECTION_STRING`` (``endpoint=https://<resource>.communication.azure.com/;accesskey=<key>``,
the endpoint's scheme kept as written), ``ACS_CALLBACK_JWKS_URL`` (where the keys that sign Call
Automation's callback tokens are; default: ACS's published keys) and ``ACS_CALLBACK_AUDIENCE`` (the
ACS resource's immutable id, the ``aud`` of those tokens). Unset connection string: no phone channel.
``ACS_CALLBACK_BASE_URL`` is where ACS posts a call's callbacks (default: the app's own host,
``WEBSITE_HOSTNAME``, over https; http for a local host) and ``ACS_COGNITIVE_SERVICES_ENDPOINT`` the AI
Services resource ACS speaks and recognizes with (``answer_call``'s ``cognitive_services_endpoint``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

CONNECTION_STRING_SETTING = "ACS_CONNECTION_STRING"
CALLBACK_JWKS_URL_SETTING = "ACS_CALLBACK_JWKS_URL"
CALLBACK_AUDIENCE_SETTING = "ACS_CALLBACK_AUDIENCE"
CALLBACK_BASE_URL_SETTING = "ACS_CALLBACK_BASE_URL"
COGNITIVE_SERVICES_ENDPOINT_SETTING = "ACS_COGNITIVE_SERVICES_ENDPOINT"

# Published in "How to secure webhook endpoint" (Call Automation): the issuer of every callback token
# and the JSON Web Key Set its OpenID configuration names.
ACS_CALLBACK_ISSUER = "https://acscallautomation.communication.azure.com"
ACS_PUBLISHED_JWKS_URL = "https://acscallautomation.communication.azure.com/calling/keys"


@dataclass(frozen=True)
class AcsSettings:
    connection_string: str | None = field(default=None, repr=False)  # holds the access key
    callback_jwks_url: str = ACS_PUBLISHED_JWKS_URL
    callback_audience: str | None = None
    callback_base_url: str | None = None  # no trailing slash
    cognitive_services_endpoint: str | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.connection_string)


def load_acs_settings(env: Mapping[str, str]) -> AcsSettings:
    return AcsSettings(
        connection_string=(env.get(CONNECTION_STRING_SETTING) or "").strip() or None,
        callback_jwks_url=(env.get(CALLBACK_JWKS_URL_SETTING) or "").strip() or ACS_PUBLISHED_JWKS_URL,
        callback_audience=(env.get(CALLBACK_AUDIENCE_SETTING) or "").strip() or None,
        callback_base_url=_callback_base_url(env),
        cognitive_services_endpoint=(env.get(COGNITIVE_SERVICES_ENDPOINT_SETTING) or "").strip() or None,
    )


def _callback_base_url(env: Mapping[str, str]) -> str | None:
    configured = (env.get(CALLBACK_BASE_URL_SETTING) or "").strip().rstrip("/")
    if configured:
        return configured
    host = (env.get("WEBSITE_HOSTNAME") or "").strip()
    if not host:
        return None
    local = host.split(":", 1)[0] in ("localhost", "127.0.0.1") or host.startswith("[::1]")
    return f"{'http' if local else 'https'}://{host}"
