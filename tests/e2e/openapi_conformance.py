"""Checks that what the API answers is what its OpenAPI document says it answers.

Every response the end-to-end tests receive from the platform is matched to its documented
operation (method + path template), and must use a documented status; a JSON body is validated
against the documented schema (JSON Schema 2020-12, as OpenAPI 3.1 uses). The operations seen are
recorded so a test can require that every documented operation was exercised.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator


@dataclass
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    responses: dict[str, Any]


@dataclass
class ConformanceChecker:
    document: dict[str, Any]
    operations: list[Operation] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for template, methods in self.document["paths"].items():
            regex = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "/?$"
            for method, operation in methods.items():
                self.operations.append(
                    Operation(method.upper(), template, re.compile(regex), operation["responses"])
                )
        # Literal paths before templated ones, as the router matches them.
        self.operations.sort(key=lambda o: o.template.count("{"))

    def check(self, method: str, path: str, status: int, content_type: str, body: bytes) -> None:
        operation = next((o for o in self.operations if o.method == method and o.pattern.match(path)), None)
        if operation is None:
            self.problems.append(f"{method} {path}: answered {status} but is not in the OpenAPI document")
            return
        self.seen.add((operation.method, operation.template))
        documented = operation.responses.get(str(status))
        if documented is None:
            documented_statuses = sorted(operation.responses)
            self.problems.append(
                f"{method} {operation.template}: status {status} is not documented ({documented_statuses})"
            )
            return
        schema = documented.get("content", {}).get("application/json", {}).get("schema")
        if schema is None or "json" not in content_type:
            return
        try:
            instance = json.loads(body)
        except ValueError:
            self.problems.append(f"{method} {operation.template}: {status} body is not JSON")
            return
        validator = Draft202012Validator({**schema, "components": self.document["components"]})
        for error in validator.iter_errors(instance):
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            self.problems.append(f"{method} {operation.template} {status}: at {where}: {error.message}")

    def unexercised(self) -> list[str]:
        return sorted(
            f"{o.method} {o.template}" for o in self.operations if (o.method, o.template) not in self.seen
        )
