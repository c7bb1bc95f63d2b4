"""Open a session: ``POST /public/agents/{agentId}/connections`` (an agent on a channel) and the legacy
per-session ``POST /public/ws-connections`` (websocket) and ``POST /public/connections`` (webrtc), whose
body carries the whole agent configuration and which store nothing beyond the session.

Published answer (docs: "Connections"): ``201 {"token": "...", "connection": {"id": "..."}}``; the token
(base64 of JSON) is built in ``shared.sessions.client_token``. A ``webrtc`` session is the same Web PubSub
socket as a ``websocket`` one (no media passes through the app); its token adds what the Web SDK needs,
with the Speech avatar's credentials minted here when the deployment has a Speech resource.
"""

from __future__ import annotations

from typing import Any, Literal

import azure.durable_functions as df
from pydantic import BaseModel, ConfigDict, Field

from api.agent_phone import check_outbound_connection, place_outbound_call
from api.endpoint import Reply, RequestContext, endpoint, parse_model
from shared.agents.models import (
    AgentFields,
    AgentRecord,
    ChannelConfigRecord,
    Disclaimer,
    Inactivity,
    ProviderSettings,
)
from shared.agents.rules import check_agent, for_channel
from shared.api_errors import invalid_field
from shared.billing.enforcement import refuse_unpaid_connection
from shared.catalog.references import load, missing_references
from shared.catalog.tables import AGENTS, CHANNEL_CONFIGS
from shared.companions.store import find_companion
from shared.phone.dialing import OutboundRequest
from shared.platform import Platform, get_platform
from shared.sessions.client_token import (
    WEBRTC_TOKEN_DESCRIPTION,
    app_base_url,
    encode,
    webrtc_token,
    websocket_token,
)
from shared.sessions.configuration import session_speech
from shared.sessions.opening import SessionKey, SessionOpening, open_session
from shared.speech_avatar import SpeechAvatarCredentials, mint_speech_avatar
from shared.storage import NotFound
from shared.voices import is_known_voice

bp = df.Blueprint()

TAG = "Connections"
AVAILABLE_CHANNELS = ("websocket", "webrtc")
DEFAULT_VOICE = "alloy"  # per-session connections may leave the voice out


class ConnectionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channelType: Literal["websocket", "webrtc", "sip", "voip"] = Field(
        description="The channel of the session."
    )
    externalClientId: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_-]{1,32}$", description="Your id of the end user (memory follows it)."
    )
    externalClientProfile: dict[str, Any] | None = Field(None, description="What you know of the end user.")
    tags: dict[str, str] | None = Field(None, description="Labels kept on the session.")
    modality: Literal["text", "audio"] | None = Field(
        None, description="`text`: the agent does not speak (no `audio_received`), even if its provider can."
    )
    initialSpeech: str | None = Field(
        None,
        max_length=2000,
        description="How the agent opens the session before the user speaks: an instruction it follows in "
        "its own words (e.g. `Greet the user and ask what they need`), not a line read out.",
    )
    destination: str | None = Field(
        None,
        description="`sip` only: the number the agent calls (`+` and 7 to 15 digits, or up to 15 digits), "
        "from a number bound in its SIP channel config.",
    )
    inactivity: Inactivity | None = Field(
        None,
        description="Extension: this session's inactivity timeout and warning countdown instead of the "
        "agent's (e.g. the Playground's advanced settings); `countdownSeconds` < `timeoutSeconds`.",
    )
    disclaimer: Disclaimer | None = Field(
        None, description="Extension: this session's disclaimer over the avatar instead of the agent's."
    )


class ConnectionId(BaseModel):
    id: str = Field(description="The connection id; the session has the same id.")


class Connection(BaseModel):
    token: str = Field(description="Base64 of JSON: what the channel's client needs to connect.")
    connection: ConnectionId = Field(description="The connection (session) created.")


@endpoint(
    bp,
    "POST",
    "public/agents/{agentId}/connections",
    summary="Connect to an agent",
    tag=TAG,
    auth="api_key",
    body=ConnectionRequest,
    response=Connection,
    status=201,
    errors=(402, 404, 409, 502, 503),
    rate_limit_bucket="connections",
    durable_client=True,
    description="Starts a session of the agent on `channelType` (this version: `websocket` and `webrtc`; "
    "`voip` answers 400; `sip` with `destination` is an outbound call: the agent calls the number from "
    "a number bound in its SIP channel config and speaks `initialSpeech` when the callee answers; its "
    "token is base64 of JSON `{connection, destination, callerId, callConnectionId}`; 503 "
    "`PhoneChannelUnavailable` without ACS, 502 `OutboundCallFailed` when ACS does not place it). "
    "The token is base64 of JSON `{url, authToken, token, connection, "
    "expiresAt}`: open a WebSocket to `url` (or to `url` without its query, with `Authorization: Bearer "
    "<authToken>`) and exchange JSON text frames (the live protocol, `/public/asyncapi.json`). "
    + WEBRTC_TOKEN_DESCRIPTION
    + " The agent's config of the channel (`/public/agents/{agentId}/channels/{channelType}`) applies. "
    "At most 1 request per 5 seconds per key, and (by default) 5 live sessions per transport per "
    "organization, `webrtc` and `websocket` counted apart: 409 `ConcurrentSessionLimitReached` (a session "
    "counts from creation until it ends).",
)
def create_connection(ctx: RequestContext) -> Reply:
    refuse_unpaid_connection(get_platform(), ctx.api_key.organization_id)
    body = ctx.body(ConnectionRequest)
    outbound = check_outbound_connection(ctx, ctx.route("agentId"), body.channelType, body.destination)
    if outbound is not None:  # sip: the agent calls the destination
        dialled = OutboundRequest(
            body.externalClientId, body.externalClientProfile, body.tags, body.initialSpeech
        )
        placed = place_outbound_call(ctx, ctx.route("agentId"), outbound, dialled)
        connection = ConnectionId(id=placed.session_id)
        return Reply(Connection(token=encode(placed.token(outbound)), connection=connection), status=201)
    _refuse_unavailable(body.channelType)
    platform, project_id = get_platform(), ctx.api_key.project_id
    agent = load(platform.repository(AGENTS, AgentRecord), project_id, ctx.route("agentId"), "Agent").entity
    channel = _channel_config(platform, project_id, agent.id, body.channelType)
    if channel is None:
        return _open_session(ctx, body, agent, agent_id=agent.id)
    # The channel's overrides travel with the session (as a per-session connection's agent does).
    opening = body.initialSpeech or channel.initial_speech
    request = body.model_copy(update={"initialSpeech": opening})
    merged = for_channel(agent, channel)
    return _open_session(ctx, request, merged, agent_id=agent.id, inline=True, channel=channel)


def _channel_config(
    platform: Platform, project_id: str, agent_id: str, channel_type: str
) -> ChannelConfigRecord | None:
    """The agent's config of this channel (``PUT /public/agents/{id}/channels/{type}``), if any."""
    try:
        return (
            platform.repository(CHANNEL_CONFIGS, ChannelConfigRecord)
            .get(project_id, f"{agent_id}.{channel_type}")
            .entity
        )
    except NotFound:
        return None


class ProviderConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    voiceId: str | None = Field(None, description="A voice of the key's provider, e.g. `alloy`.")
    settings: ProviderSettings | None = Field(
        None, description="Model settings (as an agent's `providerSettings`)."
    )


class PerSessionConnectionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    companionId: str = Field(min_length=1, description="The companion (persona).")
    providerConfig: ProviderConfig | None = Field(None, description="Voice and model settings.")
    functions: list[str] = Field(default_factory=list, description="Function (tool) ids.")
    faqCollections: list[str] = Field(default_factory=list, description="FAQ collection ids.")
    knowledgeBaseId: str | None = Field(None, description="The knowledge collection.")
    language: str | None = Field(None, description="ISO 639-1 code (`en`) or English name.")
    externalClientId: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_-]{1,32}$", description="Your id of the end user."
    )
    tags: dict[str, str] | None = Field(None, description="Labels kept on the session.")
    externalClientProfile: dict[str, Any] | None = Field(None, description="What you know of the end user.")
    modality: Literal["text", "audio"] | None = Field(
        None, description="`text`: the agent does not speak (no `audio_received`), even if its provider can."
    )


@endpoint(
    bp,
    "POST",
    "public/ws-connections",
    summary="Connect a per-session WebSocket agent",
    tag=TAG,
    auth="api_key",
    body=PerSessionConnectionRequest,
    response=Connection,
    status=201,
    errors=(402, 409),
    rate_limit_bucket="connections",
    durable_client=True,
    description="Legacy per-session connection: the whole configuration in the request, nothing stored "
    "beyond the session (docs: migrations, 'From Per-Session Connections to Omniagent'). Answers as "
    "`POST /public/agents/{agentId}/connections` with `channelType: websocket` (the same limits).",
)
def create_per_session_connection(ctx: RequestContext) -> Reply:
    return _open_per_session(ctx, "websocket")


@endpoint(
    bp,
    "POST",
    "public/connections",
    summary="Connect a per-session WebRTC agent",
    tag=TAG,
    auth="api_key",
    body=PerSessionConnectionRequest,
    response=Connection,
    status=201,
    errors=(402, 409, 503),
    rate_limit_bucket="connections",
    durable_client=True,
    description="Legacy per-session connection for the browser (the Web SDK): the whole configuration in "
    "the request, nothing stored beyond the session (docs: migrations, 'From Per-Session Connections to "
    "Omniagent'). Answers as `POST /public/agents/{agentId}/connections` with `channelType: webrtc` (the "
    "same token and limits; no channel config applies). " + WEBRTC_TOKEN_DESCRIPTION,
)
def create_per_session_webrtc_connection(ctx: RequestContext) -> Reply:
    return _open_per_session(ctx, "webrtc")


def _open_per_session(ctx: RequestContext, channel_type: Literal["websocket", "webrtc"]) -> Reply:
    """A per-session connection: the body is checked as an agent would be, then opened as one."""
    refuse_unpaid_connection(get_platform(), ctx.api_key.organization_id)
    body = ctx.body(PerSessionConnectionRequest)
    provider = body.providerConfig or ProviderConfig.model_validate({})
    fields = parse_model(
        AgentFields,
        {
            "companionId": body.companionId,
            "voiceId": provider.voiceId or DEFAULT_VOICE,
            "language": body.language,
            "functions": body.functions,
            "faqCollections": body.faqCollections,
            "knowledgeBaseId": body.knowledgeBaseId,
            "providerSettings": provider.settings.model_dump(by_alias=True, exclude_none=True)
            if provider.settings
            else {},
        },
    )
    tables, project_id = get_platform().tables, ctx.api_key.project_id
    check_agent(
        fields,
        ctx.api_key.provider_type,
        is_known_voice,
        lambda references: missing_references(tables, project_id, references),
    )
    request = ConnectionRequest.model_validate(
        {
            "channelType": channel_type,
            "externalClientId": body.externalClientId,
            "externalClientProfile": body.externalClientProfile,
            "tags": body.tags,
            "modality": body.modality,
        }
    )
    return _open_session(ctx, request, fields, agent_id=None)


def _can_speak(platform: Platform, project_id: str, key_id: str) -> bool:
    """Sessions speak (``audio_received``) when the key's provider has speech; the embedded model has none."""
    speech = session_speech(platform, project_id, key_id)
    return speech is not None and speech.can_synthesize


def _refuse_unavailable(channel_type: str) -> None:
    if channel_type not in AVAILABLE_CHANNELS:
        raise invalid_field("channelType", f"this version connects {', '.join(AVAILABLE_CHANNELS)} only")


def _with_session_overrides(agent: AgentFields, body: ConnectionRequest) -> AgentFields:
    """The agent as this session runs it: the request's inactivity and disclaimer replace the agent's."""
    if body.inactivity is not None and body.inactivity.countdown_seconds >= body.inactivity.timeout_seconds:
        raise invalid_field(
            "inactivity.countdownSeconds",
            f"must be less than inactivity.timeoutSeconds ({body.inactivity.timeout_seconds})",
        )
    overrides = {"inactivity": body.inactivity, "disclaimer": body.disclaimer}
    chosen = {name: value for name, value in overrides.items() if value is not None}
    return agent.model_copy(update=chosen) if chosen else agent


def _open_session(
    ctx: RequestContext,
    body: ConnectionRequest,
    agent: AgentFields,
    agent_id: str | None,
    inline: bool = False,
    channel: ChannelConfigRecord | None = None,
) -> Reply:
    """A session within the organization's concurrency limit (``shared.sessions.opening``), answered
    with the channel's token."""
    platform, key = get_platform(), ctx.api_key
    agent = _with_session_overrides(agent, body)  # before the seat is claimed: a refusal writes nothing
    speaks = body.modality != "text" and _can_speak(platform, key.project_id, key.key_id)
    opening = SessionOpening(
        channel_type=body.channelType,
        speaks=speaks,
        external_client_id=body.externalClientId,
        external_client_profile=body.externalClientProfile,
        tags=body.tags or {},
        initial_speech=body.initialSpeech,
    )

    def token_for(session_id: str) -> dict[str, Any]:
        # Before anything is written: a Speech service that fails refuses the connection with nothing
        # to undo.
        speech_avatar = _speech_avatar(platform) if body.channelType == "webrtc" else None
        token = websocket_token(platform.session_connection.client_token(session_id), session_id)
        if body.channelType != "webrtc":
            return token
        return webrtc_token(
            token,
            session_id=session_id,
            modality="audio" if speaks else "text",
            agent=agent,
            companion=find_companion(key.project_id, agent.companion_id),
            channel=channel,
            app_base_url=app_base_url(ctx.request.url),
            speech_avatar=speech_avatar,
        )

    assert ctx.durable is not None
    session_key = SessionKey(key.organization_id, key.project_id, key.key_id, key.provider_type)
    inline = inline or not agent_id
    session_id, token = open_session(
        platform, session_key, opening, agent, agent_id, inline, ctx.durable.start_new, token_for
    )
    return Reply(Connection(token=encode(token), connection=ConnectionId(id=session_id)), status=201)


def _speech_avatar(platform: Platform) -> SpeechAvatarCredentials | None:
    """The Speech avatar's credentials when the deployment has a Speech resource, else None."""
    settings = platform.settings.speech_avatar
    return mint_speech_avatar(settings) if settings else None
