"""Knowledge URLs cannot reach into the platform (issue 16, defect 5), over HTTP on the devhost.

The attack: a knowledge file ``{"url": "http://127.0.0.1:PORT/runtime/webhooks/durabletask/instances/
<another tenant's session>?showInput=true"}`` ingested the victim's session plan (its instructions)
into the attacker's collection. Now a knowledge URL may point at a non-public address only when
``OMNI_KNOWLEDGE_ALLOWED_HOSTS`` names its host (the e2e platform names ``127.0.0.1`` for its
document servers), and never at the app's own host, named or not; redirects are not followed, so no
hop past a checked address is ever fetched.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.e2e.builders import new_agent
from tests.e2e.conftest import error_of
from tests.e2e.session_client import SessionClient, open_connection

T = 30
SECRET_INSTRUCTIONS = "The vault code is 7431; never say it."


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a redirect to ``location`` (when set) or a small document; records paths."""

    location: str | None = None
    seen: list[str] = []

    def do_GET(self) -> None:
        self.seen.append(self.path)
        if self.location:
            self.send_response(302)
            self.send_header("Location", self.location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"# Opening hours\n\nWe open at nine."
        self.send_response(200)
        self.send_header("Content-Type", "text/markdown")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[int]:
    """A loopback document server on 127.0.0.1 (named by the platform's setting); yields its port."""
    _Recorder.location, _Recorder.seen = None, []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def new_collection(platform: Any, key: Any) -> str:
    answer = requests.post(
        platform.url("/public/knowledge-bases"), json={"name": "Loot"}, headers=key.headers, timeout=T
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def post_url(platform: Any, key: Any, kb: str, url: str) -> requests.Response:
    return requests.post(
        platform.url(f"/public/knowledge-bases/{kb}/files"), json={"url": url}, headers=key.headers, timeout=T
    )


def file_count(platform: Any, key: Any, kb: str) -> int:
    listing = requests.get(
        platform.url(f"/public/knowledge-bases/{kb}/files"), headers=key.headers, timeout=T
    )
    assert listing.status_code == 200, listing.text
    return int(listing.json()["totalCount"])


def assert_refused_naming_url(response: requests.Response, reason: str) -> None:
    assert response.status_code == 400, response.text
    body = error_of(response)
    assert body["code"] == "ValidationFailed"
    assert [d["field"] for d in body["details"]] == ["url"]
    assert reason in body["details"][0]["message"], body


def test_another_tenants_session_plan_cannot_be_ingested_through_the_apps_own_host(
    platform, project_key_factory
):
    victim, attacker = project_key_factory(), project_key_factory()
    agent = new_agent(platform, victim, providerSettings={"instructions": SECRET_INSTRUCTIONS})
    with SessionClient(open_connection(platform, victim, agent["id"])) as session:
        session.receive_until("avatar_state_changed", state="ready")
        kb = new_collection(platform, attacker)
        port = platform.host.port
        for host in ("127.0.0.1", "localhost", "[::1]", "0.0.0.0", "127.0.0.2"):
            url = f"http://{host}:{port}/runtime/webhooks/durabletask/instances/{session.session_id}?showInput=true"
            assert_refused_naming_url(post_url(platform, attacker, kb, url), "the app's own host")
        assert session.end()["reason"] == "client"
    assert file_count(platform, attacker, kb) == 0


def test_a_loopback_host_the_setting_does_not_name_is_refused(platform, project_key, recorder):
    kb = new_collection(platform, project_key)
    for url in (f"http://localhost:{recorder}/doc.md", f"http://[::1]:{recorder}/doc.md"):
        assert_refused_naming_url(post_url(platform, project_key, kb, url), "loopback")
    assert_refused_naming_url(
        post_url(platform, project_key, kb, "http://169.254.169.254/metadata/instance"), "metadata"
    )
    assert file_count(platform, project_key, kb) == 0
    assert _Recorder.seen == []  # refused before any request


def test_a_redirect_from_a_named_host_to_the_apps_own_host_is_not_followed(platform, project_key, recorder):
    from tests.e2e.test_knowledge_files import wait_until_done

    _Recorder.location = f"http://127.0.0.1:{platform.host.port}/runtime/webhooks/durabletask/instances"
    kb = new_collection(platform, project_key)
    answer = post_url(platform, project_key, kb, f"http://127.0.0.1:{recorder}/moved.md")
    assert answer.status_code == 201, answer.text
    failed, _ = wait_until_done(platform, project_key, kb, answer.json()["id"])
    assert failed["status"] == "failed" and failed["error"]["code"] == "DownloadFailed", failed
    assert "redirects are not followed" in failed["error"]["message"]
    assert _Recorder.seen == ["/moved.md"]  # one request: the redirect's target was never fetched


def test_the_named_host_is_downloaded(platform, project_key, recorder):
    from tests.e2e.test_knowledge_files import wait_until_done

    kb = new_collection(platform, project_key)
    answer = post_url(platform, project_key, kb, f"http://127.0.0.1:{recorder}/hours.md")
    assert answer.status_code == 201, answer.text
    ready, _ = wait_until_done(platform, project_key, kb, answer.json()["id"])
    assert ready["status"] == "ready", ready
    assert _Recorder.seen == ["/hours.md"]


def test_without_the_setting_loopback_knowledge_urls_are_refused_but_tools_may_use_loopback(
    own_platform_factory, project_key_factory, recorder
):
    host = own_platform_factory()  # local mode, OMNI_KNOWLEDGE_ALLOWED_HOSTS unset
    key = project_key_factory()
    kb = requests.post(
        host.url("/public/knowledge-bases"), json={"name": "K"}, headers=key.headers, timeout=T
    )
    assert kb.status_code == 201, kb.text
    refused = requests.post(
        host.url(f"/public/knowledge-bases/{kb.json()['id']}/files"),
        json={"url": f"http://127.0.0.1:{recorder}/hours.md"},
        headers=key.headers,
        timeout=T,
    )
    assert_refused_naming_url(refused, "loopback")
    assert _Recorder.seen == []
    tool = {
        "data": {"name": "lookup", "description": "Looks up.", "parameters": {"type": "object"}},
        "flow": "explicit",
    }
    loopback_tool = requests.post(
        host.url("/public/functions"),
        json={**tool, "url": f"http://127.0.0.1:{recorder}/tool"},
        headers=key.headers,
        timeout=T,
    )
    assert loopback_tool.status_code == 201, loopback_tool.text
    own_host_tool = requests.post(
        host.url("/public/functions"),
        json={**tool, "url": f"http://localhost:{host.port}/runtime/webhooks/durabletask/instances"},
        headers=key.headers,
        timeout=T,
    )
    assert_refused_naming_url(own_host_tool, "the app's own host")
