"""Fixtures: devhost subprocesses serving the sample apps under tests/devhost/apps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.devhost.helpers import BLUEPRINT_APP, DURABLE_SAMPLES_APP, NAMED_APP, DevHost


@pytest.fixture(scope="session")
def devhost_factory(tmp_path_factory) -> Iterator[Any]:
    hosts: list[DevHost] = []

    def make(app_dir: Path, name: str) -> DevHost:
        root = tmp_path_factory.mktemp(name)
        host = DevHost(app_dir=app_dir, data_dir=root / "data", log_dir=root / "logs")
        hosts.append(host)
        host.start()
        return host

    yield make
    for host in hosts:
        host.stop()


@pytest.fixture(scope="session")
def samples_host(devhost_factory) -> DevHost:
    """One shared host for the durable_samples app (tests use unique instance IDs / dirs)."""
    return devhost_factory(DURABLE_SAMPLES_APP, "durable-samples")


@pytest.fixture(scope="session")
def blueprint_host(devhost_factory) -> DevHost:
    return devhost_factory(BLUEPRINT_APP, "blueprint-app")


@pytest.fixture(scope="session")
def named_host(devhost_factory) -> DevHost:
    """The named_app app (app object `myApp`, no Web PubSub), shared by the fidelity tests."""
    return devhost_factory(NAMED_APP, "named-app")


@pytest.fixture
def restartable_samples_host(tmp_path) -> Iterator[DevHost]:
    """A private durable_samples host that a test may kill and start again."""
    with DevHost(app_dir=DURABLE_SAMPLES_APP, data_dir=tmp_path / "data", log_dir=tmp_path / "logs") as host:
        yield host
