"""The app's settings, read in one place.

Nothing else in the app touches ``os.environ``: code asks ``get_settings()`` (cached, built on first
use, never at import time) and tests build their own with ``load_settings({...})``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from shared.functions.addresses import HostPort, parse_host_port
from shared.phone.settings import AcsSettings, load_acs_settings

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


KnowledgeIndexKind = Literal["local", "azure-search"]


@dataclass(frozen=True)
class MarketplaceSettings:
    """Azure Marketplace SaaS (Fulfillment v2, Metering). The publisher's Entra app (tenant, client id,
    secret) calls Microsoft's APIs, and its client id is the audience of the webhook's tokens. Billing
    is off (nothing metered, nothing enforced) while tenant or client id is unset."""

    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    api_url: str = "https://marketplaceapi.microsoft.com"
    authority: str = "https://login.microsoftonline.com"
    # Where the webhook's token issuer publishes its signing keys; default: the tenant's v2 document.
    openid_configuration_url: str | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.tenant_id and self.client_id)

    @property
    def webhook_openid_configuration_url(self) -> str:
        if self.openid_configuration_url:
            return self.openid_configuration_url
        return f"{self.authority.rstrip('/')}/{self.tenant_id}/v2.0/.well-known/openid-configuration"


@dataclass(frozen=True)
class SpeechAvatarSettings:
    """Azure AI Speech's real-time text-to-speech avatar for ``webrtc`` sessions: the app mints a Speech
    auth token and the avatar's ICE relay credentials per connection (``shared.speech_avatar``); the
    video itself is WebRTC between Azure and the browser. Authenticated with the resource's key, or
    without one with the app's managed identity (which needs the resource's custom-domain endpoint and
    its resource id: the Speech SDK takes ``aad#<resourceId>#<Entra token>``)."""

    region: str
    # Base of both token endpoints. Unset: the regional hosts (https://{region}.api.cognitive.microsoft.com
    # for the auth token, https://{region}.tts.speech.microsoft.com for the relay). Set (a custom domain
    # or private endpoint): {endpoint}/sts/v1.0/issueToken and {endpoint}/tts/cognitiveservices/avatar/...
    endpoint: str | None = None
    key: str | None = field(default=None, repr=False)  # never in logs or tracebacks
    resource_id: str | None = None
    character: str = "lisa"
    style: str = "casual-sitting"
    voice: str = "en-US-AvaMultilingualNeural"

    @property
    def token_base(self) -> str:
        return self.endpoint or f"https://{self.region}.api.cognitive.microsoft.com"

    @property
    def issue_token_url(self) -> str:
        return f"{self.token_base}/sts/v1.0/issueToken"

    @property
    def relay_token_url(self) -> str:
        relay = "cognitiveservices/avatar/relay/token/v1"
        if self.endpoint:
            return f"{self.endpoint}/tts/{relay}"
        return f"https://{self.region}.tts.speech.microsoft.com/{relay}"


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
    # Failed authentications (401s) per minute per client address, also the burst
    # (shared.auth.failed_attempts); the address is the X-Forwarded-For entry trusted_proxy_hops from
    # the right (1: App Service's front end appends it; 0: ignore the header, one bucket for all).
    failed_authentications_per_minute: int = 30
    trusted_proxy_hops: int = 1
    # How long GET /health answers its last storage check again (unauthenticated callers cost no more).
    health_cache_seconds: float = 5.0
    # Azure Web PubSub (the WebSocket channel): locally the devhost's stand-in sets this.
    webpubsub_connection_string: str | None = None
    webpubsub_hub: str = "omniagent"
    # How long a tool call may take (the published default is 10 s).
    tool_timeout_seconds: float = 10.0
    # How long a webrtc session whose last connection closed waits for a new one with the same token
    # (the Web SDK's reconnect: 5 tries, backoff from 0.4 s, about 12 s in all) before it ends.
    reconnect_grace_seconds: float = 20.0
    # Live sessions (pending or started) an organization may have per transport (channelType); the
    # published limit is 5 each (WebRTC, WebSocket, VoIP, SIP).
    max_concurrent_sessions_per_transport: int = 5
    # The platform's own Azure OpenAI deployment for `hosted` keys; without it they get the embedded
    # offline model. No key: the app's managed identity.
    hosted_openai_endpoint: str | None = None
    hosted_openai_deployment: str | None = None
    hosted_openai_api_version: str = "2024-10-21"
    hosted_openai_api_key: str | None = None
    hosted_transcription_deployment: str | None = None
    hosted_speech_deployment: str | None = None
    hosted_embedding_deployment: str | None = None
    # Knowledge: where chunks are indexed. "local" is the embedded SQLite index in knowledge_dir (the
    # local stack); "azure-search" is Azure AI Search (key, else the app's managed identity).
    knowledge_index: KnowledgeIndexKind = "local"
    knowledge_dir: str = ".devhost/knowledge"
    # Non-public hosts knowledge URLs may be downloaded from (OMNI_KNOWLEDGE_ALLOWED_HOSTS, comma-separated
    # host[:port]; no port: any). Empty: public addresses only, in local mode too.
    knowledge_allowed_hosts: tuple[HostPort, ...] = ()
    # The app's own host as the Functions host sets it (WEBSITE_HOSTNAME: localhost:PORT under func start
    # and the devhost, <app>.azurewebsites.net in Azure): never a target of tools or knowledge URLs.
    app_host: HostPort | None = None
    search_endpoint: str | None = None
    search_api_key: str | None = None
    search_index_name: str = "omniagent-knowledge"
    # The index's vector field size: the embedding model's dimensions (None: text ranking only).
    search_vector_dimensions: int | None = None
    marketplace: MarketplaceSettings = MarketplaceSettings()
    # The tool-socket worker (workers/tool_sockets): where its internal API is and the bearer both sides
    # use. Unset: WebSocket tools get one exchange per call instead of a socket per session.
    tool_sockets_url: str | None = None
    tool_sockets_secret: str | None = None
    # Azure AI Speech's avatar for webrtc sessions; None: the browser draws the avatar from the photo.
    speech_avatar: SpeechAvatarSettings | None = None
    # Azure Communication Services (the phone channel); locally the devhost's stand-in sets it.
    acs: AcsSettings = field(default_factory=AcsSettings)

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
        failed_authentications_per_minute=_optional_whole_number(
            env, "OMNI_FAILED_AUTHENTICATIONS_PER_MINUTE"
        )
        or 30,
        trusted_proxy_hops=_trusted_proxy_hops(env),
        health_cache_seconds=_positive_number(env, "OMNI_HEALTH_CACHE_SECONDS", 5.0),
        webpubsub_connection_string=env.get("WEBPUBSUB_CONNECTION_STRING") or None,
        webpubsub_hub=env.get("WEBPUBSUB_HUB", "omniagent"),
        tool_timeout_seconds=_positive_number(env, "OMNI_TOOL_TIMEOUT_SECONDS", 10.0),
        reconnect_grace_seconds=_positive_number(env, "OMNI_RECONNECT_GRACE_SECONDS", 20.0),
        max_concurrent_sessions_per_transport=_optional_whole_number(
            env, "OMNI_MAX_CONCURRENT_SESSIONS_PER_TRANSPORT"
        )
        or 5,
        hosted_openai_endpoint=env.get("OMNI_HOSTED_OPENAI_ENDPOINT") or None,
        hosted_openai_deployment=env.get("OMNI_HOSTED_OPENAI_DEPLOYMENT") or None,
        hosted_openai_api_version=env.get("OMNI_HOSTED_OPENAI_API_VERSION") or "2024-10-21",
        hosted_openai_api_key=env.get("OMNI_HOSTED_OPENAI_API_KEY") or None,
        hosted_transcription_deployment=env.get("OMNI_HOSTED_TRANSCRIPTION_DEPLOYMENT") or None,
        hosted_speech_deployment=env.get("OMNI_HOSTED_SPEECH_DEPLOYMENT") or None,
        hosted_embedding_deployment=env.get("OMNI_HOSTED_EMBEDDING_DEPLOYMENT") or None,
        knowledge_index=_knowledge_index(env),
        knowledge_dir=env.get("OMNI_KNOWLEDGE_DIR") or ".devhost/knowledge",
        knowledge_allowed_hosts=_host_ports(env, "OMNI_KNOWLEDGE_ALLOWED_HOSTS"),
        app_host=next(iter(_host_ports(env, "WEBSITE_HOSTNAME")), None),
        search_endpoint=env.get("OMNI_SEARCH_ENDPOINT") or None,
        search_api_key=env.get("OMNI_SEARCH_API_KEY") or None,
        search_index_name=env.get("OMNI_SEARCH_INDEX_NAME") or "omniagent-knowledge",
        search_vector_dimensions=_optional_whole_number(env, "OMNI_SEARCH_VECTOR_DIMENSIONS"),
        marketplace=MarketplaceSettings(
            tenant_id=env.get("OMNI_MARKETPLACE_TENANT_ID") or None,
            client_id=env.get("OMNI_MARKETPLACE_CLIENT_ID") or None,
            client_secret=env.get("OMNI_MARKETPLACE_CLIENT_SECRET") or None,
            api_url=env.get("OMNI_MARKETPLACE_API_URL") or "https://marketplaceapi.microsoft.com",
            authority=env.get("OMNI_MARKETPLACE_AUTHORITY") or "https://login.microsoftonline.com",
            openid_configuration_url=env.get("OMNI_MARKETPLACE_OPENID_CONFIGURATION_URL") or None,
        ),
        tool_sockets_url=(env.get("OMNI_TOOL_SOCKETS_URL") or "").rstrip("/") or None,
        tool_sockets_secret=_tool_sockets_secret(env, environment),
        speech_avatar=_speech_avatar(env, environment),
        acs=load_acs_settings(env),
    )


def _speech_avatar(env: Mapping[str, str], environment: str) -> SpeechAvatarSettings | None:
    """OMNI_SPEECH_AVATAR_*: on when a region is set. Without OMNI_SPEECH_AVATAR_KEY the managed
    identity authenticates, which needs OMNI_SPEECH_AVATAR_ENDPOINT (the custom domain) and
    OMNI_SPEECH_AVATAR_RESOURCE_ID."""
    region = (env.get("OMNI_SPEECH_AVATAR_REGION") or "").strip().lower()
    named = [name for name in env if name.startswith("OMNI_SPEECH_AVATAR_") and env[name]]
    if not region:
        if named:
            raise SettingsError(f"{', '.join(sorted(named))} need OMNI_SPEECH_AVATAR_REGION (e.g. westus2).")
        return None
    if not region.replace("-", "").isalnum():
        raise SettingsError(f"OMNI_SPEECH_AVATAR_REGION must be an Azure region name, not {region!r}.")
    endpoint = (env.get("OMNI_SPEECH_AVATAR_ENDPOINT") or "").strip().rstrip("/") or None
    if (
        endpoint
        and not endpoint.startswith("https://")
        and not (environment == "local" and endpoint.startswith("http://"))
    ):
        raise SettingsError("OMNI_SPEECH_AVATAR_ENDPOINT must be an https:// URL.")
    key = env.get("OMNI_SPEECH_AVATAR_KEY") or None
    resource_id = env.get("OMNI_SPEECH_AVATAR_RESOURCE_ID") or None
    if not key and not (endpoint and resource_id):
        raise SettingsError(
            "The Speech avatar needs OMNI_SPEECH_AVATAR_KEY, or for the managed identity both "
            "OMNI_SPEECH_AVATAR_ENDPOINT (the resource's custom domain) and OMNI_SPEECH_AVATAR_RESOURCE_ID."
        )
    defaults = SpeechAvatarSettings(region=region)
    return SpeechAvatarSettings(
        region=region,
        endpoint=endpoint,
        key=key,
        resource_id=resource_id,
        character=env.get("OMNI_SPEECH_AVATAR_CHARACTER") or defaults.character,
        style=env.get("OMNI_SPEECH_AVATAR_STYLE") or defaults.style,
        voice=env.get("OMNI_SPEECH_AVATAR_VOICE") or defaults.voice,
    )


_PLACEHOLDER_SECRETS = frozenset({"changeme", "change-me", "secret", "placeholder", "local", "dev"})


def _tool_sockets_secret(env: Mapping[str, str], environment: str) -> str | None:
    """OMNI_TOOL_SOCKETS_SECRET: required with OMNI_TOOL_SOCKETS_URL; outside local mode at least 32
    characters and no placeholder."""
    secret = env.get("OMNI_TOOL_SOCKETS_SECRET") or None
    if not env.get("OMNI_TOOL_SOCKETS_URL"):
        return secret
    if not secret:
        raise SettingsError("OMNI_TOOL_SOCKETS_URL needs OMNI_TOOL_SOCKETS_SECRET (the worker's bearer).")
    if environment != "local" and (
        len(secret) < 32 or secret.lower() in _PLACEHOLDER_SECRETS or secret.lower().startswith("local")
    ):
        raise SettingsError(
            "OMNI_TOOL_SOCKETS_SECRET is a placeholder: outside local mode use a random value of at "
            "least 32 characters."
        )
    return secret


def _host_ports(env: Mapping[str, str], name: str) -> tuple[HostPort, ...]:
    try:
        return tuple(parse_host_port(entry) for entry in (env.get(name) or "").split(",") if entry.strip())
    except ValueError as error:
        raise SettingsError(f"{name} must be comma-separated host[:port] entries: {error}.") from None


def _knowledge_index(env: Mapping[str, str]) -> KnowledgeIndexKind:
    """OMNI_KNOWLEDGE_INDEX when set; otherwise Azure AI Search when an endpoint is configured."""
    kind = (env.get("OMNI_KNOWLEDGE_INDEX") or "").strip().lower()
    if not kind:
        return "azure-search" if env.get("OMNI_SEARCH_ENDPOINT") else "local"
    if kind not in ("local", "azure-search"):
        raise SettingsError(f"OMNI_KNOWLEDGE_INDEX must be 'local' or 'azure-search', not {kind!r}.")
    if kind == "azure-search" and not env.get("OMNI_SEARCH_ENDPOINT"):
        raise SettingsError("OMNI_KNOWLEDGE_INDEX=azure-search needs OMNI_SEARCH_ENDPOINT.")
    return kind  # type: ignore[return-value]


def _trusted_proxy_hops(env: Mapping[str, str]) -> int:
    """OMNI_TRUSTED_PROXY_HOPS: proxies that append to X-Forwarded-For (0: trust none of it)."""
    text = (env.get("OMNI_TRUSTED_PROXY_HOPS") or "1").strip()
    if not text.isdigit() or int(text) > 5:
        raise SettingsError(f"OMNI_TRUSTED_PROXY_HOPS must be a whole number from 0 to 5, not {text!r}.")
    return int(text)


def _optional_whole_number(env: Mapping[str, str], name: str) -> int | None:
    text = (env.get(name) or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise SettingsError(f"{name} must be a positive whole number, not {text!r}.")
    return int(text)


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
