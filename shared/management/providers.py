"""The model provider behind an API key: what a request may say, what is stored, what is answered.

A discriminated union on ``type``. The provider's own ``apiKey`` is write-only: it is excluded from
every dump of these models (answers and stored settings alike), is a ``SecretStr`` (so it never shows
in a repr or log line), and is stored only sealed by the ``SecretBox`` on the API key record.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, TypeAdapter, field_validator

from shared.auth.api_keys import ApiKeyRecord
from shared.secret_box import SecretBox


def check_url(value: str, schemes: tuple[str, ...]) -> str:
    """An absolute URL with one of ``schemes`` and a host; no credentials, query or fragment (a
    secret there would be stored in clear: it belongs in ``apiKey``)."""
    parts = urlsplit(value)
    if parts.scheme.lower() not in schemes or not parts.hostname:
        raise ValueError(f"must be an absolute {' or '.join(schemes)} URL")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("must not carry credentials, a query or a fragment (use apiKey for the key)")
    return value


class _Provider(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AzureOpenAIProvider(_Provider):
    """An Azure OpenAI deployment; without ``apiKey`` the platform's managed identity is used."""

    type: Literal["azure-openai"] = Field(description="Azure OpenAI.")
    endpoint: str = Field(
        max_length=2048,
        description="The resource's endpoint, an https URL: `https://<resource>.openai.azure.com/`.",
    )
    deployment: str = Field(
        min_length=1, max_length=256, pattern=r"^\S+$", description="The model deployment's name."
    )
    api_version: str = Field(
        alias="apiVersion",
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="The Azure OpenAI API version, e.g. `2024-10-21`.",
    )
    transcription_deployment: str | None = Field(
        None,
        alias="transcriptionDeployment",
        max_length=256,
        pattern=r"^\S+$",
        description="A speech-to-text deployment (e.g. whisper): users may speak to the agent.",
    )
    speech_deployment: str | None = Field(
        None,
        alias="speechDeployment",
        max_length=256,
        pattern=r"^\S+$",
        description="A text-to-speech deployment (e.g. tts): the agent speaks its answers.",
    )
    api_key: SecretStr | None = Field(
        None,
        alias="apiKey",
        min_length=1,
        max_length=1024,
        exclude=True,
        description="The resource's key (write-only: never answered). Omit it to use managed identity.",
        json_schema_extra={"writeOnly": True},
    )

    @field_validator("endpoint")
    @classmethod
    def _https_endpoint(cls, value: str) -> str:
        return check_url(value, ("https",))


class OpenAICompatibleProvider(_Provider):
    """Any service speaking the OpenAI API (OpenAI itself, a gateway, a local server)."""

    type: Literal["openai-compatible"] = Field(description="An OpenAI-compatible API.")
    base_url: str = Field(
        alias="baseUrl", max_length=2048, description="The API's base URL (http or https), e.g. `/v1`."
    )
    model: str = Field(min_length=1, max_length=256, description="The chat (or realtime) model's name.")
    api_key: SecretStr | None = Field(
        None,
        alias="apiKey",
        min_length=1,
        max_length=1024,
        exclude=True,
        description="The API's key (write-only: never answered).",
        json_schema_extra={"writeOnly": True},
    )
    transcription_model: str | None = Field(
        None, alias="transcriptionModel", min_length=1, max_length=256, description="Speech-to-text model."
    )
    speech_model: str | None = Field(
        None, alias="speechModel", min_length=1, max_length=256, description="Text-to-speech model."
    )
    embedding_model: str | None = Field(
        None, alias="embeddingModel", min_length=1, max_length=256, description="Embedding model."
    )

    @field_validator("base_url")
    @classmethod
    def _http_base_url(cls, value: str) -> str:
        return check_url(value, ("http", "https"))


class HostedProvider(_Provider):
    """The platform's own hosted model (billed as hosted minutes)."""

    type: Literal["hosted"] = Field(description="The platform's hosted model.")


Provider = Annotated[
    AzureOpenAIProvider | OpenAICompatibleProvider | HostedProvider, Field(discriminator="type")
]
_PROVIDER: TypeAdapter[Provider] = TypeAdapter(Provider)


def provider_secret(provider: Provider) -> str | None:
    api_key = getattr(provider, "api_key", None)
    return api_key.get_secret_value() if isinstance(api_key, SecretStr) else None


def stored_settings(provider: Provider) -> dict[str, Any]:
    """What ``ApiKeyRecord.provider`` holds: the wire form, without the secret and without nulls."""
    settings: dict[str, Any] = provider.model_dump(mode="json", by_alias=True, exclude_none=True)
    return settings


def answered_provider(record: ApiKeyRecord) -> Provider:
    """The provider as answered (its secret is never part of a dump)."""
    return _PROVIDER.validate_python(record.provider)


def provider_with_secret(record: ApiKeyRecord, box: SecretBox) -> Provider:
    """The provider with its ``apiKey`` opened: for the runtime that calls the model, never to answer."""
    settings = dict(record.provider)
    if record.sealed_provider_secret:
        settings["apiKey"] = box.open(record.sealed_provider_secret, owner=record.id)
    return _PROVIDER.validate_python(settings)
