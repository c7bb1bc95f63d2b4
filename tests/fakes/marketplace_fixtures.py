"""Fixtures of the loopback Marketplace (registered for the whole suite in tests/conftest.py): one
server per test session (``marketplace_server``), emptied for each test (``marketplace``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.marketplace import FakeMarketplace


@pytest.fixture(scope="session")
def marketplace_server() -> Iterator[FakeMarketplace]:
    with FakeMarketplace() as server:
        yield server


@pytest.fixture
def marketplace(marketplace_server: FakeMarketplace) -> Iterator[FakeMarketplace]:
    """The session's fake Marketplace with no subscriptions, calls or injected failures."""
    marketplace_server.reset()
    yield marketplace_server
    marketplace_server.reset()
