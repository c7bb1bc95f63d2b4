"""Credentials for Azure AI Speech's real-time text-to-speech avatar, minted per ``webrtc`` connection.

The avatar's video is WebRTC between Azure and the browser (the Speech SDK's ``AvatarSynthesizer``); the
app never carries media. It only mints what the browser needs and must not hold the key for:

- a Speech auth token: ``POST {base}/sts/v1.0/issueToken`` with ``Ocp-Apim-Subscription-Key``, answering
  the token as text (valid 10 minutes; the SDK takes it with the region);
- the avatar's ICE relay credentials: ``GET .../cognitiveservices/avatar/relay/token/v1`` with the same
  header, answering ``{"Urls": [...], "Username": "...", "Password": "..."}`` (a TURN relay).

With the managed identity instead of a key (``SpeechAvatarSettings.key`` unset), the Entra token of
``https://cognitiveservices.azure.com/.default`` authenticates both as ``aad#<resourceId>#<token>``
(``Authorization: Bearer`` on the relay; the SDK takes the same string as its auth token).

A failure of the Speech service is ``SpeechAvatarUnavailable`` (503, the published error body): the
connection is refused before anything is recorded and its seat is released, because a deployment that
offers the Speech avatar would otherwise hand out sessions whose avatar cannot start. The key, the
tokens and the service's answer bodies are never logged or quoted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx2

from shared.api_errors import ApiError, ErrorKind
from shared.settings import SpeechAvatarSettings

ENTRA_SCOPE = "https://cognitiveservices.azure.com/.default"
TIMEOUT = httpx2.Timeout(10.0, connect=5.0)
ATTEMPTS = 2  # a connection waits on this: one more try for a dropped connection or a 5xx, no more
RETRY_AFTER_SECONDS = 5  # the connection endpoints' published pace (1 request per 5 seconds)


class SpeechAvatarUnavailable(ApiError):
    def __init__(self, what: str) -> None:
        super().__init__(
            503,
            "SpeechAvatarUnavailable",
            f"The Speech avatar service could not be reached ({what}); no session was started. "
            "Try again shortly.",
            ErrorKind.FAILURE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


@dataclass(frozen=True)
class SpeechAvatarCredentials:
    region: str
    endpoint: str
    auth_token: str
    ice_servers: list[dict[str, Any]]
    character: str
    style: str
    voice: str

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "endpoint": self.endpoint,
            "authToken": self.auth_token,
            "iceServers": self.ice_servers,
            "character": self.character,
            "style": self.style,
            "voice": self.voice,
        }


def _managed_identity_token() -> str:
    from azure.identity import DefaultAzureCredential  # only deployments without a key load it

    return DefaultAzureCredential().get_token(ENTRA_SCOPE).token


def mint_speech_avatar(
    settings: SpeechAvatarSettings,
    client: httpx2.Client | None = None,
    entra_token: Callable[[], str] = _managed_identity_token,
) -> SpeechAvatarCredentials:
    """A Speech auth token and the relay's ICE servers, or ``SpeechAvatarUnavailable``."""
    if settings.key:
        headers = {"Ocp-Apim-Subscription-Key": settings.key}
        sdk_token = None
    else:
        try:
            sdk_token = f"aad#{settings.resource_id}#{entra_token()}"
        except Exception:  # azure-identity's errors name the credential chain, not a secret; still unquoted
            raise SpeechAvatarUnavailable("the managed identity got no token") from None
        headers = {"Authorization": f"Bearer {sdk_token}"}
    owned = client is None
    http = client or httpx2.Client(timeout=TIMEOUT)
    try:
        auth_token = sdk_token or _call(http, "POST", settings.issue_token_url, headers, "auth token").text
        relay = _call(http, "GET", settings.relay_token_url, headers, "relay token")
        ice_servers = _ice_servers(relay)
    finally:
        if owned:
            http.close()
    if not auth_token.strip():
        raise SpeechAvatarUnavailable("the auth token was empty")
    return SpeechAvatarCredentials(
        region=settings.region,
        endpoint=settings.token_base,
        auth_token=auth_token.strip(),
        ice_servers=ice_servers,
        character=settings.character,
        style=settings.style,
        voice=settings.voice,
    )


def _call(http: httpx2.Client, method: str, url: str, headers: dict[str, str], what: str) -> httpx2.Response:
    for attempt in range(ATTEMPTS):
        try:
            response = http.request(method, url, headers=headers)
        except httpx2.HTTPError:
            if attempt + 1 < ATTEMPTS:
                continue
            raise SpeechAvatarUnavailable(f"the {what} request failed to connect") from None
        if response.status_code >= 500 and attempt + 1 < ATTEMPTS:
            continue
        if response.status_code != 200:
            raise SpeechAvatarUnavailable(f"the {what} request answered {response.status_code}")
        return response
    raise AssertionError("unreachable")  # pragma: no cover


def _ice_servers(response: httpx2.Response) -> list[dict[str, Any]]:
    """The relay's answer as ``RTCPeerConnection`` ``iceServers``."""
    try:
        relay = response.json()
        urls, username, password = relay["Urls"], relay["Username"], relay["Password"]
    except (ValueError, KeyError, TypeError):
        raise SpeechAvatarUnavailable("the relay token answer was not {Urls, Username, Password}") from None
    if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
        raise SpeechAvatarUnavailable("the relay token answer had no URLs")
    if not isinstance(username, str) or not isinstance(password, str):
        raise SpeechAvatarUnavailable("the relay token answer had no username or password")
    return [{"urls": urls, "username": username, "credential": password}]
