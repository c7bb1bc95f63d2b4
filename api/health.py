"""``GET /health``: is the app up, and can it reach its storage? The storage check's report is answered
again for ``OMNI_HEALTH_CACHE_SECONDS`` (5 s), per instance: the route needs no key, so without it every
caller cost two storage round trips."""

from __future__ import annotations

import json
from functools import lru_cache

import azure.functions as func

from shared.health import CachedReport, HealthReport, blob_storage_check, run_checks, table_storage_check
from shared.settings import Settings, get_settings
from shared.storage import blob_service, table_service

bp = func.Blueprint()


@lru_cache(maxsize=1)
def _cached_report(ttl_seconds: float) -> CachedReport:
    return CachedReport(ttl_seconds)


def _check_storage(settings: Settings) -> HealthReport:
    return run_checks(
        {
            "tableStorage": table_storage_check(table_service(settings.storage)),
            "blobStorage": blob_storage_check(blob_service(settings.storage)),
        }
    )


@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def health(req: func.HttpRequest) -> func.HttpResponse:
    settings = get_settings()
    report = _cached_report(settings.health_cache_seconds).report(lambda: _check_storage(settings))
    body = {**report.to_json(), "environment": settings.environment}
    return func.HttpResponse(
        json.dumps(body), status_code=200 if report.healthy else 503, mimetype="application/json"
    )
