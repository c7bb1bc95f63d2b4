"""`hosted` keys use the platform's own Azure OpenAI deployment when one is configured."""

from __future__ import annotations

import pytest

from tests.e2e.builders import new_agent
from tests.e2e.session_client import SessionClient, open_connection
from tests.fakes.scripted_openai import ScriptedOpenAI


@pytest.fixture
def hosted_model():
    with ScriptedOpenAI(api_key="hosted-deployment-key") as server:
        yield server


@pytest.fixture
def hosted_platform(own_platform_factory, hosted_model):
    return own_platform_factory(
        OMNI_HOSTED_OPENAI_ENDPOINT=hosted_model.azure_endpoint,
        OMNI_HOSTED_OPENAI_DEPLOYMENT="platform-gpt",
        OMNI_HOSTED_OPENAI_API_KEY="hosted-deployment-key",
    )


def test_a_hosted_key_talks_to_the_platforms_deployment(hosted_platform, hosted_model, project_key):
    agent = new_agent(hosted_platform, project_key)
    hosted_model.reply_text("Hello from the hosted model.")
    with SessionClient(open_connection(hosted_platform, project_key, agent["id"])) as client:
        client.receive_until("avatar_state_changed", state="ready")
        assert client.ask("Hi") == "Hello from the hosted model."
        assert client.end()["reason"] == "client"
    assert hosted_model.last_request.deployment == "platform-gpt"
