"""Who is calling: an API key of one project, or a signed-in member of the dashboard."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ApiKeyPrincipal:
    """An ``X-Api-Key`` caller: every resource it reads or writes is in its project."""

    organization_id: str
    project_id: str
    key_id: str
    provider_type: str

    @property
    def rate_limit_key(self) -> str:
        """Whose request budget a call spends: the key's."""
        return self.key_id


@dataclass(frozen=True)
class SignedInKeyPrincipal(ApiKeyPrincipal):
    """A signed-in user on ``/public`` (bearer token + ``X-Project-Id``), acting through one of the
    project's keys (which provides the model): endpoints see the key; rate limits and role checks see
    the user."""

    user_id: str  # the user's stable id (``shared.auth.identity``), as on /manage
    role: str  # "admin" | "member" in the project's organization

    @property
    def rate_limit_key(self) -> str:
        # Per user, not per key: the Playground's users share a key but not each other's budget.
        return f"user:{self.user_id}"


@dataclass(frozen=True)
class UserPrincipal:
    """A ``Authorization: Bearer`` caller of ``/manage``: roles are per organization, looked up."""

    user_id: str  # stable: derived from the token's issuer and subject (``shared.auth.identity``)
    email: str | None  # display only, and the key of invitations; it can change for the same user
    name: str | None = None
    # Whether the token attests ``email`` (it may then bind an invitation made to that address).
    email_verified: bool = False
