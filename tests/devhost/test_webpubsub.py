"""The Web PubSub stand-in of devhost, driven as a client and an app would drive Azure Web PubSub.

Plain WebSocket clients (aiohttp) connect with what the app's negotiate route answers; the sample app
(tests/devhost/apps/webpubsub_echo) is the hub's event handler and records what it receives; the
server SDK (azure-messaging-webpubsubservice) is used from the test as a second server would use it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
import jwt
import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError, ResourceNotFoundError
from azure.messaging.webpubsubservice import WebPubSubServiceClient

from tests.devhost.helpers import APPS_DIR, DevHost

ECHO_APP = APPS_DIR / "webpubsub_echo"
HUB = "omniagent"
KEY_FILE = "webpubsub-access-key"
WAIT_S = 10.0


@dataclass
class PubSubHost:
    host: DevHost

    @property
    def key(self) -> str:
        return (self.host.data_dir / KEY_FILE).read_text().strip()

    @property
    def connection_string(self) -> str:
        return f"Endpoint={self.host.base_url};AccessKey={self.key};Version=1.0;"

    def service(self, hub: str = HUB, key: str | None = None) -> WebPubSubServiceClient:
        connection_string = f"Endpoint={self.host.base_url};AccessKey={key or self.key};Version=1.0;"
        return WebPubSubServiceClient.from_connection_string(connection_string, hub=hub)

    def negotiate(self, user_id: str, groups: list[str] | None = None) -> dict[str, str]:
        response = requests.post(
            self.host.url("/api/negotiate"), json={"userId": user_id, "groups": groups or []}, timeout=10
        )
        assert response.status_code == 200, response.text
        return response.json()

    def received(self) -> list[dict[str, Any]]:
        response = requests.get(self.host.url("/api/events"), timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def wait_for(self, predicate: Callable[[list[dict[str, Any]]], bool], what: str) -> list[dict[str, Any]]:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            received = self.received()
            if predicate(received):
                return received
            time.sleep(0.05)
        raise AssertionError(
            f"timed out waiting for {what}; received: {self.received()}\n{self.host.output()}"
        )

    def events_of_user(self, user_id: str) -> list[dict[str, Any]]:
        return [e for e in self.received() if e["headers"].get("ce-userid") == user_id]

    def connection_id(self, user_id: str) -> str:
        received = self.wait_for(
            lambda r: any(_is(e, "connected") and e["headers"].get("ce-userid") == user_id for e in r),
            f"the connected event of {user_id}",
        )
        return next(
            e["headers"]["ce-connectionid"]
            for e in received
            if _is(e, "connected") and e["headers"].get("ce-userid") == user_id
        )

    def events_of(self, connection_id: str) -> list[dict[str, Any]]:
        return [e for e in self.received() if e["headers"].get("ce-connectionid") == connection_id]

    def wait_disconnected(self, connection_id: str) -> list[dict[str, Any]]:
        self.wait_for(
            lambda r: any(
                _is(e, "disconnected") and e["headers"]["ce-connectionid"] == connection_id for e in r
            ),
            f"the disconnected event of {connection_id}",
        )
        return self.events_of(connection_id)


def _is(event: dict[str, Any], name: str) -> bool:
    return event["method"] == "POST" and event["headers"].get("ce-eventname") == name


def _start(tmp_path_factory: pytest.TempPathFactory, name: str, **environment: str) -> DevHost:
    root = tmp_path_factory.mktemp(name)
    host = DevHost(
        app_dir=ECHO_APP,
        data_dir=root / "data",
        log_dir=root / "logs",
        environment={"WEBPUBSUB_CONNECTION_STRING": "devhost", **environment},
    )
    host.start()
    return host


@pytest.fixture(scope="module")
def echo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PubSubHost]:
    host = _start(tmp_path_factory, "webpubsub-echo")
    try:
        yield PubSubHost(host)
    finally:
        host.stop()


@pytest.fixture(scope="module")
def closed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PubSubHost]:
    """The same app, with the handler whose abuse protection allows another origin only."""
    host = _start(
        tmp_path_factory, "webpubsub-closed", WEBPUBSUB_EVENT_HANDLER_PATH="/runtime/webpubsub-closed/{hub}"
    )
    try:
        yield PubSubHost(host)
    finally:
        host.stop()


def run(coroutine: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coroutine, 60))


async def receive(ws: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    return await asyncio.wait_for(ws.receive(), WAIT_S)


async def receive_text(ws: aiohttp.ClientWebSocketResponse) -> str:
    message = await receive(ws)
    assert message.type == aiohttp.WSMsgType.TEXT, message
    return str(message.data)


async def receive_bytes(ws: aiohttp.ClientWebSocketResponse) -> bytes:
    message = await receive(ws)
    assert message.type == aiohttp.WSMsgType.BINARY, message
    return bytes(message.data)


def new_user() -> str:
    return f"user-{uuid.uuid4().hex[:10]}"


def client_token(key: str, audience: str, user_id: str, expires_in: int = 3600) -> str:
    now = int(time.time())
    return jwt.encode(
        {"aud": audience, "sub": user_id, "iat": now, "exp": now + expires_in}, key, algorithm="HS256"
    )


# -- clients ------------------------------------------------------------------------------------


def test_plain_client_gets_echo_through_sdk_and_response_body(echo: PubSubHost) -> None:
    negotiated = echo.negotiate(new_user())
    assert negotiated["baseUrl"] == f"ws://127.0.0.1:{echo.host.port}/client/hubs/{HUB}"
    assert negotiated["url"] == f"{negotiated['baseUrl']}?access_token={negotiated['token']}"

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session, session.ws_connect(negotiated["url"]) as ws:
            await ws.send_str("hello")
            assert await receive_text(ws) == "echo:hello"  # the app's send_to_connection
            assert await receive_text(ws) == "reply:hello"  # the body of the app's answer
            await ws.send_bytes(b"\x00\xffdata")
            assert await receive_bytes(ws) == b"echo:\x00\xffdata"
            assert await receive_bytes(ws) == b"reply:\x00\xffdata"

    run(scenario())


def test_bearer_header_carries_the_token(echo: PubSubHost) -> None:
    negotiated = echo.negotiate(new_user())

    async def scenario() -> None:
        headers = {"Authorization": f"Bearer {negotiated['token']}"}
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(negotiated["baseUrl"], headers=headers) as ws,
        ):
            await ws.send_str("via header")
            assert await receive_text(ws) == "echo:via header"
            assert await receive_text(ws) == "reply:via header"

    run(scenario())


def test_forged_expired_and_wrong_hub_tokens_are_refused_before_upgrade(echo: PubSubHost) -> None:
    base = f"ws://127.0.0.1:{echo.host.port}/client/hubs/{HUB}"
    audience = f"http://127.0.0.1:{echo.host.port}/client/hubs/{HUB}"
    users = {name: new_user() for name in ("forged", "expired", "wrong-hub", "other-hub-url")}
    attempts = {
        "forged": f"{base}?access_token={client_token('not-the-key-' * 4, audience, users['forged'])}",
        "expired": f"{base}?access_token="
        + client_token(echo.key, audience, users["expired"], expires_in=-600),
        "wrong-hub": f"{base}?access_token="
        + client_token(echo.key, audience.replace(HUB, "otherhub"), users["wrong-hub"]),
        "other-hub-url": base.replace(HUB, "otherhub")
        + f"?access_token={client_token(echo.key, audience, users['other-hub-url'])}",
        "missing": base,
    }

    async def scenario() -> dict[str, int]:
        statuses = {}
        async with aiohttp.ClientSession() as session:
            for name, url in attempts.items():
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await session.ws_connect(url)
                statuses[name] = refused.value.status
        return statuses

    assert run(scenario()) == dict.fromkeys(attempts, 401)
    # The connect event is synchronous: a refused client never reached the event handler.
    assert not [e for e in echo.received() if e["headers"].get("ce-userid") in users.values()]


def test_connect_handler_refusal_is_the_clients_answer(echo: PubSubHost) -> None:
    user = new_user()
    negotiated = echo.negotiate(user)

    async def scenario() -> int:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(negotiated["url"] + "&reject=1")
            return refused.value.status

    assert run(scenario()) == 401
    assert [e["headers"]["ce-eventname"] for e in echo.events_of_user(user)] == ["connect"]


# -- events -------------------------------------------------------------------------------------


def test_events_are_signed_complete_and_in_order(echo: PubSubHost) -> None:
    user = new_user()
    negotiated = echo.negotiate(user)

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(negotiated["url"] + "&probe=yes", headers={"X-Probe": "1"})
            for text in ("one", "two", "three"):
                await ws.send_str(text)
            replies = [await receive_text(ws) for _ in range(6)]
            assert replies == [f"{kind}:{t}" for t in ("one", "two", "three") for kind in ("echo", "reply")]
            await ws.close()

    run(scenario())
    connection_id = echo.connection_id(user)
    events = echo.wait_disconnected(connection_id)
    names = [e["headers"]["ce-eventname"] for e in events]
    assert names == ["connect", "connected", "message", "message", "message", "disconnected"]
    assert [e["body"] for e in events if _is(e, "message")] == ["one", "two", "three"]

    signature = "sha256=" + hmac.new(echo.key.encode(), connection_id.encode(), hashlib.sha256).hexdigest()
    ids = []
    for event in events:
        headers = event["headers"]
        name = headers["ce-eventname"]
        kind = "user" if name == "message" else "sys"
        assert headers["ce-specversion"] == "1.0"
        assert headers["ce-awpsversion"] == "1.0"
        assert headers["ce-type"] == f"azure.webpubsub.{kind}.{name}"
        assert headers["ce-source"] == f"/hubs/{HUB}/client/{connection_id}"
        assert headers["ce-hub"] == HUB
        assert headers["ce-userid"] == user
        assert headers["ce-signature"] == signature
        assert headers["webhook-request-origin"] == "127.0.0.1"
        datetime.fromisoformat(headers["ce-time"].replace("Z", "+00:00"))
        ids.append(int(headers["ce-id"]))
        assert event["url"].endswith(f"/runtime/webpubsub/{HUB}")
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    for event in events:
        expected = "text/plain" if _is(event, "message") else "application/json"
        assert event["headers"]["content-type"].split(";")[0] == expected

    connect = json.loads(events[0]["body"])
    assert connect["claims"]["sub"] == [user]
    assert connect["claims"]["aud"] == [f"http://127.0.0.1:{echo.host.port}/client/hubs/{HUB}"]
    assert connect["query"] == {"probe": ["yes"]}  # the access token is not passed on
    assert connect["headers"]["X-Probe"] == ["1"]
    assert connect["subprotocols"] == [] and connect["clientCertificates"] == []
    assert json.loads(events[1]["body"]) == {}
    assert json.loads(events[-1]["body"]) == {"reason": ""}

    # Abuse protection: one OPTIONS handshake for the handler, before its first event.
    validations = [e for e in echo.received() if e["method"] == "OPTIONS"]
    assert len(validations) == 1
    assert validations[0]["headers"]["webhook-request-origin"] == "127.0.0.1"
    assert echo.received()[0]["method"] == "OPTIONS"


def test_a_failed_message_answer_drops_the_connection(echo: PubSubHost) -> None:
    user = new_user()
    negotiated = echo.negotiate(user)

    async def scenario() -> int | None:
        async with aiohttp.ClientSession() as session, session.ws_connect(negotiated["url"]) as ws:
            await ws.send_str("fail")
            message = await receive(ws)
            assert message.type == aiohttp.WSMsgType.CLOSE, message
            return ws.close_code

    assert run(scenario()) == 1011
    events = echo.wait_disconnected(echo.connection_id(user))
    assert [e["headers"]["ce-eventname"] for e in events] == [
        "connect",
        "connected",
        "message",
        "disconnected",
    ]
    assert json.loads(events[-1]["body"])["reason"]


def test_handler_failing_abuse_protection_gets_no_events(closed: PubSubHost) -> None:
    negotiated = closed.negotiate(new_user())

    async def scenario() -> int:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(negotiated["url"])
            return refused.value.status

    assert run(scenario()) == 500
    received = closed.received()
    assert received and all(e["method"] == "OPTIONS" for e in received), received
    assert "abuse protection" in closed.host.output()


# -- the REST API through the SDK ---------------------------------------------------------------


def test_sdk_sends_to_all_users_groups_and_manages_membership(echo: PubSubHost) -> None:
    alice, bob = new_user(), new_user()
    room, lobby = f"room-{alice}", f"lobby-{bob}"
    service = echo.service()

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            ws_alice = await session.ws_connect(echo.negotiate(alice, groups=[room])["url"])
            ws_bob = await session.ws_connect(
                echo.negotiate(bob)["url"] + f"&group={lobby}"
            )  # joined by connect
            alice_id, bob_id = echo.connection_id(alice), echo.connection_id(bob)

            async def sdk(call: Callable[[], Any]) -> Any:
                return await asyncio.to_thread(call)

            async def marker(ws: aiohttp.ClientWebSocketResponse, connection_id: str) -> None:
                """A message straight to the connection: nothing else may arrive before it."""
                text = f"marker-{uuid.uuid4().hex[:6]}"
                await sdk(lambda: service.send_to_connection(connection_id, text, content_type="text/plain"))
                assert await receive_text(ws) == text

            # send_to_all reaches everyone in the hub (other tests' clients are closed by now).
            await sdk(lambda: service.send_to_all("to everyone", content_type="text/plain"))
            assert await receive_text(ws_alice) == "to everyone"
            assert await receive_text(ws_bob) == "to everyone"
            await sdk(lambda: service.send_to_all("not bob", content_type="text/plain", excluded=[bob_id]))
            assert await receive_text(ws_alice) == "not bob"
            await marker(ws_bob, bob_id)

            # send_to_user, JSON: the text of the JSON, in a text frame.
            await sdk(lambda: service.send_to_user(bob, {"hello": "bob"}))
            assert json.loads(await receive_text(ws_bob)) == {"hello": "bob"}
            await marker(ws_alice, alice_id)

            # send_to_group, binary: a group from the token, and one from the connect answer.
            await sdk(
                lambda: service.send_to_group(room, b"\x01room", content_type="application/octet-stream")
            )
            assert await receive_bytes(ws_alice) == b"\x01room"
            await marker(ws_bob, bob_id)
            await sdk(lambda: service.send_to_group(lobby, "lobby news", content_type="text/plain"))
            assert await receive_text(ws_bob) == "lobby news"
            await marker(ws_alice, alice_id)
            assert await sdk(lambda: service.group_exists(room))
            assert await sdk(lambda: service.group_exists(lobby))
            assert not await sdk(lambda: service.group_exists(f"nobody-{alice}"))

            # Connection membership.
            await sdk(lambda: service.add_connection_to_group(room, bob_id))
            await sdk(lambda: service.send_to_group(room, "room, with bob", content_type="text/plain"))
            assert await receive_text(ws_alice) == "room, with bob"
            assert await receive_text(ws_bob) == "room, with bob"
            members = await sdk(lambda: sorted(m.connection_id for m in service.list_connections(group=room)))
            assert members == sorted([alice_id, bob_id])
            await sdk(lambda: service.remove_connection_from_group(room, bob_id))
            await sdk(lambda: service.send_to_group(room, "room, bob left", content_type="text/plain"))
            assert await receive_text(ws_alice) == "room, bob left"
            await marker(ws_bob, bob_id)

            # User membership.
            await sdk(lambda: service.add_user_to_group(f"team-{alice}", alice))
            await sdk(lambda: service.send_to_group(f"team-{alice}", "team", content_type="text/plain"))
            assert await receive_text(ws_alice) == "team"
            await sdk(lambda: service.remove_user_from_group(f"team-{alice}", alice))
            assert not await sdk(lambda: service.group_exists(f"team-{alice}"))
            await sdk(lambda: service.remove_connection_from_all_groups(bob_id))
            assert not await sdk(lambda: service.group_exists(lobby))
            assert await sdk(lambda: service.user_exists(alice))
            assert not await sdk(lambda: service.user_exists(f"ghost-{alice}"))

            # close_connection: the client sees the close, the app a disconnected with the reason.
            assert await sdk(lambda: service.connection_exists(bob_id))
            await sdk(lambda: service.close_connection(bob_id, reason="bye bob"))
            assert not await sdk(lambda: service.connection_exists(bob_id))
            message = await receive(ws_bob)
            assert message.type == aiohttp.WSMsgType.CLOSE
            assert message.extra == "bye bob"
            await ws_bob.close()
            await ws_alice.close()

    run(scenario())
    bob_events = echo.wait_disconnected(echo.connection_id(bob))
    assert json.loads(bob_events[-1]["body"]) == {"reason": "bye bob"}
    echo.wait_disconnected(echo.connection_id(alice))


def test_unknown_connections_answer_as_the_service_does(echo: PubSubHost) -> None:
    service = echo.service()
    assert service.connection_exists("no-such-connection") is False
    service.send_to_connection(
        "no-such-connection", "lost", content_type="text/plain"
    )  # 202: fire and forget
    service.close_connection("no-such-connection", reason="none")  # 204
    with pytest.raises(ResourceNotFoundError):
        service.add_connection_to_group("g", "no-such-connection")
    with pytest.raises(ResourceNotFoundError):
        service.remove_connection_from_group("g", "no-such-connection")
    with pytest.raises(ResourceNotFoundError):
        service.add_user_to_group("g", "no-such-user")
    service.close_all_connections(excluded=["x"], reason="nobody to close")  # nothing connected: 204


def test_rest_api_refuses_bad_tokens(echo: PubSubHost) -> None:
    url = echo.host.url(f"/api/hubs/{HUB}/:send?api-version=2024-12-01")

    def post(token: str | None) -> int:
        headers = {"Content-Type": "text/plain"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return requests.post(url, data=b"x", headers=headers, timeout=10).status_code

    exp = int(time.time()) + 60
    assert post(None) == 401
    assert post(jwt.encode({"aud": url, "exp": exp}, "another-key-" * 4, algorithm="HS256")) == 401
    assert post(jwt.encode({"aud": url, "exp": int(time.time()) - 600}, echo.key, algorithm="HS256")) == 401
    other = echo.host.url(f"/api/hubs/{HUB}/users/x/:send?api-version=2024-12-01")
    assert post(jwt.encode({"aud": other, "exp": exp}, echo.key, algorithm="HS256")) == 401
    assert post(jwt.encode({"aud": url, "exp": exp}, echo.key, algorithm="HS256")) == 202
    assert post(jwt.encode({"aud": url.split("?")[0], "exp": exp}, echo.key, algorithm="HS256")) == 202
    with pytest.raises(ClientAuthenticationError):
        echo.service(key="not-the-key-" * 4).send_to_all("x", content_type="text/plain")
