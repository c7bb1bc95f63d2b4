"""The whole check of a function definition: every problem as a field error of the wire body."""

from __future__ import annotations

import socket

from shared.api_errors import FieldError
from shared.functions.addresses import HostPort, Resolver, UnsafeEndpoint, check_endpoint_url
from shared.functions.models import FunctionBody
from shared.functions.rules import headers_problems, name_problem, parameters_problems


def definition_problems(
    body: FunctionBody,
    *,
    allow_private: bool,
    own_host: HostPort | None = None,
    resolve: Resolver = socket.getaddrinfo,
) -> list[FieldError]:
    """Field errors of ``body`` ([] when valid). ``allow_private`` lets the URL point anywhere (local
    development only); otherwise its host must resolve to public addresses only. Never ``own_host``."""
    problems: list[FieldError] = []
    name = name_problem(body.data.name)
    if name:
        problems.append(FieldError("data.name", name))
    if not body.data.description.strip():
        problems.append(FieldError("data.description", "must not be empty"))
    problems += [FieldError("data.parameters", p) for p in parameters_problems(body.data.parameters)]
    if body.flow == "explicit" and not body.url:
        problems.append(FieldError("url", "is required for an explicit function"))
    if body.url:
        try:
            check_endpoint_url(body.url, allow_private=allow_private, own_host=own_host, resolve=resolve)
        except UnsafeEndpoint as error:
            problems.append(FieldError("url", str(error)))
    if body.headers:
        problems += headers_problems(body.headers)
    return problems
