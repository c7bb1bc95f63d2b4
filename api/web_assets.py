"""The browser code the app serves: the Web SDK at ``/sdk/v1/…``, the Playground at ``/playground`` and
the dashboard at ``/dashboard``.

Built by Vite from ``web/`` into ``web/dist`` (``./dev web``; ``./dev up`` and ``./dev test`` build what
is missing; the azd package hook builds it for Azure). Only files under ``web/dist`` are answered, by
exact relative path: no listing, no traversal. The SDK answers CORS ``*`` so any site can load it; the
Playground and the dashboard are same-origin with the API they call. The dashboard is a single-page app
with real paths (``/dashboard/orgs/…``): a path under it that names no file (no extension) answers its
``index.html``, whose router reads the path; a missing file with an extension stays a 404.

Static files through a Function are small, cacheable text (the SDK is tens of KB): no media passes here.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path, PurePosixPath

import azure.functions as func

bp = func.Blueprint()

WEB_DIST = Path(__file__).resolve().parent.parent / "web" / "dist"
NOT_BUILT = (
    "The browser code is not built: run ./dev web (or npm ci && npm run build) and reload this page.\n"
)
# ``.d.ts`` (the SDK's types) would be guessed as MPEG transport stream.
_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".map": "application/json",
    ".ts": "text/plain",
}
# Hashed file names (Vite's assets/) never change; entry points and the SDK's stable names revalidate.
_IMMUTABLE = "public, max-age=31536000, immutable"
_REVALIDATE = "public, max-age=300"


def _file_under(root: Path, relative: str) -> Path | None:
    """``root/relative`` if it is a file inside ``root``, else None (``..``, absolute or hidden parts)."""
    parts = PurePosixPath(relative).parts
    if not parts or any(part in ("", ".", "..") or part.startswith(".") or "\\" in part for part in parts):
        return None
    candidate = root.joinpath(*parts)
    return candidate if candidate.is_file() else None


def _serve(root: Path, relative: str, extra_headers: dict[str, str] | None = None) -> func.HttpResponse:
    headers = dict(extra_headers or {})
    if not WEB_DIST.is_dir():
        return func.HttpResponse(NOT_BUILT, status_code=503, mimetype="text/plain", headers=headers)
    path = _file_under(root, relative)
    if path is None:
        return func.HttpResponse("Not found\n", status_code=404, mimetype="text/plain", headers=headers)
    content_type = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    headers["Cache-Control"] = _IMMUTABLE if "assets" in PurePosixPath(relative).parts else _REVALIDATE
    headers["X-Content-Type-Options"] = "nosniff"
    return func.HttpResponse(path.read_bytes(), mimetype=content_type, headers=headers)


_SDK_CORS = {"Access-Control-Allow-Origin": "*", "Cross-Origin-Resource-Policy": "cross-origin"}


@bp.route(route="sdk/v1/{*path}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def sdk_file(req: func.HttpRequest) -> func.HttpResponse:
    return _serve(WEB_DIST / "sdk" / "v1", req.route_params.get("path") or "", _SDK_CORS)


@bp.route(route="playground", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def playground_page(req: func.HttpRequest) -> func.HttpResponse:
    return _serve(WEB_DIST / "playground", "index.html")


@bp.route(route="playground/{*path}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def playground_file(req: func.HttpRequest) -> func.HttpResponse:
    relative = req.route_params.get("path") or "index.html"
    return _serve(WEB_DIST / "playground", relative)


DASHBOARD = WEB_DIST / "dashboard"


@bp.route(route="dashboard", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def dashboard_page(req: func.HttpRequest) -> func.HttpResponse:
    return _serve(DASHBOARD, "index.html")


@bp.route(route="dashboard/{*path}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def dashboard_file(req: func.HttpRequest) -> func.HttpResponse:
    relative = (req.route_params.get("path") or "").strip("/")
    if not PurePosixPath(relative).suffix:  # a page of the app (its router's path), not a file
        relative = "index.html"
    return _serve(DASHBOARD, relative)
