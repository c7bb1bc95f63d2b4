"""The app's settings, read in one place.

Nothing else in the app touches ``os.environ``: code asks ``get_settings()`` (cached, built on first
use, never at import time) and tests build their own with ``load_settings({...})``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Environment = Literal["local", "azure"]


class SettingsError(ValueError):
    """A setting is missing or unusable; the message names the setting and what to do."""


@dataclass(frozen=True)
class StorageSettings:
    """Where Table and Blob storage live: a connection string (Azurite, keys) or an account name
    reached with ``DefaultAzureCredential`` (managed identity in Azure)."""

    connection_string: str | None = None
    account_name: str | None = None

    def __post_init__(self) -> None:
        if not self.connection_string and not self.account_name:
            raise SettingsError(
                "Storage is not configured: set OMNI_STORAGE_CONNECTION_STRING (for Azurite: "
                "UseDevelopmentStorage=true) or OMNI_STORAGE_ACCOUNT_NAME (managed identity)."
            )

    @property
    def table_endpoint(self) -> str:
        return f"https://{self.account_name}.table.core.windows.net"

    @property
    def blob_endpoint(self) -> str:
        return f"https://{self.account_name}.blob.core.windows.net"


@dataclass(frozen=True)
class AuthSettings:
    """Who signs ``/manage`` bearer tokens: an OpenID Connect issuer (Entra ID in Azure)."""

    issuer: str | None = None
    audience: str | None = None
    # Where the issuer's OpenID configuration lives; derived from the issuer when not set.
    openid_configuration_url: str | None = None

    @property
    def configuration_url(self) -> str | None:
        if self.openid_configuration_url:
            return self.openid_configuration_url
        if self.issuer:
            return self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        return None


@dataclass(frozen=True)
class Settings:
    environment: Environment
    storage: StorageSettings
    task_hub_name: str
    auth: AuthSettings = AuthSettings()
    # Base64 of 32 bytes: encrypts provider secrets at rest. Locally a key file is made on first use.
    secrets_key: str | None = None
    # Local mode only: where generated local keys (token signing, secrets) are kept.
    local_state_dir: str = ".devhost/local-secrets"
    # Requests per minute per API key on ordinary routes (a token bucket with this burst).
    rate_limit_per_minute: int = 600
    # Azure Web PubSub (the WebSocket channel): locally the devhost's stand-in sets this.
    webpubsub_connection_string: str | None = None
    webpubsub_hub: str = "omniagent"
    # How long a tool call may take (the published default is 10 s).
    tool_timeout_seconds: float = 10.0
    # The platform's own Azure OpenAI deployment for `hosted` keys; without it they get the embedded
    # offline model. No key: the app's managed identity.
    hosted_openai_endpoint: str | None = None
    hosted_openai_deployment: str | None = None
    hosted_openai_api_version: str = "2024-10-21"
    hosted_openai_api_key: str | None = None
    hosted_transcription_deployment: str | None = None
    hosted_speech_deployment: str | None = None

    @property
    def is_local(self) -> bool:
        return self.environment == "local"


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build settings from an environment mapping (``os.environ`` in the app)."""
    environment = env.get("OMNI_ENVIRONMENT", "azure").strip().lower()
    if environment not in ("local", "azure"):
        raise SettingsError(f"OMNI_ENVIRONMENT must be 'local' or 'azure', not {environment!r}.")

    connection_string = env.get("OMNI_STORAGE_CONNECTION_STRING") or None
    account_name = env.get("OMNI_STORAGE_ACCOUNT_NAME") or None
    if not connection_string and not account_name:
        # The Functions host's own storage setting is the natural fallback: one storage account.
        host_storage = env.get("AzureWebJobsStorage") or None
        if host_storage:
            connection_string = host_storage
        else:
            account_name = env.get("AzureWebJobsStorage__accountName") or None

    rate_limit = env.get("OMNI_RATE_LIMIT_PER_MINUTE", "600")
    if not rate_limit.isdigit() or int(rate_limit) < 1:
        raise SettingsError(
            f"OMNI_RATE_LIMIT_PER_MINUTE must be a positive whole number, not {rate_limit!r}."
        )
    secrets_key = env.get("OMNI_SECRETS_KEY") or None
    return Settings(
        environment=environment,  # type: ignore[arg-type]
        storage=StorageSettings(connection_string=connection_string, account_name=account_name),
        task_hub_name=env.get("DURABLE_TASK_HUB_NAME", "omniagent"),
        auth=AuthSettings(
            issuer=env.get("OMNI_AUTH_ISSUER") or None,
            audience=env.get("OMNI_AUTH_AUDIENCE") or None,
            openid_configuration_url=env.get("OMNI_AUTH_OPENID_CONFIGURATION_URL") or None,
        ),
        secrets_key=secrets_key,
        local_state_dir=env.get("OMNI_LOCAL_STATE_DIR", ".devhost/local-secrets"),
        rate_limit_per_minute=int(rate_limit),
        webpubsub_connection_string=env.get("WEBPUBSUB_CONNECTION_STRING") or None,
        webpubsub_hub=env.get("WEBPUBSUB_HUB", "omniagent"),
        tool_timeout_seconds=_positive_number(env, "OMNI_TOOL_TIMEOUT_SECONDS", 10.0),
        hosted_openai_endpoint=env.get("OMNI_HOSTED_OPENAI_ENDPOINT") or None,
        hosted_openai_deployment=env.get("OMNI_HOSTED_OPENAI_DEPLOYMENT") or None,
        hosted_openai_api_version=env.get("OMNI_HOSTED_OPENAI_API_VERSION") or "2024-10-21",
        hosted_openai_api_key=env.get("OMNI_HOSTED_OPENAI_API_KEY") or None,
        hosted_transcription_deployment=env.get("OMNI_HOSTED_TRANSCRIPTION_DEPLOYMENT") or None,
        hosted_speech_deployment=env.get("OMNI_HOSTED_SPEECH_DEPLOYMENT") or None,
    )


def _positive_number(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if text is None or text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, not {text!r}.") from None
    if value <= 0:
        raise SettingsError(f"{name} must be more than 0, not {text!r}.")
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings(os.environ)
