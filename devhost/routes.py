"""HTTP trigger route templates, as the Functions host (ASP.NET Core routing) reads them.

Supported: literal segments (matched case-insensitively), ``{name}``, optional ``{name?}``,
constraints ``{id:int}``/``{id:guid}``/``{flag:bool}``/``{x:alpha}`` (others match any segment) and a
trailing catch-all ``{*rest}``. More literal routes win over parameter routes, as in ASP.NET.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from aiohttp import web

T = TypeVar("T")

_CONSTRAINTS = {
    "int": r"-?\d+",
    "long": r"-?\d+",
    "guid": r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}",
    "bool": r"(?i:true|false)",
    "alpha": r"[A-Za-z]+",
}
_PARAMETER = re.compile(
    r"^\{(?P<star>\*{1,2})?(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<constraint>[^}?=]+))?"
    r"(?P<optional>\?)?\}$"
)


class RouteTemplateError(ValueError):
    pass


@dataclass(frozen=True)
class CompiledRoute:
    template: str
    pattern: re.Pattern[str]
    # Sort key: more literal segments first, then fewer catch-alls, then longer templates.
    precedence: tuple[int, int, int]


def compile_route(template: str) -> CompiledRoute:
    segments = [s for s in template.strip("/").split("/") if s] if template.strip("/") else []
    parts: list[str] = []
    literals = catch_alls = 0
    for position, segment in enumerate(segments):
        match = _PARAMETER.match(segment)
        if match is None:
            if "{" in segment or "}" in segment:
                raise RouteTemplateError(f"Unsupported route segment {segment!r} in {template!r}.")
            parts.append("/" + re.escape(segment))
            literals += 1
            continue
        name = match["name"]
        if match["star"]:
            if position != len(segments) - 1:
                raise RouteTemplateError(f"A catch-all parameter must be last in {template!r}.")
            parts.append(f"(?:/(?P<{name}>.*))?")
            catch_alls += 1
            continue
        value = _CONSTRAINTS.get((match["constraint"] or "").split("(")[0].lower(), r"[^/]+")
        if match["optional"]:
            parts.append(f"(?:/(?P<{name}>{value}))?")
        else:
            parts.append(f"/(?P<{name}>{value})")
    pattern = re.compile("^" + "".join(parts) + "/?$", re.IGNORECASE if literals else 0)
    return CompiledRoute(template, pattern, (-literals, catch_alls, -len(segments)))


@dataclass
class RouteTable(Generic[T]):
    """Routes in precedence order; ``match`` answers every target whose template fits the path."""

    _routes: list[tuple[CompiledRoute, T]] = field(default_factory=list)

    def add(self, template: str, target: T) -> None:
        self._routes.append((compile_route(template), target))
        self._routes.sort(key=lambda item: item[0].precedence)

    def match(self, path: str) -> list[tuple[T, dict[str, str]]]:
        path = "/" + path.strip("/") if path.strip("/") else ""
        found = []
        for route, target in self._routes:
            matched = route.pattern.match(path)
            if matched:
                params = {k: v for k, v in matched.groupdict().items() if v is not None}
                found.append((target, params))
        return found


def app_routes_first(
    host_routes: set[web.AbstractRoute],
    has_app_route: Callable[[str], bool],
    dispatch_app: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> Any:
    """A middleware: a request that reached one of ``host_routes`` (the Web PubSub stand-in's) goes
    to the app instead when one of the app's HTTP routes matches its path, so the stand-in never
    shadows an app route (on Azure the service is another host)."""

    @web.middleware
    async def middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.match_info.route in host_routes and has_app_route(request.path):
            return await dispatch_app(request)
        return await handler(request)

    return middleware
