"""The platform app itself (this repo's function_app.py) served by devhost against Azurite.

Fixtures give what a customer would have: an API key of a project (``project_key``, written straight to
storage so that resource tests do not depend on the management API) and a bearer token for a named
user (``user_token``, minted as ``python -m devhost token`` does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from shared.auth.api_keys import API_KEYS_TABLE, ApiKeyRecord, new_key_secret
from shared.auth.tokens import mint_local_token
from shared.ids import new_id
from shared.settings import Settings, load_settings
from shared.storage import TableRepository, table_service
from tests.devhost.helpers import REPO_ROOT, DevHost, free_port
from tests.e2e.browser import (  # noqa: F401 (the browser fixtures, for every e2e module; module-scoped)
    artifacts_dir,
    chromium,
    chromium_with_microphone,
    playwright_driver,
)
from tests.e2e.openapi_conformance import ConformanceChecker
from tests.fakes.scripted_openai import ScriptedOpenAI
from tests.fakes.tool_sockets_worker import ToolSocketsWorker


@dataclass
class Platform:
    host: DevHost
    settings: Settings

    def url(self, path: str) -> str:
        return self.host.url(path)


@pytest.fixture(scope="session")
def platform(azurite, tmp_path_factory) -> Iterator[Platform]:
    root = tmp_path_factory.mktemp("platform")
    environment = {
        "OMNI_ENVIRONMENT": "local",
        "OMNI_STORAGE_CONNECTION_STRING": azurite.connection_string,
        "OMNI_LOCAL_STATE_DIR": str(root / "local-secrets"),
        "OMNI_TOOL_TIMEOUT_SECONDS": "3",  # keeps the tool timeout test short
        "OMNI_KNOWLEDGE_DIR": str(root / "knowledge"),
        "OMNI_KNOWLEDGE_ALLOWED_HOSTS": "127.0.0.1",  # the tests' document servers (any port)
        # Every test calls from one address, and many check refusals: the per-address budget of failed
        # authentications is tested on hosts of its own (test_failed_authentications.py).
        "OMNI_FAILED_AUTHENTICATIONS_PER_MINUTE": "1000000",
    }
    host_port = free_port()  # the worker posts to the host, the host calls the worker: ports first
    worker = ToolSocketsWorker(f"http://127.0.0.1:{host_port}", root / "logs").start()
    environment.update(worker.app_environment)
    host = DevHost(
        app_dir=REPO_ROOT,
        data_dir=root / "data",
        log_dir=root / "logs",
        port=host_port,
        environment=environment,
    )
    try:
        host.start()
        yield Platform(host, load_settings(environment))
    finally:
        host.stop()
        worker.stop()


@pytest.fixture
def own_platform_factory(platform: Platform, tmp_path: Path) -> Iterator[Callable[..., DevHost]]:
    """Hosts of a test's own (the same storage and local keys, its own data dir and settings), for tests
    that kill a host or need other settings; stopped at the end of the test."""
    hosts: list[DevHost] = []

    def make(**settings: str) -> DevHost:
        environment = {
            "OMNI_ENVIRONMENT": "local",
            "OMNI_STORAGE_CONNECTION_STRING": platform.settings.storage.connection_string or "",
            "OMNI_LOCAL_STATE_DIR": platform.settings.local_state_dir,
            "OMNI_KNOWLEDGE_DIR": platform.settings.knowledge_dir,
            **settings,
        }
        root = tmp_path / f"host{len(hosts)}"
        host = DevHost(
            app_dir=REPO_ROOT, data_dir=root / "data", log_dir=root / "logs", environment=environment
        )
        hosts.append(host)
        host.start()
        return host

    yield make
    for host in hosts:
        host.stop()


@pytest.fixture
def model() -> Iterator[ScriptedOpenAI]:
    """A scripted OpenAI-compatible model on loopback (queue its replies in the test)."""
    with ScriptedOpenAI() as server:
        yield server


@pytest.fixture
def model_key(project_key_factory: Callable[..., ProjectKey], model: ScriptedOpenAI) -> ProjectKey:
    """A project key whose provider is the scripted model."""
    return project_key_factory(provider=model.provider())


@pytest.fixture(scope="session", autouse=True)
def openapi_conformance(request, platform: Platform) -> Iterator[ConformanceChecker]:
    """Every answer of /public and /manage in these tests must be as the OpenAPI document says:
    a documented status and, for JSON, a body valid against the documented schema. A test that
    receives anything else fails at that request."""
    document = requests.get(platform.url("/public/openapi.json"), timeout=30).json()
    checker = ConformanceChecker(document)
    original_send = requests.Session.send
    base = platform.host.base_url

    def checked_send(session: requests.Session, prepared: requests.PreparedRequest, **kwargs: Any) -> Any:
        response = original_send(session, prepared, **kwargs)
        url = prepared.url or ""
        path = url[len(base) :].split("?", 1)[0] if url.startswith(base) else ""
        if path.startswith(("/public/", "/manage/")) and path != "/public/openapi.json":
            before = len(checker.problems)
            checker.check(
                prepared.method or "",
                path,
                response.status_code,
                response.headers.get("Content-Type", ""),
                response.content,
            )
            if len(checker.problems) > before:
                raise AssertionError("OpenAPI conformance: " + "; ".join(checker.problems[before:]))
        return response

    requests.Session.send = checked_send  # type: ignore[method-assign,assignment]
    try:
        yield checker
    finally:
        requests.Session.send = original_send  # type: ignore[method-assign]
    if _ran_every_e2e_module(request.session):
        missing = checker.unexercised()
        assert not missing, f"documented operations no end-to-end test calls: {missing}"


def _ran_every_e2e_module(session: pytest.Session) -> bool:
    """Whether this run holds every test of every e2e module (no -k, no single file)."""
    here = Path(__file__).parent
    modules = {path.name for path in here.glob("test_*.py")}
    ran = {Path(str(item.fspath)).name for item in session.items if Path(str(item.fspath)).parent == here}
    return (
        ran == modules
        and not session.config.getoption("keyword")
        and not session.config.getoption("markexpr")
    )


@dataclass(frozen=True)
class ProjectKey:
    key: str
    key_id: str
    organization_id: str
    project_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Api-Key": self.key}


@pytest.fixture(scope="session")
def project_key_factory(platform: Platform) -> Callable[..., ProjectKey]:
    repository = TableRepository(table_service(platform.settings.storage), API_KEYS_TABLE, ApiKeyRecord)

    def make(
        provider: dict[str, Any] | None = None,
        organization_id: str | None = None,
        project_id: str | None = None,
    ) -> ProjectKey:
        """A new key; of a new project unless ``project_id`` (and its ``organization_id``) is given."""
        organization_id = organization_id or new_id("org")
        project_id, key_id = project_id or new_id("proj"), new_id("key")
        key, secret_hash = new_key_secret(project_id, key_id)
        repository.create(
            project_id,
            ApiKeyRecord(
                id=key_id,
                organization_id=organization_id,
                project_id=project_id,
                name="test key",
                provider=provider or {"type": "hosted"},
                secret_hash=secret_hash,
                key_hint=key[-4:],
                created_at=datetime.now(UTC),
            ),
        )
        return ProjectKey(key, key_id, organization_id, project_id)

    return make


@pytest.fixture
def project_key(project_key_factory) -> ProjectKey:
    """A fresh project (and organization) per test: tests never see each other's resources."""
    return project_key_factory()


@pytest.fixture(scope="session")
def user_token(platform: Platform) -> Callable[..., str]:
    """``user_token(email)``: a token as ``devhost token --user`` mints (the subject follows from the
    email). ``user_token(email, subject=...)`` names the subject: one account whose email changed, or
    two accounts claiming one email."""

    def mint(email: str, subject: str | None = None) -> str:
        return mint_local_token(platform.settings, email, subject=subject)

    return mint


def error_of(response: requests.Response) -> dict[str, Any]:
    """The published error body of a 4xx answer, checked for its shape."""
    body = response.json()
    assert set(body) >= {"code", "description", "type", "numericType"}, body
    assert isinstance(body["numericType"], int), body
    return body
