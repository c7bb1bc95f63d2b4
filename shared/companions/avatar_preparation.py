"""Preparing an uploaded avatar's silhouette (``shared/companions/silhouette.py``), outside the upload's
HTTP call: a cut-out takes about a second of CPU, so the upload answers at once with the companion
`pending` and a durable activity (``activities/avatar_silhouette.py``) finishes the job.

A job names one upload (the avatar's blob and upload time). The silhouette's blob name is derived from
the job, so a retried activity overwrites its own output; a job whose upload was replaced or whose
companion was deleted meanwhile removes what it wrote and changes nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from shared.api_errors import ApiError
from shared.companions.models import AvatarRecord, CompanionRecord
from shared.companions.silhouette import make_silhouette
from shared.companions.store import avatars, get_companion, update_companion
from shared.storage import NotFound, project_blob_name

log = logging.getLogger("omniagent.companions")


class _Superseded(Exception):
    """The job's upload is no longer the companion's avatar."""


def silhouette_blob_name(project_id: str, companion_id: str, uploaded: datetime) -> str:
    stamp = int(uploaded.timestamp() * 1000)
    return project_blob_name(project_id, companion_id, f"silhouette-{stamp}.png")


def new_job(project_id: str, companion_id: str, avatar: AvatarRecord) -> dict[str, Any]:
    return {
        "projectId": project_id,
        "companionId": companion_id,
        "blobName": avatar.blob_name,
        "uploaded": avatar.uploaded.isoformat(),
    }


def instance_id_for(job: dict[str, Any]) -> str:
    stamp = int(datetime.fromisoformat(job["uploaded"]).timestamp() * 1000)
    return f"silhouette-{job['companionId']}-{stamp}"


def _is_job_of(record: CompanionRecord, job: dict[str, Any]) -> bool:
    avatar = record.avatar
    return (
        avatar is not None
        and avatar.blob_name == job["blobName"]
        and avatar.uploaded == datetime.fromisoformat(job["uploaded"]).astimezone(UTC)
        and avatar.silhouette_source == "preparing"
    )


def prepare_silhouette(job: dict[str, Any], give_up: bool = False) -> str:
    """Cut out the job's avatar and record the result on the companion; ``give_up`` records `none`
    (the cut-out failed past its retries: the companion must not stay `pending`). Returns the source
    recorded, or ``superseded``."""
    project_id, companion_id = job["projectId"], job["companionId"]
    target = silhouette_blob_name(project_id, companion_id, datetime.fromisoformat(job["uploaded"]))
    store = avatars()
    try:
        current = get_companion(project_id, companion_id).entity
    except ApiError:  # deleted meanwhile
        store.delete(target)
        return "superseded"
    if not _is_job_of(current, job):
        store.delete(target)
        return "superseded"
    made: tuple[bytes, str] | None = None
    if not give_up:
        try:
            data = store.get(job["blobName"]).data
        except NotFound:
            return "superseded"  # replaced between the read above and now: the new job decides
        try:
            made = make_silhouette(data)
        except Exception:  # a decoder or OpenCV failure on an accepted image: keep the companion usable
            log.exception("Cutting out the avatar of companion %s failed", companion_id)
    if made is not None:
        store.put(target, made[0], "image/png")
    source = made[1] if made else "none"

    def change(record: CompanionRecord) -> CompanionRecord:
        if not _is_job_of(record, job) or record.avatar is None:
            raise _Superseded
        avatar = record.avatar.model_copy(
            update={"silhouette_source": source, "silhouette_blob_name": target if made else None}
        )
        return record.model_copy(update={"avatar": avatar})

    try:
        update_companion(project_id, companion_id, None, change)
    except (_Superseded, ApiError):
        store.delete(target)
        return "superseded"
    return source
