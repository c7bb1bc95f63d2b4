"""Issue 17, defect 9: a failed orchestration's output is in the host's format,
"Orchestrator function 'NAME' failed: MESSAGE", with no " \\n None" left by a failure without details."""

from __future__ import annotations

import pytest

from tests.devhost.helpers import wait_for_terminal
from tests.devhost.named_app_client import start


@pytest.mark.parametrize(
    ("orchestrator", "output"),
    [
        pytest.param(
            "calls_missing_activity",
            "Orchestrator function 'calls_missing_activity' failed: The function 'no_such_activity' "
            "doesn't exist, is disabled, or is not an activity function.",
            id="a missing activity: the host's message",
        ),
        pytest.param(
            "fails_through_child",
            "Orchestrator function 'fails_through_child' failed: "
            "Orchestrator function 'out_of_stock' failed: Item 42 is out of stock",
            id="a failed sub-orchestration: its parent fails with the child's message",
        ),
    ],
)
def test_a_failed_orchestrations_output_is_the_hosts_message(named_host, orchestrator: str, output: str):
    started = start(named_host, orchestrator)
    status = wait_for_terminal(started["statusQueryGetUri"], host=named_host)

    assert status["runtimeStatus"] == "Failed", status
    assert status["output"] == output
