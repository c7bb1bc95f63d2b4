"""Issue 17, defect 10: the Web PubSub stand-in is served only to an app that uses it, and its
routes (the REST API under /api/hubs/...) never shadow the app's own routes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.devhost.helpers import NAMED_APP, DevHost


@pytest.fixture(scope="module")
def stand_in_host(tmp_path_factory) -> Iterator[DevHost]:
    """named_app again, its settings naming the stand-in (WEBPUBSUB_CONNECTION_STRING=devhost)."""
    root = tmp_path_factory.mktemp("named-app-wps")
    host = DevHost(
        app_dir=NAMED_APP,
        data_dir=root / "data",
        log_dir=root / "logs",
        environment={"WEBPUBSUB_CONNECTION_STRING": "devhost"},
    )
    with host:
        yield host


def test_an_app_that_does_not_use_web_pubsub_gets_no_stand_in(named_host):
    assert requests.get(named_host.url("/client/hubs/chat"), timeout=30).status_code == 404
    rest_call = requests.post(named_host.url("/api/hubs/chat/:send"), data="hi", timeout=30)
    assert rest_call.status_code == 404
    assert "Web PubSub" not in named_host.output()


def test_the_stand_in_never_shadows_an_app_route(stand_in_host):
    members = requests.get(stand_in_host.url("/api/hubs/chat/members"), timeout=30)

    assert members.status_code == 200, members.text
    assert members.json() == {"hub": "chat", "members": ["ada", "grace"]}
    # The stand-in still serves the rest of its REST API (this call carries no access token).
    assert requests.post(stand_in_host.url("/api/hubs/chat/:send"), data="hi", timeout=30).status_code == 401
