"""The app's long-lived collaborators, built once on first use (never at import time).

Triggers call ``get_platform()``; rules in ``shared/`` take what they need as arguments, so tests of
rules never need this. ``repository(name, model)`` gives the one repository per table.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient
from pydantic import BaseModel

from shared.auth.api_keys import API_KEYS_TABLE, ApiKeyAuthenticator, ApiKeyRecord
from shared.auth.failed_attempts import FailedAuthenticationLimiter
from shared.auth.local_keys import local_key
from shared.auth.tokens import TokenAuthenticator
from shared.rate_limit import Limit, RateLimiter
from shared.secret_box import SecretBox
from shared.sessions.connection import SessionConnection
from shared.settings import Settings, SettingsError, get_settings
from shared.storage import BlobStore, TableRepository, blob_service, table_service

if TYPE_CHECKING:
    from shared.phone.transport import PhoneTransport

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass
class Platform:
    settings: Settings
    _repositories: dict[str, TableRepository[Any]] = field(default_factory=dict)
    _blob_stores: dict[str, BlobStore] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def tables(self) -> TableServiceClient:
        return table_service(self.settings.storage)

    @property
    def blobs(self) -> BlobServiceClient:
        return blob_service(self.settings.storage)

    def repository(self, table_name: str, model: type[ModelT]) -> TableRepository[ModelT]:
        with self._lock:
            existing = self._repositories.get(table_name)
            if existing is None:
                existing = TableRepository(self.tables, table_name, model)
                self._repositories[table_name] = existing
        assert existing.model is model, f"table {table_name} is already used for {existing.model.__name__}"
        return existing

    def blob_store(self, container: str) -> BlobStore:
        with self._lock:
            if container not in self._blob_stores:
                self._blob_stores[container] = BlobStore(self.blobs, container)
            return self._blob_stores[container]

    @cached_property
    def api_keys(self) -> ApiKeyAuthenticator:
        return ApiKeyAuthenticator(self.repository(API_KEYS_TABLE, ApiKeyRecord))

    @cached_property
    def tokens(self) -> TokenAuthenticator:
        return TokenAuthenticator(self.settings)

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        per_minute = self.settings.rate_limit_per_minute
        return RateLimiter(
            {
                "default": Limit(capacity=max(1, per_minute // 10), per_second=per_minute / 60),
                # Documented for the connection endpoints: 1 request per 5 seconds per key.
                "connections": Limit(capacity=1, per_second=1 / 5),
            }
        )

    @cached_property
    def failed_authentications(self) -> FailedAuthenticationLimiter:
        per_minute = self.settings.failed_authentications_per_minute
        return FailedAuthenticationLimiter(
            Limit(capacity=per_minute, per_second=per_minute / 60), self.settings.trusted_proxy_hops
        )

    @cached_property
    def session_connection(self) -> SessionConnection:
        return SessionConnection(self.settings)

    @cached_property
    def phone_transport(self) -> PhoneTransport:
        from shared.phone.transport import PhoneTransport  # it builds on this module

        return PhoneTransport(self)

    @cached_property
    def secret_box(self) -> SecretBox:
        if self.settings.secrets_key:
            return SecretBox.from_passphrase(self.settings.secrets_key)
        if not self.settings.is_local:
            raise SettingsError(
                "OMNI_SECRETS_KEY is required outside local mode (32+ random characters, from Key Vault)."
            )
        return SecretBox(local_key(self.settings.local_state_dir, "secrets"))


@lru_cache(maxsize=1)
def get_platform() -> Platform:
    return Platform(get_settings())
