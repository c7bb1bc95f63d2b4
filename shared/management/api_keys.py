"""Issuing and revoking project API keys (the key format and authentication: ``shared.auth.api_keys``).

The plaintext key is returned once, by ``issue_api_key``, and never stored: the record keeps its hash
and its last four characters (``key_hint``) to tell keys apart in a masked list.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from shared.auth.api_keys import ApiKeyRecord, new_key_secret
from shared.management.providers import Provider, provider_secret, stored_settings

KEY_HINT_LENGTH = 4

# seal(secret, owner) -> sealed text: ``SecretBox.seal``.
Sealer = Callable[[str, str], str]


def issue_api_key(
    *,
    key_id: str,
    organization_id: str,
    project_id: str,
    name: str,
    provider: Provider,
    seal: Sealer,
    created_by: str,
    now: datetime,
) -> tuple[ApiKeyRecord, str]:
    """The record to store and the plaintext key to show once."""
    key, secret_hash = new_key_secret(project_id, key_id)
    secret = provider_secret(provider)
    record = ApiKeyRecord(
        id=key_id,
        organization_id=organization_id,
        project_id=project_id,
        name=name,
        provider=stored_settings(provider),
        sealed_provider_secret=seal(secret, key_id) if secret is not None else None,
        secret_hash=secret_hash,
        key_hint=key[-KEY_HINT_LENGTH:],
        created_at=now,
        created_by=created_by,
    )
    return record, key


def revoked(record: ApiKeyRecord, now: datetime) -> ApiKeyRecord:
    """The record, revoked (a key stays revoked: revoking again keeps the first time)."""
    if record.revoked_at is not None:
        return record
    return record.model_copy(update={"revoked_at": now})


def is_active(record: ApiKeyRecord) -> bool:
    return record.revoked_at is None
