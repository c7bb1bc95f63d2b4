"""What the devhost answers itself, before or instead of a function: CORS, HEAD, and its own errors.

- **CORS**, as ``func start`` applies ``Host.CORS`` (and ``Host.CORSCredentials``) from
  ``local.settings.json`` (ASP.NET Core's CORS middleware, any method and any header): a preflight
  (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) is answered 204 by the host
  itself, whatever the route, with ``Access-Control-Allow-Origin`` and the requested method and
  headers when the origin is allowed (without them when it is not); other answers to an allowed
  origin carry ``Access-Control-Allow-Origin``. ``*`` allows any origin; with credentials the origin
  is echoed (``Vary: Origin``) and ``Access-Control-Allow-Credentials: true`` added. Without
  ``Host.CORS`` nothing is added and a preflight reaches the routes as any ``OPTIONS``.
- **HEAD** on a route whose function takes ``GET`` but not ``HEAD`` runs the ``GET`` function and
  answers its status and headers without the body.
- **Errors of its own** (no route 404, a method the route does not take 405 with ``Allow``, a body
  over the host limit 413, a request it cannot read 400) carry the app's JSON error body
  (``code``, ``description``, ``type``, ``numericType``) instead of aiohttp's ``text/plain``. A
  request line or header aiohttp's parser itself refuses is still answered by aiohttp (400, text).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware

log = logging.getLogger("devhost")

# The app's error kinds (shared.api_errors.ErrorKind), written out: the devhost imports no app code.
_ERRORS = {
    400: ("BadRequest", 2, "The request could not be read."),
    404: ("NotFound", 4, "No function serves this path."),
    405: ("MethodNotAllowed", 0, "The route does not take this method."),
    413: ("PayloadTooLarge", 2, "The request body is larger than this host takes."),
}


def error_body(status: int, description: str | None = None) -> web.Response:
    code, kind, default = _ERRORS[status]
    body = {"code": code, "description": description or default, "type": kind, "numericType": kind}
    return web.json_response(body, status=status)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The devhost's own 400/404/405/413 (raised as aiohttp HTTP exceptions) as the JSON error body."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status not in _ERRORS:
            raise
        description = None
        if error.status == 405:
            description = f"{request.method} is not taken here; the route takes {error.headers.get('Allow')}."
        answer = error_body(error.status, description)
        if hdrs.ALLOW in error.headers:
            answer.headers[hdrs.ALLOW] = error.headers[hdrs.ALLOW]
        return answer


@dataclass(frozen=True)
class CorsPolicy:
    origins: tuple[str, ...]  # as configured; "*" allows any
    credentials: bool = False

    @classmethod
    def from_local_settings(cls, app_dir: Path) -> CorsPolicy | None:
        """``Host.CORS`` (comma-separated origins) and ``Host.CORSCredentials``, or None without them."""
        settings_file = app_dir / "local.settings.json"
        try:
            host = json.loads(settings_file.read_text()).get("Host") or {}
        except (OSError, ValueError, AttributeError):
            return None
        origins = tuple(o.strip().rstrip("/") for o in str(host.get("CORS") or "").split(",") if o.strip())
        if not origins:
            return None
        credentials = str(host.get("CORSCredentials", "")).lower() == "true"
        return cls(origins, credentials)

    def allow_origin(self, origin: str) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for ``origin``, or None when it is not allowed."""
        if "*" in self.origins:
            return origin if self.credentials else "*"
        return origin if origin.rstrip("/").lower() in {o.lower() for o in self.origins} else None

    def headers_for(self, origin: str) -> dict[str, str]:
        allowed = self.allow_origin(origin)
        if allowed is None:
            return {}
        headers: dict[str, str] = {hdrs.ACCESS_CONTROL_ALLOW_ORIGIN: allowed}
        if allowed != "*":
            headers[hdrs.VARY] = hdrs.ORIGIN
        if self.credentials:
            headers[hdrs.ACCESS_CONTROL_ALLOW_CREDENTIALS] = "true"
        return headers


def cors(policy: CorsPolicy) -> Middleware:
    @web.middleware
    async def apply(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get(hdrs.ORIGIN)
        if origin is None:
            return await handler(request)
        requested = request.headers.get(hdrs.ACCESS_CONTROL_REQUEST_METHOD)
        if request.method == hdrs.METH_OPTIONS and requested:
            preflight = web.Response(status=204, headers=policy.headers_for(origin))
            if hdrs.ACCESS_CONTROL_ALLOW_ORIGIN in preflight.headers:
                preflight.headers[hdrs.ACCESS_CONTROL_ALLOW_METHODS] = requested
                asked = request.headers.get(hdrs.ACCESS_CONTROL_REQUEST_HEADERS)
                if asked:
                    preflight.headers[hdrs.ACCESS_CONTROL_ALLOW_HEADERS] = asked
            return preflight
        try:
            response = await handler(request)
        except web.HTTPException as error:  # raised answers carry the headers too
            error.headers.update(policy.headers_for(origin))
            raise
        if not response.prepared:  # a WebSocket or stream already sent its headers
            response.headers.update(policy.headers_for(origin))
        return response

    return apply


def edge_middlewares(app_dir: Path) -> list[Middleware]:
    """Outermost first: CORS (when configured) around the JSON error bodies."""
    policy = CorsPolicy.from_local_settings(app_dir)
    if policy is not None:
        log.info("CORS (Host.CORS): %s, credentials %s", policy.origins, policy.credentials)
    return [*([cors(policy)] if policy else []), json_errors]


def route_method(request_method: str, taken: set[str]) -> str | None:
    """The method a function is run for: its own, or GET for a HEAD its route does not take."""
    if not taken or request_method in taken:
        return request_method
    if request_method == hdrs.METH_HEAD and hdrs.METH_GET in taken:
        return hdrs.METH_GET
    return None
