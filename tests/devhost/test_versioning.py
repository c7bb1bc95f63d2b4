"""Issue 17, defect 8: start_new(version=...) is carried as the extension does: the instance's
ExecutionStarted event holds it, the orchestrator reads it as context.version, a sub-orchestration
gets its own, and host.json's durableTask.defaultVersion applies when none is given."""

from __future__ import annotations

from tests.devhost.helpers import wait_for_terminal
from tests.devhost.named_app_client import start


def _started_event(status: dict) -> dict:
    return next(e for e in status["historyEvents"] if e["EventType"] == "ExecutionStarted")


def test_the_version_given_to_start_new_reaches_the_orchestrator_and_the_history(named_host):
    started = start(named_host, "versioned_parent", version="1.5")
    status = wait_for_terminal(started["statusQueryGetUri"], host=named_host, showHistory="true")

    assert status["runtimeStatus"] == "Completed", status
    assert status["output"] == {"version": "1.5", "childVersion": "2.0-child"}
    assert _started_event(status)["Version"] == "1.5"


def test_without_a_version_the_default_version_of_host_json_applies(named_host):
    started = start(named_host, "versioned_parent")
    status = wait_for_terminal(started["statusQueryGetUri"], host=named_host, showHistory="true")

    assert status["output"] == {"version": "1.0", "childVersion": "2.0-child"}
    assert _started_event(status)["Version"] == "1.0"
