"""``POST /manage/dev/token``: a bearer token for a named user, in local development only.

The HTTP twin of ``python -m devhost token --user …``, for dashboards and scripts run against the local
stack. Outside local mode it answers 404, as if it did not exist: local tokens are refused there anyway.
"""

from __future__ import annotations

import azure.functions as func
from pydantic import Field, field_validator

from api.endpoint import RequestContext, endpoint
from shared.api_errors import ApiError, ErrorKind
from shared.auth.tokens import mint_local_token
from shared.management.users import normalize_email
from shared.management.wire import Answer, Name, RequestBody
from shared.platform import get_platform

bp = func.Blueprint()


class DevTokenRequest(RequestBody):
    email: str = Field(max_length=254, description="The user to sign in as (their email).")
    name: Name | None = Field(None, description="The user's display name (default: the email's local part).")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalize_email(value)


class DevToken(Answer):
    """A local bearer token (valid 8 hours, only while the platform runs in local mode)."""

    token: str = Field(description="Send as `Authorization: Bearer <token>` to `/manage`.")


@endpoint(
    bp,
    "POST",
    "manage/dev/token",
    summary="Mint a local bearer token (local development only)",
    description="Answers 404 unless the platform runs with OMNI_ENVIRONMENT=local.",
    tag="Development",
    auth="none",
    body=DevTokenRequest,
    response=DevToken,
    errors=(404,),
)
def manage_dev_token(ctx: RequestContext) -> DevToken:
    settings = get_platform().settings
    if not settings.is_local:
        raise ApiError(404, "NotFound", "The resource was not found.", ErrorKind.NOT_FOUND)
    body = ctx.body(DevTokenRequest)
    return DevToken(token=mint_local_token(settings, body.email, body.name))
