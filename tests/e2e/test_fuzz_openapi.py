"""Schemathesis over the published OpenAPI document, against the devhost and Azurite.

Every documented operation is called with both credentials (an API key; a management bearer token,
with X-Project-Id on /public), with inputs the document allows (positive) on the ids of seeded resources
(real objects) and on generated ids, and inputs it does not allow (negative) on the seeded ids. Every answer
must be documented: never a 5xx, a documented status and content type, a body valid against the
documented schema. A write that is refused (4xx) must leave what it targeted as it was (the resource's
GET, or its listing, before and after). Reads run first, then writes, deletes last.

The profile is bounded and repeatable: ``OMNI_FUZZ_MAX_EXAMPLES`` examples of each of these kinds per
operation and credential (1 in ``./dev test``; ``./dev fuzz`` runs 25),
derandomized (the same inputs every run), no shrinking.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.endpoint import ENDPOINTS
from shared.openapi import build_document
from tests.app_functions import app_functions
from tests.devhost.helpers import REPO_ROOT, DevHost
from tests.e2e.fuzz_world import FuzzWorld, run_order, seed_world, unchanged, written_resource

MAX_EXAMPLES = int(os.environ.get("OMNI_FUZZ_MAX_EXAMPLES", "1"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
CREDENTIAL_HEADERS = {"authorization", "x-api-key", "x-project-id"}
T = 30


def _plan() -> list[tuple[str, str, str]]:
    """(method, path template, credential) of every documented operation, in the order they run."""
    app_functions()  # loading the app fills ENDPOINTS
    document = build_document(ENDPOINTS, "plan", "0")
    plan = []
    for template, methods in document["paths"].items():
        for method, operation in methods.items():
            schemes = {name for requirement in operation["security"] for name in requirement}
            credentials = ["key"] if "ApiKeyAuth" in schemes else []
            credentials += ["bearer"] if "BearerAuth" in schemes else []
            credentials = credentials or ["anonymous"]
            plan += [(method.upper(), template, credential) for credential in credentials]
    return sorted(plan, key=lambda entry: (*run_order(entry[0], entry[1]), entry[2]))


PLAN = _plan()


class Fuzzer:
    def __init__(self, host: DevHost, world: FuzzWorld) -> None:
        self.host, self.world = host, world
        self.document = document = requests.get(host.url("/public/openapi.json"), timeout=T).json()
        self.schema = schemathesis.openapi.from_dict(document)
        self.templates_with_get = {path for path, methods in document["paths"].items() if "get" in methods}
        self.http = requests.Session()

    def strategies(self, method: str, template: str) -> list[st.SearchStrategy[Any]]:
        """Valid inputs on the seeded ids (real objects) and on generated ones; invalid inputs on the
        seeded ids (on generated ids they would mostly stop at the 404)."""
        operation = self.schema[template][method]
        seeded = {name: value for name, value in self.world.ids.items() if "{" + name + "}" in template}
        definition = self.document["paths"][template][method.lower()]
        takes_input = bool(definition.get("parameters") or definition.get("requestBody"))
        strategies = [operation.as_strategy(GenerationMode.POSITIVE, path_parameters=seeded)]
        if seeded:
            strategies.append(operation.as_strategy(GenerationMode.POSITIVE))
        if takes_input:
            strategies.append(operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=seeded))
        return strategies

    def exercise(self, case: Any, credential: str) -> None:
        template = case.operation.path
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in CREDENTIAL_HEADERS}
        case.headers = {**headers, **self.world.credentials(template, credential)}
        watched = written_resource(case.method, template, self.templates_with_get)
        before = self._state_of(watched, case) if watched else None
        response = case.call(base_url=self.host.base_url, session=self.http, timeout=T)
        case.validate_response(response, checks=CHECKS)
        if watched and 400 <= response.status_code < 500:
            after = self._state_of(watched, case)
            assert unchanged(before, after), (
                f"{case.method} {case.formatted_path} was refused ({response.status_code}) "
                f"but {watched} changed:\nbefore {before}\nafter  {after}"
            )

    def _state_of(self, template: str, case: Any) -> tuple[int, Any]:
        """The watched GET's status and body, with the same path parameters as the case."""
        path = template
        for name, value in (case.path_parameters or {}).items():
            path = path.replace("{" + name + "}", requests.utils.quote(str(value), safe=""))
        headers = self.world.credentials(template, "key" if template.startswith("/public/") else "bearer")
        answer = self.http.get(self.host.url(path), headers=headers, timeout=T)
        try:
            return answer.status_code, answer.json()
        except ValueError:
            return answer.status_code, answer.text


@pytest.fixture(scope="module")
def fuzzer(platform, user_token, tmp_path_factory) -> Iterator[Fuzzer]:
    """A host of the module's own on the shared storage, without the rate limits (the fuzzer would
    spend any budget in seconds, and 429s would hide what is behind them)."""
    root = tmp_path_factory.mktemp("fuzz")
    host = DevHost(
        app_dir=REPO_ROOT,
        data_dir=root / "data",
        log_dir=root / "logs",
        environment={
            "OMNI_ENVIRONMENT": "local",
            "OMNI_STORAGE_CONNECTION_STRING": platform.settings.storage.connection_string or "",
            "OMNI_LOCAL_STATE_DIR": platform.settings.local_state_dir,
            "OMNI_KNOWLEDGE_DIR": str(root / "knowledge"),
            "OMNI_RATE_LIMIT_PER_MINUTE": "100000000",
            "OMNI_FAILED_AUTHENTICATIONS_PER_MINUTE": "100000000",
            "OMNI_MAX_CONCURRENT_SESSIONS_PER_TRANSPORT": "1000",
        },
    )
    host.start()
    try:
        yield Fuzzer(host, seed_world(host, user_token))
    finally:
        host.stop()


@pytest.mark.parametrize(("method", "template", "credential"), PLAN, ids=[" ".join(p) for p in PLAN])
def test_every_answer_is_as_documented(fuzzer: Fuzzer, method: str, template: str, credential: str) -> None:
    for strategy in fuzzer.strategies(method, template):

        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=True,
        )
        @given(case=strategy)
        def answers_as_documented(case: Any) -> None:
            fuzzer.exercise(case, credential)

        answers_as_documented()


def test_the_plan_covers_every_operation_of_the_served_document(fuzzer: Fuzzer) -> None:
    document = requests.get(fuzzer.host.url("/public/openapi.json"), timeout=T).json()
    served = {(m.upper(), path) for path, methods in document["paths"].items() for m in methods}
    assert served == {(method, template) for method, template, _ in PLAN}
