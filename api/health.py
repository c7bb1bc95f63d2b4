"""``GET /health``: is the app up, and can it reach its storage?"""

from __future__ import annotations

import json

import azure.functions as func

from shared.health import blob_storage_check, run_checks, table_storage_check
from shared.settings import get_settings
from shared.storage import blob_service, table_service

bp = func.Blueprint()


@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def health(req: func.HttpRequest) -> func.HttpResponse:
    settings = get_settings()
    report = run_checks(
        {
            "tableStorage": table_storage_check(table_service(settings.storage)),
            "blobStorage": blob_storage_check(blob_service(settings.storage)),
        }
    )
    body = {**report.to_json(), "environment": settings.environment}
    return func.HttpResponse(
        json.dumps(body), status_code=200 if report.healthy else 503, mimetype="application/json"
    )
