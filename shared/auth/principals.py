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


@dataclass(frozen=True)
class UserPrincipal:
    """A ``Authorization: Bearer`` caller of ``/manage``: roles are per organization, looked up."""

    user_id: str  # the token's subject, stable per user
    email: str
    name: str | None = None
