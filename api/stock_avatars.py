"""``GET /static/stock-avatars/{file}``: the stock companions' built-in avatar images.

Outside ``/public`` (static files, not API operations): anonymous and CORS ``*`` (the Web SDK draws
them into a canvas on any site; they are the same for everyone), cacheable for a day. Only the files
the stock catalog names are answered, looked up by exact name in a fixed set, so no other file (and no
path) can ever be read. The PNGs are drawn by ``scripts/make_stock_avatars.py``.
"""

from __future__ import annotations

from pathlib import Path

import azure.functions as func

from shared.companions.avatar_urls import STOCK_AVATAR_ROUTE, stock_avatar_file
from shared.companions.catalog import STOCK_COMPANIONS

bp = func.Blueprint()

STOCK_AVATARS_DIR = Path(__file__).resolve().parent.parent / "shared" / "companions" / "stock_avatars"
KNOWN_FILES = frozenset(
    name
    for companion in STOCK_COMPANIONS
    for silhouette in (False, True)
    if (name := stock_avatar_file(companion.id, silhouette)) is not None
)
_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Cache-Control": "public, max-age=86400",
    "X-Content-Type-Options": "nosniff",
}


@bp.route(route=STOCK_AVATAR_ROUTE + "/{file}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def stock_avatar(req: func.HttpRequest) -> func.HttpResponse:
    name = req.route_params.get("file") or ""
    if name not in KNOWN_FILES:
        cors = {"Access-Control-Allow-Origin": "*"}
        return func.HttpResponse("Not found\n", status_code=404, mimetype="text/plain", headers=cors)
    return func.HttpResponse((STOCK_AVATARS_DIR / name).read_bytes(), mimetype="image/png", headers=_HEADERS)
