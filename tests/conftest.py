"""Shared fixtures: a real Azurite (the Storage emulator from npm) for the whole test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.settings import StorageSettings
from tests.azurite import Azurite, AzuriteError, running_azurite

# Fixtures of the fake services: the scripted OpenAI server (model providers) and the Marketplace.
pytest_plugins = ["tests.fakes.openai_fixtures", "tests.fakes.marketplace_fixtures"]


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    """An in-memory Azurite on three free ports, stopped when the session ends."""
    try:
        with running_azurite(tmp_path_factory.mktemp("azurite")) as ports:
            yield ports
    except AzuriteError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def storage_settings(azurite: Azurite) -> StorageSettings:
    return StorageSettings(connection_string=azurite.connection_string)
