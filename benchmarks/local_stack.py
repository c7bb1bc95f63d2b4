"""The local stack for benchmarks: Azurite and a devhost in a scratch directory, and a project key
made through the management API, as a newcomer would make one."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.azurite import running_azurite  # noqa: E402
from tests.devhost.helpers import DevHost  # noqa: E402
from tests.fakes.storage_counter import StorageCounter  # noqa: E402

T = 30


class Key:
    def __init__(self, key: str) -> None:
        self.headers = {"X-Api-Key": key}


@contextmanager
def local_stack(scratch: Path, **settings: str) -> Iterator[DevHost]:
    """Azurite and a devhost serving the app (local mode, state under ``scratch``), with nothing between
    them: what latency is measured on."""
    scratch.mkdir(parents=True, exist_ok=True)
    with running_azurite(scratch) as azurite, _devhost(scratch, azurite.connection_string, settings) as host:
        yield host


@contextmanager
def counted_local_stack(scratch: Path, **settings: str) -> Iterator[tuple[DevHost, StorageCounter]]:
    """``local_stack`` whose storage operations are counted (a proxy in front of Azurite; its own time
    would distort latency)."""
    scratch.mkdir(parents=True, exist_ok=True)
    with (
        running_azurite(scratch) as azurite,
        StorageCounter(azurite) as counter,
        _devhost(scratch, counter.connection_string, settings) as host,
    ):
        yield host, counter


@contextmanager
def _devhost(scratch: Path, storage: str, settings: dict[str, str]) -> Iterator[DevHost]:
    host = DevHost(
        app_dir=REPO_ROOT,
        data_dir=scratch / "data",
        log_dir=scratch / "logs",
        environment={
            "OMNI_ENVIRONMENT": "local",
            "OMNI_STORAGE_CONNECTION_STRING": storage,
            "OMNI_LOCAL_STATE_DIR": str(scratch / "local-secrets"),
            "OMNI_KNOWLEDGE_DIR": str(scratch / "knowledge"),
            **settings,
        },
    )
    host.start()
    try:
        yield host
    finally:
        host.stop()


def create_project_key(host: DevHost, provider: dict[str, Any]) -> Key:
    """A new organization, project and key with ``provider``, through the management API."""
    return create_project_keys(host, provider, 1)[0]


def create_project_keys(host: DevHost, provider: dict[str, Any], count: int) -> list[Key]:
    """``create_project_key`` with ``count`` keys of the one project (each has its own rate limits)."""
    token = requests.post(
        host.url("/manage/dev/token"), json={"email": "bench@example.com"}, timeout=T
    ).json()
    bearer = {"Authorization": f"Bearer {token['token']}"}
    org = requests.post(
        host.url("/manage/organizations"), json={"name": "Bench"}, headers=bearer, timeout=T
    ).json()
    project = requests.post(
        host.url(f"/manage/organizations/{org['id']}/projects"),
        json={"name": "Bench"},
        headers=bearer,
        timeout=T,
    ).json()
    keys = []
    for n in range(count):
        key = requests.post(
            host.url(f"/manage/projects/{project['id']}/api-keys"),
            json={"name": f"bench {n}", "provider": provider},
            headers=bearer,
            timeout=T,
        ).json()
        keys.append(Key(key["key"]))
    return keys


def create_agent(host: DevHost, key: Key) -> str:
    """A new companion and an agent of it that does not end for inactivity within a benchmark."""
    companion = requests.post(
        host.url("/public/companions"), json={"description": "A benchmark."}, headers=key.headers, timeout=T
    ).json()
    body = {
        "companionId": companion["id"],
        "voiceId": "alloy",
        "providerSettings": {},
        "inactivity": {"timeoutSeconds": 3600, "countdownSeconds": 10},
    }
    answer = requests.post(host.url("/public/agents"), headers=key.headers, json=body, timeout=T)
    return str(answer.json()["id"])


def percentiles(seconds: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    ms = sorted(value * 1000 for value in seconds)
    return ms[len(ms) // 2], ms[max(0, int(len(ms) * 0.95) - 1)]
