"""Cut out an uploaded avatar's silhouette and record it (``shared/companions/avatar_preparation.py``)."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from shared import durable_names as names
from shared.companions.avatar_preparation import prepare_silhouette

bp = df.Blueprint()


@bp.function_name(names.CUT_OUT_AVATAR_SILHOUETTE)
@bp.activity_trigger(input_name="job")
def cut_out_avatar_silhouette(job: dict[str, Any]) -> str:
    return prepare_silhouette(job, give_up=bool(job.get("giveUp")))
