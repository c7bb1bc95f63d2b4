"""Replay finds durable functions by name: every name in shared/durable_names.py is a function of the
app with the right trigger, and every durable function of the app has its name there."""

from shared import durable_names as names
from tests.app_functions import app_functions


def _functions_by_trigger() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for function in app_functions():
        found.setdefault(function.get_trigger().type, set()).add(function.get_function_name())
    return found


def test_every_durable_name_is_registered_with_the_right_trigger():
    functions = _functions_by_trigger()
    assert functions["orchestrationTrigger"] == {
        names.SESSION,
        names.INGEST_KNOWLEDGE_FILE,
        names.PREPARE_AVATAR_SILHOUETTE,
    }
    assert functions["activityTrigger"] == {
        names.SEND_TO_SESSION,
        names.RUN_MODEL_TURN,
        names.CALL_FUNCTION_ENDPOINT,
        names.TRANSFER_CALL,
        names.END_SESSION,
        names.PREPARE_KNOWLEDGE_FILE,
        names.EMBED_KNOWLEDGE_BATCH,
        names.INDEX_KNOWLEDGE_FILE,
        names.FAIL_KNOWLEDGE_FILE,
        names.CUT_OUT_AVATAR_SILHOUETTE,
    }


def test_events_and_names_are_distinct_strings():
    values = [value for key, value in vars(names).items() if key.isupper()]
    assert len(values) == len(set(values))
