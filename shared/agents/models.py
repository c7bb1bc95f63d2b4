"""The agent and channel-config shapes: request bodies, answers, and what is stored.

Published (docs/omniagent-public-api.md section 6; developers.napster.com/docs/api-reference/agents/post,
…/agents/agentid-patch, …/agents/agentid-channels-channeltype-get): ``companionId``, ``name``, ``voiceId``,
``language``, ``functions``, ``faqCollections``, ``knowledgeBaseId``, ``providerSettings``, ``tags``,
``disableIdleTimeout``, ``created``; newer guides add ``useWebSearch`` (default true) and ``mcp``.
Our additive extensions (docs/shared api-contract, agents row): ``greeting``, ``inactivity``,
``disclaimer``, ``memory``, and ``providerSettings.maxOutputTokens`` (the contract's
``model.maxOutputTokens``; its ``model.temperature`` is the published ``providerSettings.temperature``,
so there is no ``model`` object).

Wire names are camelCase aliases; stored entities use the Python names (``companion_id``,
``functions``, ``faq_collections``, ``knowledge_base_id``), which ``shared.catalog.usage`` reads.
"""

from __future__ import annotations

from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from shared.agents.languages import LANGUAGE_HINT, normalize_language
from shared.listing import ListEnvelope
from shared.request_json import NotNull

DEFAULT_DISCLAIMER_TEXT = "This is an AI-generated avatar"
DEFAULT_INACTIVITY_TIMEOUT_SECONDS = 120
DEFAULT_INACTIVITY_COUNTDOWN_SECONDS = 15
MAX_REFERENCES = 50  # functions or FAQ collections on one agent
MAX_TAGS = 50

ChannelType = Literal["voip", "sip", "webrtc", "websocket", "kiosk"]
CHANNEL_TYPES: tuple[str, ...] = ("voip", "sip", "webrtc", "websocket", "kiosk")

# Published connector ids (add-mcp-servers skill).
McpConnector = Literal[
    "dropbox",
    "gmail",
    "googlecalendar",
    "googledrive",
    "microsoftteams",
    "outlookcalendar",
    "outlookemail",
    "sharepoint",
]


class WireModel(BaseModel):
    """camelCase on the wire (only: code builds instances with ``model_validate(..., by_name=True)``);
    unknown fields are refused (400 naming them)."""

    model_config = ConfigDict(alias_generator=to_camel, extra="forbid")


class TurnDetection(BaseModel):
    """Voice activity detection. The published names are snake_case inside this object."""

    model_config = ConfigDict(extra="forbid")

    threshold: float | None = Field(
        None, ge=0, le=1, description="Speech probability (0-1) above which the user is speaking."
    )
    prefix_padding_ms: int | None = Field(
        None, ge=0, le=5000, description="Audio kept before detected speech, in milliseconds."
    )
    silence_duration_ms: int | None = Field(
        None, ge=0, le=10000, description="Silence that ends the user's turn, in milliseconds."
    )


class NoiseReduction(WireModel):
    type: Literal["nearField", "farField"] = Field(
        description="`nearField` for headsets and phones, `farField` for laptop or room microphones."
    )


class ProviderSettings(WireModel):
    instructions: str | None = Field(
        None, max_length=16000, description="System prompt; overrides the companion's own prompt."
    )
    temperature: float | None = Field(None, ge=0, le=2, description="Sampling temperature (0-2).")
    turn_detection: TurnDetection | None = Field(None, description="Voice activity detection settings.")
    noise_reduction: NoiseReduction | None = Field(None, description="Input noise reduction.")
    max_output_tokens: int | None = Field(
        None, ge=1, le=32768, description="Extension: the most tokens one answer of the agent may use."
    )


class Mcp(WireModel):
    servers: list[str] = Field(
        default_factory=list, max_length=MAX_REFERENCES, description="Ids of the project's MCP servers."
    )
    connectors: list[McpConnector] = Field(
        default_factory=list, max_length=MAX_REFERENCES, description="Built-in MCP connectors to enable."
    )


class Inactivity(WireModel):
    timeout_seconds: int = Field(
        DEFAULT_INACTIVITY_TIMEOUT_SECONDS,
        ge=10,
        le=3600,
        description="Extension: a session with no user activity for this long ends (unless "
        "`disableIdleTimeout`).",
    )
    countdown_seconds: int = Field(
        DEFAULT_INACTIVITY_COUNTDOWN_SECONDS,
        ge=0,
        le=300,
        description="Extension: the session warns this many seconds before it ends for inactivity; "
        "less than `timeoutSeconds`.",
    )


class Disclaimer(WireModel):
    enabled: bool = Field(True, description="Extension: show the disclaimer over the avatar.")
    text: str = Field(
        DEFAULT_DISCLAIMER_TEXT, min_length=1, max_length=500, description="Extension: the disclaimer text."
    )


class Memory(WireModel):
    enabled: bool = Field(
        True, description="Extension: remember each end user (by `externalClientId`) across sessions."
    )


class AgentFields(WireModel):
    """What a client sets on an agent (the body of POST; PATCH sends any subset)."""

    companion_id: str = Field(min_length=1, max_length=200, description="The companion (persona) id.")
    name: str | None = Field(None, max_length=200, description="A label for the agent.")
    voice_id: str = Field(
        min_length=1, max_length=100, description="A voice of the key's provider, e.g. `alloy`."
    )
    language: str | None = Field(
        None,
        description="ISO 639-1 code (`en`); English names (`English`) are accepted and stored as the code. "
        "Omitted: English, and the user may switch language.",
    )
    functions: list[str] = Field(
        default_factory=list, max_length=MAX_REFERENCES, description="Function (tool) ids."
    )
    faq_collections: list[str] = Field(
        default_factory=list, max_length=MAX_REFERENCES, description="FAQ collection ids."
    )
    knowledge_base_id: str | None = Field(None, description="The knowledge collection (at most one).")
    provider_settings: ProviderSettings = Field(
        description="Model settings; `{}` takes the defaults. Required on create."
    )
    tags: dict[str, str] = Field(
        default_factory=dict,
        max_length=MAX_TAGS,
        description="Labels, returned on every session of the agent for filtering.",
    )
    disable_idle_timeout: bool = Field(False, description="Keep sessions open however long they are idle.")
    use_web_search: bool = Field(True, description="Let the agent search the web.")
    mcp: Mcp | None = Field(None, description="MCP servers and connectors; replaced whole on update.")
    greeting: str | None = Field(
        None, max_length=1000, description="Extension: what the agent says first in every session."
    )
    inactivity: Inactivity = Field(
        default_factory=lambda: Inactivity.model_validate({}),
        description="Extension: when idle sessions warn and end.",
    )
    disclaimer: Disclaimer = Field(
        default_factory=lambda: Disclaimer.model_validate({}),
        description="Extension: the AI disclosure shown with the avatar.",
    )
    memory: Memory = Field(
        default_factory=lambda: Memory.model_validate({}), description="Extension: memory of end users."
    )

    @field_validator("language")
    @classmethod
    def _iso_639_1(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = normalize_language(value)
        if code is None:
            raise PydanticCustomError("language", LANGUAGE_HINT)
        return code


def _optional_fields(model: type[BaseModel]) -> dict[str, Any]:
    """Every field optional; ``null`` resets one the agent may go without, and is refused (400) for one
    it requires (``shared.request_json.NotNull``)."""
    fields: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        annotation = cast(Any, field.annotation)
        optional = cast(Any, NotNull)[annotation] if field.is_required() else annotation | None
        fields[name] = (optional, Field(None, description=field.description))
    return fields


AgentPatch: type[WireModel] = create_model(
    "AgentPatch",
    __base__=WireModel,
    __doc__="PATCH body: only the fields sent change; arrays, `tags` and `mcp` are replaced whole, other "
    "objects are merged field by field, and `null` resets a field to its default.",
    **_optional_fields(AgentFields),
)


class Agent(AgentFields):
    """An agent as answered (POST, GET, PATCH share this shape)."""

    id: str = Field(description="The agent id (`agent_…`).")
    created: int = Field(description="When the agent was created (unix seconds).")


class AgentList(ListEnvelope[Agent]):
    """The published list envelope of agents."""


class AgentRecord(AgentFields):
    """The stored agent (partition = project id)."""

    id: str
    organization_id: str
    created: int
    created_ns: int = 0  # time.time_ns() at creation: the listing order within a second

    def to_wire(self) -> Agent:
        return Agent.model_validate(self.model_dump(exclude={"organization_id", "created_ns"}), by_name=True)

    def fields(self) -> AgentFields:
        return AgentFields.model_validate(
            self.model_dump(include=set(AgentFields.model_fields)), by_name=True
        )


class HumanHandoff(WireModel):
    enabled: bool = Field(description="Let the agent transfer the call to a person.")
    transfer_extension: str | None = Field(None, max_length=100, description="Where the call is sent.")
    transfer_description: str | None = Field(
        None, max_length=1000, description="When the agent should transfer the call."
    )


class ChannelConfigFields(WireModel):
    """PUT body of a channel config: what the channel's sessions use instead of the agent's values."""

    functions: list[str] | None = Field(
        None, max_length=MAX_REFERENCES, description="Function ids (replace the agent's)."
    )
    faq_collections: list[str] | None = Field(
        None, max_length=MAX_REFERENCES, description="FAQ collection ids (replace the agent's)."
    )
    knowledge_base_id: str | None = Field(None, description="Knowledge collection (replaces the agent's).")
    provider_settings: ProviderSettings | None = Field(
        None, description="Model settings (replace the agent's)."
    )
    mcp: Mcp | None = Field(None, description="MCP servers and connectors (replace the agent's).")
    human_handoff: HumanHandoff | None = Field(None, description="SIP only: transfer to a person.")
    phone_numbers: list[str] | None = Field(
        None,
        max_length=10,
        description="SIP only: the ACS phone numbers (E.164, `+15550100000`) and direct-routing SIP "
        "addresses (`sip:user@host`) whose calls this agent answers (answered normalised). A number "
        "rings one agent: one bound to another agent, of any project, is 409 `PhoneNumberInUse`.",
    )
    video_policy: Literal["required", "deferred"] | None = Field(
        None, description="WebRTC and kiosk: whether video must start with the session (default required)."
    )
    use_green_video: bool | None = Field(None, description="WebRTC and kiosk: green-screen video.")
    theme: str | dict[str, Any] | None = Field(None, description="Kiosk only: the kiosk page's theme.")
    url: str | None = Field(None, max_length=2000, description="Kiosk only: the kiosk page's URL.")
    initial_speech: str | None = Field(
        None, max_length=1000, description="Kiosk only: what the agent says first."
    )
    use_web_search: bool | None = Field(None, description="Kiosk only: let the agent search the web.")
    idle_timeout_seconds: int | None = Field(
        None, ge=0, le=86400, description="Kiosk only: idle time before the kiosk resets."
    )
    api_key_id: str | None = Field(
        None, description="The project API key the channel's sessions use; default: the calling key."
    )


class ChannelConfig(ChannelConfigFields):
    """A channel config as answered."""

    id: str = Field(description="The channel config id (`chanconfig_…`).")
    channel_type: ChannelType = Field(description="The channel.")
    voip_endpoint: str | None = Field(
        None, description="VoIP only: the provisioned phone webhook (not yet provisioned here: null)."
    )
    created: int = Field(description="When the channel was first configured (unix seconds).")


class ChannelConfigRecord(ChannelConfigFields):
    """The stored channel config: partition = project id, id (row) = ``agentId.channelType``."""

    id: str
    config_id: str
    agent_id: str
    channel_type: ChannelType
    voip_endpoint: str | None = None
    created: int

    def to_wire(self) -> ChannelConfig:
        data = self.model_dump(exclude={"id", "config_id", "agent_id"})
        return ChannelConfig.model_validate({**data, "id": self.config_id}, by_name=True)


def channel_row(agent_id: str, channel_type: str) -> str:
    return f"{agent_id}.{channel_type}"
