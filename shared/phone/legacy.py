"""The legacy SIP resources: ``/public/sip-agents`` (one object bundling the agent and its SIP
settings) and ``/public/sip-connections`` (a SIP trunk's credentials, linked to an agent).

Published (developers.napster.com/docs/migrations/sip-agents-to-agents, …/channels/sip and the
deploy-phone skill): the old SIP Agent "bundled everything into a single object: companion config,
voice, human handoff, and SIP-specific settings"; it is now an agent plus its SIP channel config, and
``POST /public/sip-agents/{id}/migrate`` makes that pair. A SIP connection is ``{agentId, name,
settings: {server, port, domain, username, password, transport, callerId?}}`` (the password write-only),
with ``POST …/{id}/status`` (``lifecycleStatus``, ``sipStatus``), ``GET …/{id}/errors`` and
``POST …/{id}/call`` ``{destination, initialSpeech?}``.

This platform answers calls through Azure Communication Services, not by registering with a trunk:
a SIP connection is kept as written, and its status says so (calls reach an agent through ACS direct
routing and the numbers of the agent's SIP channel config).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from shared.agents.models import AgentFields, HumanHandoff, WireModel, _optional_fields
from shared.listing import ListEnvelope

SIP_AGENTS_TABLE = "sipagents"
SIP_CONNECTIONS_TABLE = "sipconnections"

NOT_REGISTERED = (
    "This platform does not register with SIP trunks: calls reach an agent through Azure Communication "
    "Services (a phone number, or direct routing from your SBC), bound in the agent's SIP channel config "
    "(PUT /public/agents/{agentId}/channels/sip with phoneNumbers)."
)


class SipAgentFields(AgentFields):
    """A legacy SIP agent: the agent's fields and its SIP-only settings in one object."""

    human_handoff: HumanHandoff | None = Field(None, description="Transfer the call to a person.")

    def agent_fields(self) -> AgentFields:
        """What the migrated agent is made of (everything but the SIP settings)."""
        return AgentFields.model_validate(
            self.model_dump(include=set(AgentFields.model_fields)), by_name=True
        )


SipAgentPatch = create_model(
    "SipAgentPatch",
    __base__=WireModel,
    __doc__="PATCH body of a legacy SIP agent: only the fields sent change (as PATCH of an agent).",
    **_optional_fields(SipAgentFields),
)


class SipAgent(SipAgentFields):
    """A legacy SIP agent as answered."""

    id: str = Field(description="The SIP agent id (`sipagent_…`).")
    created: int = Field(description="When it was created (unix seconds).")
    migrated_agent_id: str | None = Field(
        None, description="The agent `POST …/migrate` made of it (null until migrated)."
    )


class SipAgentList(ListEnvelope[SipAgent]):
    """The published list envelope of legacy SIP agents."""


class SipAgentRecord(SipAgentFields):
    """Stored (partition = project id)."""

    id: str
    created: int
    created_ns: int = 0
    migrated_agent_id: str | None = None

    def to_wire(self) -> SipAgent:
        return SipAgent.model_validate(self.model_dump(exclude={"created_ns"}), by_name=True)


class SipSettingsAnswered(WireModel):
    server: str = Field(min_length=1, max_length=253, description="Your SIP provider's server address.")
    port: int = Field(ge=1, le=65535, description="SIP port (typically 5060).")
    domain: str = Field(min_length=1, max_length=253, description="SIP domain.")
    username: str = Field(min_length=1, max_length=128, description="SIP account username.")
    transport: Literal["UDP", "TCP", "TLS", "udp", "tcp", "tls"] = Field(description="e.g. `TCP`.")
    caller_id: str | None = Field(
        None, max_length=128, description="This connection's identifier on your SIP server."
    )


class SipSettings(SipSettingsAnswered):
    password: str = Field(min_length=1, max_length=256, description="Write-only: never answered.")


class SipConnectionBody(WireModel):
    """POST body of a SIP connection."""

    agent_id: str = Field(description="The agent that answers calls on this connection.")
    name: str = Field(min_length=1, max_length=200, description="A name for the connection.")
    settings: SipSettings = Field(description="The SIP credentials of your provider.")


class SipConnectionPatch(WireModel):
    """PATCH body: the fields sent replace the stored ones (`settings` whole, with its password)."""

    agent_id: str | None = Field(None, description="The agent that answers calls on this connection.")
    name: str | None = Field(None, min_length=1, max_length=200, description="A name for the connection.")
    settings: SipSettings | None = Field(None, description="The SIP credentials (replaced whole).")


class SipConnection(WireModel):
    """A SIP connection as answered (the password never is)."""

    id: str = Field(description="The SIP connection id (`sipconn_…`).")
    agent_id: str = Field(description="The agent that answers calls on this connection.")
    name: str = Field(description="The connection's name.")
    settings: SipSettingsAnswered = Field(description="The SIP settings, without the password.")
    created: int = Field(description="When it was created (unix seconds).")


class SipConnectionList(ListEnvelope[SipConnection]):
    """The published list envelope of SIP connections."""


class SipConnectionRecord(BaseModel):
    """Stored (partition = project id); the password sealed with the secret box (owner = the id)."""

    id: str
    agent_id: str
    name: str
    settings: dict[str, Any]  # SipSettingsAnswered's fields, by name
    sealed_password: str
    created: int
    created_ns: int = 0

    def to_wire(self) -> SipConnection:
        settings = SipSettingsAnswered.model_validate(self.settings, by_name=True)
        return SipConnection.model_validate(
            {
                "id": self.id,
                "agent_id": self.agent_id,
                "name": self.name,
                "settings": settings,
                "created": self.created,
            },
            by_name=True,
        )


class SipConnectionStatus(BaseModel):
    lifecycleStatus: Literal["Pending", "Running", "Failed", "Error", "Unknown"] = Field(
        description="The listener: here always `Failed` (no trunk registration; see `message`)."
    )
    sipStatus: Literal["registering", "online", "calling"] = Field(
        description="Registration with your provider: here `registering` (it never completes)."
    )
    message: str = Field(description="Why: calls come through ACS instead.")


class SipConnectionError(BaseModel):
    timestamp: str = Field(description="When (ISO 8601, UTC).")
    message: str = Field(description="What went wrong.")
    code: int = Field(description="A status-like code.")


class OutboundCallRequest(WireModel):
    """``POST /public/sip-connections/{id}/call``."""

    destination: str = Field(
        description="The number to call: `+` and 7 to 15 digits, or up to 15 digits (digits only)."
    )
    initial_speech: str | None = Field(
        None, max_length=2000, description="What the agent says when the call is answered."
    )
