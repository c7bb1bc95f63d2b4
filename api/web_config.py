"""``GET /public/web-config``: how the app's own browser pages (the Playground, the dashboard) sign in.

Public and unauthenticated: a page must read it before anyone has signed in, and it holds nothing
secret (an Entra ID client id and authority are visible in every sign-in redirect anyway). Locally the
pages use the dev sign-in (``POST /manage/dev/token``); in Azure they sign in with Entra ID through MSAL,
and the access token they get is the one the bearer path (``shared.auth.tokens``) validates: its
audience is ``OMNI_AUTH_AUDIENCE`` and its issuer ``OMNI_AUTH_ISSUER``. So the Entra values are derived
from those two settings (the app registration whose client id is the audience, the tenant named by the
issuer) rather than configured a second time.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

import azure.functions as func
from pydantic import Field

from api.endpoint import RequestContext, endpoint
from shared.management.wire import Answer
from shared.platform import get_platform
from shared.settings import AuthSettings

bp = func.Blueprint()

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
# Entra's v2.0 and v1.0 issuers; the authority MSAL wants is the tenant's login.microsoftonline.com URL.
_ENTRA_V2_ISSUER = re.compile(r"^(https://[^/]+/[^/]+)/v2\.0/?$")
_ENTRA_V1_ISSUER = re.compile(r"^https://sts\.windows\.net/([^/]+)/?$")


class EntraSignIn(Answer):
    """What MSAL for the browser needs to sign a user in with Entra ID."""

    client_id: str = Field(description="The app registration's application (client) id.")
    authority: str = Field(
        description="The sign-in authority (`https://login.microsoftonline.com/<tenant>`)."
    )
    scopes: list[str] = Field(
        description="The scopes to ask for: an access token whose audience `/manage` accepts."
    )


class WebConfig(Answer):
    """How the app's browser pages sign in."""

    sign_in: Literal["local", "entra"] = Field(
        description="`local`: the dev sign-in (`POST /manage/dev/token`, local development only); "
        "`entra`: Entra ID with MSAL for the browser."
    )
    entra: EntraSignIn | None = Field(
        description="With `signIn: entra`: the Entra ID settings; null when the deployment has none "
        "(OMNI_AUTH_ISSUER and OMNI_AUTH_AUDIENCE unset), and then nobody can sign in."
    )


def entra_sign_in(auth: AuthSettings) -> EntraSignIn | None:
    """The Entra settings the bearer path's issuer and audience imply, or None when they are unset or
    name no app registration (an audience that is neither a client id nor ``api://<client id>``)."""
    if not auth.issuer or not auth.audience:
        return None
    audience = auth.audience.strip()
    client_id = audience.removeprefix("api://").split("/", 1)[0]
    if not _GUID.match(client_id):
        return None
    issuer = auth.issuer.strip()
    v1 = _ENTRA_V1_ISSUER.match(issuer)
    if v1:
        authority = f"https://login.microsoftonline.com/{v1.group(1)}"
    else:
        v2 = _ENTRA_V2_ISSUER.match(issuer)
        authority = v2.group(1) if v2 else issuer.rstrip("/")
    if urlsplit(authority).scheme != "https":
        return None
    # `<audience>/.default`: an access token for the app itself, whose `aud` is the audience.
    return EntraSignIn(client_id=client_id, authority=authority, scopes=[f"{audience}/.default"])


@endpoint(
    bp,
    "GET",
    "public/web-config",
    summary="How the app's browser pages sign in",
    description="Read by the Playground (`/playground`) and the dashboard (`/dashboard`) before sign-in: "
    "`signIn: local` locally (the dev sign-in), `signIn: entra` in Azure with the Entra ID client id, "
    "authority and scopes derived from "
    "OMNI_AUTH_AUDIENCE and OMNI_AUTH_ISSUER. No authentication; nothing secret.",
    tag="Browser pages",
    auth="none",
    response=WebConfig,
)
def web_config(ctx: RequestContext) -> WebConfig:
    settings = get_platform().settings
    if settings.is_local:
        return WebConfig(sign_in="local", entra=None)
    return WebConfig(sign_in="entra", entra=entra_sign_in(settings.auth))
