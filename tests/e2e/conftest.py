"""The platform app itself (this repo's function_app.py) served by devhost against Azurite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.devhost.helpers import REPO_ROOT, DevHost


@pytest.fixture(scope="session")
def platform(azurite, tmp_path_factory) -> Iterator[DevHost]:
    root = tmp_path_factory.mktemp("platform")
    host = DevHost(
        app_dir=REPO_ROOT,
        data_dir=root / "data",
        log_dir=root / "logs",
        environment={"OMNI_STORAGE_CONNECTION_STRING": azurite.connection_string},
    )
    host.start()
    try:
        yield host
    finally:
        host.stop()
