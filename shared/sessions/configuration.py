"""What a session runs with: its agent (stored, or inline for a per-session connection), and the
model and speech of its key: the key's provider with its secret opened, the platform's hosted
deployments, or the embedded offline model (which has no speech)."""

from __future__ import annotations

from typing import Any

from shared.agents.models import AgentFields, AgentRecord
from shared.auth.api_keys import API_KEYS_TABLE, ApiKeyRecord
from shared.catalog.tables import AGENTS
from shared.models import (
    HostedSettings,
    HostedSpeechSettings,
    ModelProvider,
    SpeechProvider,
    provider_for,
    speech_for,
)
from shared.platform import Platform
from shared.sessions.lifecycle import SessionPlan


def session_agent(platform: Platform, plan: SessionPlan) -> AgentFields:
    if plan.inline_agent is not None:
        return AgentFields.model_validate(plan.inline_agent, by_name=True)
    assert plan.agent_id is not None
    return platform.repository(AGENTS, AgentRecord).get(plan.project_id, plan.agent_id).entity


def key_provider(platform: Platform, project_id: str, key_id: str) -> tuple[dict[str, Any], str | None]:
    """The key's provider settings and its opened secret (for calling the provider, never to answer)."""
    key = platform.repository(API_KEYS_TABLE, ApiKeyRecord).get(project_id, key_id).entity
    secret = (
        platform.secret_box.open(key.sealed_provider_secret, owner=key.id)
        if key.sealed_provider_secret
        else None
    )
    return key.provider, secret


def hosted_settings(platform: Platform) -> HostedSettings:
    settings = platform.settings
    return HostedSettings(
        endpoint=settings.hosted_openai_endpoint,
        deployment=settings.hosted_openai_deployment,
        api_version=settings.hosted_openai_api_version,
        api_key=settings.hosted_openai_api_key,
    )


def session_model(platform: Platform, project_id: str, key_id: str) -> ModelProvider:
    provider, secret = key_provider(platform, project_id, key_id)
    return provider_for(provider, secret, hosted_settings(platform))


def session_speech(platform: Platform, project_id: str, key_id: str) -> SpeechProvider | None:
    provider, secret = key_provider(platform, project_id, key_id)
    settings = platform.settings
    hosted = HostedSpeechSettings(
        endpoint=settings.hosted_openai_endpoint,
        transcription_deployment=settings.hosted_transcription_deployment,
        speech_deployment=settings.hosted_speech_deployment,
        api_version=settings.hosted_openai_api_version,
        api_key=settings.hosted_openai_api_key,
    )
    return speech_for(provider, secret, hosted)
