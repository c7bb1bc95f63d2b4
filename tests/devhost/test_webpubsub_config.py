"""The Web PubSub stand-in's configuration and token checks, without a host."""

from __future__ import annotations

import hashlib
import hmac
import time
from pathlib import Path

import jwt
import pytest

from devhost.webpubsub import config, tokens
from devhost.webpubsub.events import EventHandlerClient, event_type, signature

KEY = "a-test-access-key-of-32-bytes-or-more"


def test_unset_or_devhost_connection_string_points_at_this_host_with_a_kept_key(tmp_path: Path) -> None:
    environ: dict[str, str] = {}
    config.ensure_connection_string(environ, tmp_path, 7071)
    first = environ[config.CONNECTION_STRING_SETTING]
    key = config.parse_connection_string(first)["accesskey"]
    assert first == f"Endpoint=http://127.0.0.1:7071;AccessKey={key};Version=1.0;"
    assert (tmp_path / config.KEY_FILE_NAME).stat().st_mode & 0o077 == 0

    again = {config.CONNECTION_STRING_SETTING: "devhost"}  # as local.settings.json may say
    config.ensure_connection_string(again, tmp_path, 7072)  # a restart, on another port
    assert (
        again[config.CONNECTION_STRING_SETTING]
        == f"Endpoint=http://127.0.0.1:7072;AccessKey={key};Version=1.0;"
    )


def test_an_explicit_connection_string_is_kept(tmp_path: Path) -> None:
    explicit = "Endpoint=https://contoso.webpubsub.azure.com;AccessKey=abc;Version=1.0;"
    environ = {config.CONNECTION_STRING_SETTING: explicit}
    config.ensure_connection_string(environ, tmp_path, 7071)
    assert environ[config.CONNECTION_STRING_SETTING] == explicit
    assert not (tmp_path / config.KEY_FILE_NAME).exists()
    assert config.StandInConfig.from_environment(environ, 7071) is None  # a real service: nothing served


def test_a_connection_string_naming_this_host_is_served_with_its_key() -> None:
    environ = {
        config.CONNECTION_STRING_SETTING: "Endpoint=http://localhost:7071/;AccessKey=k3y;Version=1.0;",
        config.HUB_SETTING: "chat",
    }
    stand_in = config.StandInConfig.from_environment(environ, 7071)
    assert stand_in == config.StandInConfig(
        endpoint="http://localhost:7071",
        access_key="k3y",
        hub="chat",
        handler_template="/runtime/webpubsub/{hub}",
    )
    assert stand_in.origin == "localhost"
    assert config.StandInConfig.from_environment(environ, 8080) is None  # another port: another host
    assert config.StandInConfig.from_environment({}, 7071) is None


def test_handler_url_template() -> None:
    relative = EventHandlerClient("/events/{hub}/{event}", "http://127.0.0.1:7071", "k", "127.0.0.1")
    assert relative.url("chat", "connect") == "http://127.0.0.1:7071/events/chat/connect"
    assert relative.url("chat") == "http://127.0.0.1:7071/events/chat/{event}"
    absolute = EventHandlerClient(
        "http://elsewhere:9000/wps/{hub}", "http://127.0.0.1:7071", "k", "127.0.0.1"
    )
    assert absolute.url("chat", "message") == "http://elsewhere:9000/wps/chat"
    assert not EventHandlerClient("", "http://127.0.0.1:7071", "k", "127.0.0.1").enabled
    assert event_type("connect") == "azure.webpubsub.sys.connect"
    assert event_type("message") == "azure.webpubsub.user.message"
    # The documented value: Hex_encoded(HMAC_SHA256(accessKey, connectionId)).
    assert signature("key", "conn") == "sha256=" + hmac.new(b"key", b"conn", hashlib.sha256).hexdigest()


def test_client_tokens() -> None:
    bases = ["http://127.0.0.1:7071"]
    now = int(time.time())
    good = jwt.encode(
        {"aud": "http://127.0.0.1:7071/client/hubs/Chat", "exp": now + 60}, KEY, algorithm="HS256"
    )
    assert tokens.check_client_token(good, KEY, "chat", bases)["aud"].endswith("/Chat")
    for bad in (
        jwt.encode(
            {"aud": "http://127.0.0.1:7071/client/hubs/other", "exp": now + 60}, KEY, algorithm="HS256"
        ),
        jwt.encode(
            {"aud": "http://127.0.0.1:7071/client/hubs/chat", "exp": now - 60}, KEY, algorithm="HS256"
        ),
        jwt.encode({"aud": "http://127.0.0.1:7071/client/hubs/chat"}, KEY, algorithm="HS256"),  # no exp
        jwt.encode(
            {"aud": "http://127.0.0.1:7071/client/hubs/chat", "exp": now + 60}, "x" * 32, algorithm="HS256"
        ),
    ):
        with pytest.raises(tokens.TokenError):
            tokens.check_client_token(bad, KEY, "chat", bases)


def test_rest_tokens_name_the_request_url() -> None:
    now = int(time.time())
    url = "http://127.0.0.1:7071/api/hubs/chat/users/a%2Fb/:send?api-version=2024-12-01"
    path_upper = "http://127.0.0.1:7071/API/HUBS/CHAT/users/a%2fb/:send"
    for aud in (url, url.split("?")[0], path_upper):
        token = jwt.encode({"aud": aud, "exp": now + 60}, KEY, algorithm="HS256")
        tokens.check_rest_token(token, KEY, [url])
    wrong = jwt.encode({"aud": url.replace("users", "groups"), "exp": now + 60}, KEY, algorithm="HS256")
    with pytest.raises(tokens.TokenError):
        tokens.check_rest_token(wrong, KEY, [url])
