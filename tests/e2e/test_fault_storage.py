"""Storage going away under the app: an Azurite of the test's own (kept on disk), stopped while a
request is waiting on it, then started again on the same ports. Answers during the outage are 503
with ``Retry-After`` and the published JSON error body, never a 500 or a stack trace; afterwards the
same host serves again without a restart, and every write it acknowledged before the outage is there."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from benchmarks.local_stack import Key, create_project_key
from tests.azurite import AzuriteProcess
from tests.devhost.helpers import REPO_ROOT, DevHost
from tests.e2e.conftest import error_of

T = 60


@dataclass
class Outage:
    azurite: AzuriteProcess
    host: DevHost
    key: Key

    def companions(self) -> list[str]:
        listed = requests.get(self.host.url("/public/companions"), headers=self.key.headers, timeout=T)
        assert listed.status_code == 200, listed.text
        return sorted(item["description"] for item in listed.json()["items"])

    def create(self, description: str) -> requests.Response:
        """POST a companion (an API-key read, then a Table write)."""
        return requests.post(
            self.host.url("/public/companions"),
            json={"description": description},
            headers=self.key.headers,
            timeout=T,
        )

    def healthy_again(self) -> bool:
        """Whether /health turns 200 (it may hold its last result a few seconds) within a minute."""
        deadline = time.monotonic() + T
        while time.monotonic() < deadline:
            if requests.get(self.host.url("/health"), timeout=T).status_code == 200:
                return True
            time.sleep(0.5)
        return False

    def stop_storage_mid_request(self) -> requests.Response:
        """Freezes Azurite, sends a write that waits on it, then stops Azurite: the write's storage
        call is cut off in flight. Answers that write's response."""
        process = self.azurite.process
        assert process is not None
        process.send_signal(signal.SIGSTOP)
        answers: list[requests.Response] = []
        writer = threading.Thread(target=lambda: answers.append(self.create("during the outage")))
        writer.start()
        writer.join(1.0)  # the write is now waiting on the frozen Azurite (it cannot have finished)
        assert writer.is_alive(), "the write finished without storage"
        process.send_signal(signal.SIGTERM)  # handled once Azurite runs again: it saves and exits
        process.send_signal(signal.SIGCONT)
        process.wait(timeout=30)
        self.azurite.process = None
        writer.join(T)
        return answers[0]


@pytest.fixture(scope="module")
def outage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outage]:
    """One stack for the module: the second test stops storage again, after the first recovered."""
    tmp_path = tmp_path_factory.mktemp("outage")
    azurite = AzuriteProcess(tmp_path, persistent=True)
    azurite.start()
    host = DevHost(
        app_dir=REPO_ROOT,
        data_dir=tmp_path / "host",
        log_dir=tmp_path / "logs",
        environment={
            "OMNI_ENVIRONMENT": "local",
            "OMNI_STORAGE_CONNECTION_STRING": azurite.ports.connection_string,
            "OMNI_LOCAL_STATE_DIR": str(tmp_path / "local-secrets"),
            "OMNI_KNOWLEDGE_DIR": str(tmp_path / "knowledge"),
        },
    )
    try:
        host.start()
        yield Outage(azurite, host, create_project_key(host, {"type": "hosted"}))
    finally:
        host.stop()
        azurite.stop()


def test_storage_stopped_mid_request_is_a_503_then_the_host_recovers_and_nothing_is_lost(outage):
    assert outage.create("before the outage").status_code == 201

    # Azurite may still finish the write it holds before it exits; then the write was acknowledged.
    cut_off = outage.stop_storage_mid_request()
    if cut_off.status_code != 201:
        assert_unavailable(cut_off)
    assert_unavailable(
        requests.get(outage.host.url("/public/companions"), headers=outage.key.headers, timeout=T)
    )
    assert_unavailable(outage.create("while storage is down"))
    health = requests.get(outage.host.url("/health"), timeout=T)
    assert health.status_code == 503 and health.json()["status"] == "unhealthy"

    outage.azurite.start()  # the same ports, the same data

    assert outage.healthy_again(), "the host never became healthy again"
    assert outage.create("after the outage").status_code == 201
    acknowledged = ["after the outage", "before the outage"]
    if cut_off.status_code == 201:
        acknowledged.append("during the outage")
    stored = outage.companions()
    assert sorted(set(stored)) == sorted(stored)  # nothing twice
    assert set(acknowledged) <= set(stored)  # nothing acknowledged is lost
    assert set(stored) <= {*acknowledged, "during the outage"}


def assert_unavailable(answer: requests.Response) -> None:
    """503 with Retry-After and the published error body: no stack trace, no storage address."""
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["Retry-After"]) >= 1
    assert error_of(answer)["code"] == "ServiceUnavailable"
    assert "Traceback" not in answer.text and "127.0.0.1" not in answer.text


def test_every_operation_documents_the_503(outage):
    document = requests.get(outage.host.url("/public/openapi.json"), timeout=T).json()
    undocumented = [
        f"{method.upper()} {path}"
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
        if "503" not in operation["responses"]
    ]
    assert undocumented == []
