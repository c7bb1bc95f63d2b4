"""The ingestion of one knowledge file (instance id = ``ingest-<file id>``): prepare, embed in
batches, index (the steps and their rules: ``shared/knowledge/ingestion.py``).

Deterministic: every effect is an activity. The activities record the failures they expect on the
file themselves; an activity that still fails after its retries (storage down, a bug) marks the
file failed with an internal-error reason and ends the instance.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from shared import durable_names as names
from shared.knowledge.ingestion import INTERNAL_FAILURE

bp = df.Blueprint()

RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=2000, max_number_of_attempts=3)


def instance_id_for(file_id: str) -> str:
    return f"ingest-{file_id}"


@bp.function_name(names.INGEST_KNOWLEDGE_FILE)
@bp.orchestration_trigger(context_name="context")
def ingest_knowledge_file(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    job = context.get_input()
    try:
        prepared = yield context.call_activity_with_retry(names.PREPARE_KNOWLEDGE_FILE, RETRY, job)
        if not prepared["ok"]:
            return prepared
        batches = prepared["batches"]
        for batch in range(batches):
            context.set_custom_status({"step": "embedding", "batch": batch, "batches": batches})
            embedded = yield context.call_activity_with_retry(
                names.EMBED_KNOWLEDGE_BATCH, RETRY, {**job, "batch": batch, "batches": batches}
            )
            if not embedded["ok"]:
                return embedded
        context.set_custom_status({"step": "indexing"})
        indexed: dict[str, Any] = yield context.call_activity_with_retry(
            names.INDEX_KNOWLEDGE_FILE, RETRY, {**job, "batches": batches}
        )
        return indexed
    except Exception:  # an activity failed after its retries; its details stay in the host's logs
        code, message = INTERNAL_FAILURE
        yield context.call_activity(names.FAIL_KNOWLEDGE_FILE, {**job, "code": code, "message": message})
        return {"ok": False, "code": code}
