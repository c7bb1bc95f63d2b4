"""The connection token a channel's client gets (``POST .../connections`` answers it base64-encoded).

``websocket``: both published forms in one JSON object (docs: "Connections"): ``{url, authToken}``
(connect to ``url`` without its query, with ``Authorization: Bearer <authToken>``) and
``{url (token embedded), token, connection, expiresAt}``.

``webrtc``: the same socket (the browser opens ``new WebSocket(url)`` and speaks the live protocol over
it: no media passes through the app) plus what the Web SDK draws and enforces: the companion's avatar
images and default view, the channel config's ``videoPolicy`` and ``useGreenVideo``, the agent's
disclaimer and inactivity settings, the session's modality and, when the deployment has an Azure AI
Speech resource, the Speech avatar's credentials (``shared.speech_avatar``; else null).
"""

from __future__ import annotations

import base64
import json
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from shared.agents.models import AgentFields, ChannelConfigFields
from shared.companions.avatar_urls import avatar_urls
from shared.companions.models import DEFAULT_VIEW, CompanionRecord
from shared.speech_avatar import SpeechAvatarCredentials

DEFAULT_VIDEO_POLICY: Literal["required", "deferred"] = "required"  # published: video starts with the session

# The connection endpoints' words on the webrtc token (their OpenAPI descriptions).
WEBRTC_TOKEN_DESCRIPTION = (
    "For `webrtc` the token adds what the Web SDK needs (the audio still goes over that WebSocket as "
    "base64 PCM16 16 kHz; the avatar is drawn in the browser): `channelType: webrtc`, `sessionId`, "
    "`modality` (`audio` or `text`), `companion {id, name, avatarUrl, silhouetteUrl (PNG with alpha or "
    "null), defaultView}`, `view` (= the companion's `defaultView`: `round`, `rectangle` or `silhouette`), "
    "`videoPolicy` (`required` or `deferred`, from the webrtc channel config, default `required`), "
    "`useGreenVideo` (channel config, default false), `disclaimer {enabled, text}` and `inactivity "
    "{enabled, timeoutSeconds, countdownSeconds}` (from the agent), and `speechAvatar`: null, or where the "
    "deployment has an Azure AI Speech resource `{region, endpoint, authToken (valid 10 minutes), "
    "iceServers [{urls, username, credential}], character, style, voice}` for Azure's real-time avatar "
    "(its video is WebRTC from Azure straight to the browser). 503 `SpeechAvatarUnavailable` when the "
    "Speech service cannot issue them (nothing is started; retry after `Retry-After`)."
)


class TokenModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class TokenCompanion(TokenModel):
    id: str = Field(description="The companion id.")
    name: str = Field(description="The companion's first and last name (its id when it has neither).")
    avatar_url: str | None = Field(
        description="The avatar image, readable cross-origin (a short-lived read URL, or app-served)."
    )
    silhouette_url: str | None = Field(
        description="The person cut out of the image (PNG with alpha), or null."
    )
    default_view: Literal["round", "rectangle", "silhouette"] = Field(description="The companion's view.")


class TokenDisclaimer(TokenModel):
    enabled: bool
    text: str


class TokenInactivity(TokenModel):
    enabled: bool = Field(description="False when the agent has `disableIdleTimeout`.")
    timeout_seconds: int
    countdown_seconds: int


class WebrtcClientToken(TokenModel):
    """The decoded ``webrtc`` token (documented in the connection endpoints' descriptions)."""

    url: str
    auth_token: str
    token: str
    connection: dict[str, str]
    expires_at: str
    channel_type: Literal["webrtc"] = "webrtc"
    session_id: str
    modality: Literal["audio", "text"]
    companion: TokenCompanion
    view: Literal["round", "rectangle", "silhouette"]
    video_policy: Literal["required", "deferred"]
    use_green_video: bool
    disclaimer: TokenDisclaimer
    inactivity: TokenInactivity
    speech_avatar: dict[str, Any] | None


def websocket_token(access: dict[str, str], session_id: str) -> dict[str, Any]:
    """``access``: the session connection's client token (``{url, token, expiresAt}``)."""
    return {
        "url": access["url"],
        "authToken": access["token"],
        "token": access["token"],
        "connection": {"id": session_id},
        "expiresAt": access["expiresAt"],
    }


def webrtc_token(
    websocket: dict[str, Any],
    *,
    session_id: str,
    modality: Literal["audio", "text"],
    agent: AgentFields,
    companion: CompanionRecord | None,
    channel: ChannelConfigFields | None,
    app_base_url: str,
    speech_avatar: SpeechAvatarCredentials | None,
) -> dict[str, Any]:
    """The websocket token plus what the Web SDK needs; ``companion`` None: it could not be found (the
    agent's companion id is kept, without images)."""
    view = _view(companion.default_view if companion else DEFAULT_VIEW)
    urls = avatar_urls(companion, app_base_url) if companion else None
    token = WebrtcClientToken(
        url=websocket["url"],
        auth_token=websocket["authToken"],
        token=websocket["token"],
        connection=websocket["connection"],
        expires_at=websocket["expiresAt"],
        session_id=session_id,
        modality=modality,
        companion=TokenCompanion(
            id=agent.companion_id,
            name=_name(companion) or agent.companion_id,
            avatar_url=urls.image_url if urls else None,
            silhouette_url=urls.silhouette_url if urls else None,
            default_view=view,
        ),
        view=view,
        video_policy=(channel.video_policy if channel else None) or DEFAULT_VIDEO_POLICY,
        use_green_video=bool(channel and channel.use_green_video),
        disclaimer=TokenDisclaimer(enabled=agent.disclaimer.enabled, text=agent.disclaimer.text),
        inactivity=TokenInactivity(
            enabled=not agent.disable_idle_timeout,
            timeout_seconds=agent.inactivity.timeout_seconds,
            countdown_seconds=agent.inactivity.countdown_seconds,
        ),
        speech_avatar=speech_avatar.to_json() if speech_avatar else None,
    )
    return token.model_dump(mode="json", by_alias=True)


def encode(token: dict[str, Any]) -> str:
    """Base64 of the token's JSON (UTF-8), as the published answer carries it."""
    return base64.b64encode(json.dumps(token, ensure_ascii=False).encode("utf-8")).decode("ascii")


def app_base_url(request_url: str) -> str:
    """The app's origin as the caller reached it (stock avatar images are served from it)."""
    parts = urlsplit(request_url)
    return f"{parts.scheme}://{parts.netloc}"


def _name(companion: CompanionRecord | None) -> str:
    if companion is None:
        return ""
    return " ".join(part for part in (companion.first_name, companion.last_name) if part).strip()


def _view(value: str) -> Literal["round", "rectangle", "silhouette"]:
    """The stored default view (validated when set; anything else reads as the default)."""
    if value == "round":
        return "round"
    if value == "silhouette":
        return "silhouette"
    return "rectangle"
