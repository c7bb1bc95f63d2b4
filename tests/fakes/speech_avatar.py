"""A loopback stand-in of Azure AI Speech's two token endpoints that the real-time avatar needs, at the
paths of a custom-domain / private endpoint (``OMNI_SPEECH_AVATAR_ENDPOINT``):

- ``POST /sts/v1.0/issueToken`` with ``Ocp-Apim-Subscription-Key``: the auth token as text;
- ``GET /tts/cognitiveservices/avatar/relay/token/v1`` with the same header:
  ``{"Urls": [...], "Username": "...", "Password": "..."}``.

A wrong or missing key answers 401 (as Azure does); ``entra_bearer`` (the managed identity's
``aad#<resourceId>#<token>``) is accepted instead of the key as ``Authorization: Bearer``.
``fail_with(status)`` makes every call answer that status, ``relay_answer`` replaces the relay's JSON.
``calls`` records (method, path, key header) of every request.
"""

from __future__ import annotations

from aiohttp import web

from tests.fakes.loopback import LoopbackServer

ISSUE_TOKEN_PATH = "/sts/v1.0/issueToken"
RELAY_TOKEN_PATH = "/tts/cognitiveservices/avatar/relay/token/v1"
RELAY_URLS = ["turn:relay.communication.example:3478"]


class FakeSpeechAvatar(LoopbackServer):
    thread_name = "fake-speech-avatar"

    def __init__(self, key: str, entra_bearer: str | None = None) -> None:
        super().__init__()
        self.key = key
        self.entra_bearer = entra_bearer
        self.relay_answer: object | None = None
        self.calls: list[tuple[str, str, str | None]] = []
        self.issued_tokens: list[str] = []
        self.issued_passwords: list[str] = []
        self._failure: int | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_with(self, status: int | None) -> None:
        self._failure = status

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(ISSUE_TOKEN_PATH, self._issue_token)
        app.router.add_get(RELAY_TOKEN_PATH, self._relay_token)

    def _refusal(self, request: web.Request) -> web.Response | None:
        key = request.headers.get("Ocp-Apim-Subscription-Key")
        self.calls.append((request.method, request.path, key))
        if self._failure is not None:
            return web.Response(status=self._failure, text="the service is having a bad day")
        bearer = request.headers.get("Authorization")
        if self.entra_bearer and bearer == f"Bearer {self.entra_bearer}":
            return None
        if key != self.key:
            return web.json_response(
                {"error": {"code": "401", "message": "Access denied due to invalid subscription key."}},
                status=401,
            )
        return None

    async def _issue_token(self, request: web.Request) -> web.Response:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        token = f"eyJ.speech-token-{len(self.issued_tokens) + 1}.sig"
        self.issued_tokens.append(token)
        return web.Response(text=token, content_type="text/plain")

    async def _relay_token(self, request: web.Request) -> web.Response:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        if self.relay_answer is not None:
            return web.json_response(self.relay_answer)
        password = f"relay-password-{len(self.issued_passwords) + 1}"
        self.issued_passwords.append(password)
        return web.json_response({"Urls": RELAY_URLS, "Username": "relay-user", "Password": password})
