"""The preparation of one uploaded avatar's silhouette (instance id: ``shared.companions.
avatar_preparation.instance_id_for``): one activity, retried; if it still fails the companion is
marked without a silhouette so it does not stay `pending`."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from shared import durable_names as names

bp = df.Blueprint()

RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=2000, max_number_of_attempts=3)


@bp.function_name(names.PREPARE_AVATAR_SILHOUETTE)
@bp.orchestration_trigger(context_name="context")
def prepare_avatar_silhouette(context: df.DurableOrchestrationContext) -> Generator[Any, Any, str]:
    job = context.get_input()
    try:
        result: str = yield context.call_activity_with_retry(names.CUT_OUT_AVATAR_SILHOUETTE, RETRY, job)
        return result
    except Exception:  # failed past its retries; the details are in the host's logs
        given_up: str = yield context.call_activity(names.CUT_OUT_AVATAR_SILHOUETTE, {**job, "giveUp": True})
        return given_up
