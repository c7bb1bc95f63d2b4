"""Issue 17, defect 9: a failed orchestration's output is in the host's format,
"Orchestrator function 'NAME' failed: MESSAGE", with no " \\n None" left by a failure without details."""

from __future__ import annotations

from tests.devhost.helpers import wait_for_terminal
from tests.devhost.named_app_client import start


def test_a_missing_activity_fails_the_orchestration_with_the_hosts_message(named_host):
    started = start(named_host, "calls_missing_activity")
    status = wait_for_terminal(started["statusQueryGetUri"], host=named_host)

    assert status["runtimeStatus"] == "Failed", status
    assert status["output"] == (
        "Orchestrator function 'calls_missing_activity' failed: The function 'no_such_activity' "
        "doesn't exist, is disabled, or is not an activity function."
    )


def test_a_failed_sub_orchestration_fails_its_parent_with_the_childs_message(named_host):
    started = start(named_host, "fails_through_child")
    status = wait_for_terminal(started["statusQueryGetUri"], host=named_host)

    assert status["runtimeStatus"] == "Failed", status
    assert status["output"] == (
        "Orchestrator function 'fails_through_child' failed: "
        "Orchestrator function 'out_of_stock' failed: Item 42 is out of stock"
    )
