"""Project API keys: the key format, how keys are stored (hash only), and ``X-Api-Key`` authentication.

A key reads ``oa.<projectId>.<keyId>.<secret>``: the ids make the lookup one point read (partition =
project, row = key id) and say nothing secret; the 256-bit secret is stored only as its SHA-256 and
compared in constant time. A high-entropy random secret needs no slow password hash.

A key of any other shape is refused without a storage read. Lookups that find no key are remembered
for ``ttl_seconds`` too (per project and key id, a bounded number of them): key ids are made only by
the platform, at random (``shared.ids.new_id``, about 103 bits), and never reused, so no key can be
created later under an id that was looked up and missing before, and a negative answer never hides
a new key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from shared.api_errors import unauthorized
from shared.auth.principals import ApiKeyPrincipal
from shared.management.records import API_KEY_PREFIX, PROJECT_PREFIX, is_resource_id
from shared.storage import NotFound, TableRepository

KEY_PREFIX = "oa"
API_KEYS_TABLE = "apikeys"
SECRET_BYTES = 32
# secrets.token_urlsafe(SECRET_BYTES): unpadded base64url of 32 bytes.
_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


class ApiKeyRecord(BaseModel):
    """A stored API key. ``provider`` holds the provider settings without secrets;
    ``sealed_provider_secret`` is the provider's own key, sealed by the ``SecretBox``."""

    id: str
    organization_id: str
    project_id: str
    name: str
    provider: dict[str, Any]
    sealed_provider_secret: str | None = None
    secret_hash: str
    key_hint: str  # the key's last 4 characters, to tell keys apart in a masked list
    created_at: datetime
    created_by: str | None = None
    revoked_at: datetime | None = None


def new_key_secret(project_id: str, key_id: str) -> tuple[str, str]:
    """A new plaintext key and the hash to store."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return f"{KEY_PREFIX}.{project_id}.{key_id}.{secret}", hash_secret(secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_key(key: str) -> tuple[str, str, str] | None:
    """The project id, key id and secret of a key of the issued shape, else None (no lookup)."""
    parts = key.strip().split(".")
    if len(parts) != 4 or parts[0] != KEY_PREFIX:
        return None
    _, project_id, key_id, secret = parts
    if not (
        is_resource_id(PROJECT_PREFIX, project_id)
        and is_resource_id(API_KEY_PREFIX, key_id)
        and _SECRET_PATTERN.fullmatch(secret)
    ):
        return None
    return project_id, key_id, secret


class ApiKeyAuthenticator:
    """Resolves ``X-Api-Key`` to its project; answers are cached briefly in process so that a busy
    key costs one storage read per ``ttl_seconds``, and ``forget`` drops a revoked key at once.
    A missing key is cached as missing for as long (at most ``max_missing`` of them), so repeating
    one unknown key costs one read per ``ttl_seconds`` too."""

    def __init__(
        self,
        repository: TableRepository[ApiKeyRecord],
        ttl_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        max_missing: int = 10_000,
    ) -> None:
        self._repository = repository
        self._ttl = ttl_seconds
        self._clock = clock
        self._cache: dict[str, tuple[float, ApiKeyRecord]] = {}
        self._missing: dict[tuple[str, str], float] = {}  # (project id, key id) -> until when
        self._max_missing = max_missing
        self._lock = threading.Lock()

    def authenticate(self, header: str | None) -> ApiKeyPrincipal:
        if not header:
            raise unauthorized(
                "Send your API key in the X-Api-Key header (or, signed in, a bearer token with X-Project-Id)."
            )
        parsed = parse_key(header)
        if parsed is None:
            raise unauthorized("The API key is not valid.")
        project_id, key_id, secret = parsed
        record = self._record(project_id, key_id)
        if record is None or not hmac.compare_digest(record.secret_hash, hash_secret(secret)):
            raise unauthorized("The API key is not valid.")
        if record.revoked_at is not None:
            raise unauthorized("The API key has been revoked.")
        return ApiKeyPrincipal(
            organization_id=record.organization_id,
            project_id=record.project_id,
            key_id=record.id,
            provider_type=str(record.provider.get("type", "")),
        )

    def forget(self, key_id: str) -> None:
        with self._lock:
            self._cache.pop(key_id, None)

    def _record(self, project_id: str, key_id: str) -> ApiKeyRecord | None:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(key_id)
            missing_until = self._missing.get((project_id, key_id), 0.0)
        if cached and cached[0] > now and cached[1].project_id == project_id:
            return cached[1]
        if missing_until > now:
            return None
        try:
            record = self._repository.get(project_id, key_id).entity
        except (NotFound, ValueError):
            self._remember_missing(project_id, key_id, now)
            return None
        with self._lock:
            self._cache[key_id] = (now + self._ttl, record)
        return record

    def _remember_missing(self, project_id: str, key_id: str, now: float) -> None:
        with self._lock:
            self._missing.pop((project_id, key_id), None)  # re-inserted last: the dict stays oldest first
            self._missing[(project_id, key_id)] = now + self._ttl
            if len(self._missing) > self._max_missing:
                for entry in [e for e, until in self._missing.items() if until <= now]:
                    del self._missing[entry]
                while len(self._missing) > self._max_missing:
                    del self._missing[next(iter(self._missing))]
