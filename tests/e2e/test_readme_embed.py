"""The README's "embed an agent" page works as printed: docs/samples/embed.html (the README shows it
verbatim) served by scripts/embed_demo.py on another origin, in real headless Chromium, against the
platform: the SDK loads from /sdk/v1, the backend route opens a webrtc connection with the key, and the
agent answers a message sent through the instance the page keeps."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.devhost.helpers import REPO_ROOT, free_port
from tests.e2e.builders import create, new_agent

SAMPLE = REPO_ROOT / "docs" / "samples" / "embed.html"
T = 30


def test_the_readme_shows_the_sample_page_verbatim_and_it_is_short():
    page = SAMPLE.read_text(encoding="utf-8")
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert f"```html\n{page}```" in readme
    assert len(page.splitlines()) <= 15


@pytest.fixture
def demo(platform, project_key) -> Iterator[str]:
    faqs = create(
        platform,
        project_key,
        "/public/faqs",
        {"name": "Shop", "faqs": [{"question": "What are your opening hours?", "answer": "We open at 9."}]},
    )
    agent = new_agent(platform, project_key, faqCollections=[faqs["id"]])
    port = free_port()
    command = [sys.executable, "scripts/embed_demo.py", "--key", project_key.key, "--agent", agent["id"]]
    command += ["--base-url", platform.url(""), "--port", str(port)]
    server = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + T
        while True:
            try:
                if requests.get(origin, timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
            assert time.monotonic() < deadline, "the demo server never answered"
            time.sleep(0.2)
        yield origin
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_sample_page_embeds_the_agent_and_it_answers(demo, chromium, artifacts_dir):
    page = chromium.new_page()
    logged: list[tuple[str, Any]] = []

    def on_console(message) -> None:
        if len(message.args) == 2:  # the sample's onData: console.log(event, data)
            logged.append((message.args[0].json_value(), message.args[1].json_value()))

    page.on("console", on_console)
    page.goto(demo)
    page.wait_for_function("() => window.agent !== undefined", timeout=T * 1000)
    page.wait_for_function("() => document.querySelector('#agent canvas') !== null", timeout=T * 1000)

    def assistant_answers() -> list[str]:
        return [
            str(data["message"].get("content"))
            for event, data in logged
            if event == "message_received"
            and data["message"].get("role") == "assistant"
            and data["message"].get("action") == "completed"
        ]

    deadline = time.monotonic() + T
    while not any(event == "avatar_state_changed" and data == {"state": "ready"} for event, data in logged):
        assert time.monotonic() < deadline, f"no ready state: {logged}"
        page.wait_for_timeout(100)
    page.evaluate(
        "() => window.agent.sendCommand({type: 'send_message', "
        "data: {role: 'user', text: 'when do you open?'}})"
    )
    while not any("9" in answer for answer in assistant_answers()):
        assert time.monotonic() < deadline + T, f"no answer: {assistant_answers()}"
        page.wait_for_timeout(100)
    page.screenshot(path=str(artifacts_dir / "readme-embed.png"))
    page.close()
