"""The classic Durable Functions patterns, started over HTTP and polled via statusQueryGetUri.

Behaviour asserted here is the documented behaviour of Durable Functions (Python v2 model):
  * https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-overview
  * https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-http-api
  * https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-error-handling
  * https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-eternal-orchestrations
  * https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-code-constraints (new_uuid)
"""

from __future__ import annotations

import uuid

import requests

from tests.devhost.helpers import (
    decoded_input,
    event_url,
    start_orchestration,
    wait_for_status,
    wait_for_terminal,
)
from tests.fakes.storage_counter import episodes_of


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def test_function_chaining_returns_the_three_greetings_in_order(samples_host):
    started = start_orchestration(samples_host, "hello_sequence")
    status = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)

    assert status["runtimeStatus"] == "Completed", status
    assert status["output"] == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]


def test_set_custom_status_is_visible_in_the_final_status(samples_host):
    started = start_orchestration(samples_host, "hello_sequence")
    status = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)

    assert status["customStatus"] == {"stage": "greeted", "cities": 3}


def test_fan_out_fan_in_sums_every_activity_result(samples_host):
    started = start_orchestration(samples_host, "fan_out_fan_in", body={"count": 10})
    status = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)

    assert status["runtimeStatus"] == "Completed", status
    assert status["output"] == {
        "results": [1, 4, 9, 16, 25, 36, 49, 64, 81, 100],
        "sum": 385,
    }


def test_human_interaction_approval_event_beats_the_timeout(samples_host):
    started = start_orchestration(samples_host, "approval_workflow", body={"timeout_seconds": 120})
    wait_for_status(
        started["statusQueryGetUri"],
        lambda s: s.get("customStatus") == "awaiting approval",
        "the approval workflow to wait for the event",
        host=samples_host,
    )

    raised = requests.post(
        event_url(started, "Approval"), json={"approver": "alice", "approved": True}, timeout=30
    )
    assert raised.status_code == 202, raised.text

    status = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)
    assert status["runtimeStatus"] == "Completed", status
    assert status["output"] == {"outcome": "approved", "approval": {"approver": "alice", "approved": True}}
    assert status["customStatus"] == "approved"


def test_human_interaction_timeout_wins_without_an_event(samples_host):
    started = start_orchestration(samples_host, "approval_workflow", body={"timeout_seconds": 2})
    status = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)

    assert status["runtimeStatus"] == "Completed", status
    assert status["output"] == {"outcome": "timed out", "escalation": "Hello escalation team!"}
    assert status["customStatus"] == "escalated"


def test_monitor_updates_custom_status_each_round_and_stops_when_condition_met(samples_host, tmp_path):
    job_dir = tmp_path / "job"
    job_dir.mkdir()
    started = start_orchestration(
        samples_host, "job_monitor", body={"dir": str(job_dir), "poll_seconds": 1, "max_rounds": 60}
    )

    # While the monitor runs, each round's custom status is visible through the status API.
    running = wait_for_status(
        started["statusQueryGetUri"],
        lambda s: s["runtimeStatus"] == "Running" and (s.get("customStatus") or {}).get("round", 0) >= 2,
        "the monitor to report its second waiting round",
        host=samples_host,
    )
    assert running["customStatus"]["state"] == "waiting"
    assert running["output"] is None

    (job_dir / "job-done").write_text("done")
    status = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)

    assert status["runtimeStatus"] == "Completed", status
    rounds = status["output"]["rounds"]
    assert rounds > running["customStatus"]["round"]
    assert status["output"] == {"rounds": rounds, "state": "done"}
    assert status["customStatus"] == {"round": rounds, "state": "done"}


def test_continue_as_new_reaches_the_final_generation(samples_host):
    started = start_orchestration(samples_host, "counter_generations", body={"generation": 0, "stop_at": 4})
    status = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)

    assert status["runtimeStatus"] == "Completed", status
    assert status["output"] == {
        "generations": 4,
        "trail": ["generation 0", "generation 1", "generation 2", "generation 3"],
    }
    # The same instance ID is kept; its input is the one handed to the last continue_as_new.
    assert status["instanceId"] == started["id"]
    assert decoded_input(status) == {
        "generation": 3,
        "stop_at": 4,
        "trail": ["generation 0", "generation 1", "generation 2"],
    }
    # Each new execution's first run shares the episode of the old one's last, as in DurableTask.Core:
    # the start, then one episode per activity result (the last three also start a generation).
    assert episodes_of(samples_host, started["id"]) == 5
    assert episodes_of(samples_host, started["id"], "invocations") == 8


def test_call_activity_with_retry_succeeds_on_the_third_attempt(samples_host, tmp_path):
    started = start_orchestration(
        samples_host, "retry_flaky_activity", body={"dir": str(tmp_path), "fail_times": 2}
    )
    status = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)

    assert status["runtimeStatus"] == "Completed", status
    assert status["output"] == "succeeded on attempt 3"
    assert (tmp_path / "attempts.txt").read_text() == "3"


def test_retry_that_exhausts_its_attempts_fails_the_orchestration_with_the_activity_error(
    samples_host, tmp_path
):
    started = start_orchestration(
        samples_host, "retry_flaky_activity", body={"dir": str(tmp_path), "fail_times": 100}
    )
    status = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)

    assert status["runtimeStatus"] == "Failed", status
    # max_number_of_attempts=3: exactly three attempts, the last one's error is reported.
    assert (tmp_path / "attempts.txt").read_text() == "3"
    assert "flaky_activity attempt 3 failed on purpose" in str(status["output"])


def test_orchestrator_catches_activity_failure_and_compensates(samples_host, tmp_path):
    started = start_orchestration(
        samples_host, "compensate_on_failure", body={"dir": str(tmp_path), "fail_times": 100}
    )
    status = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)

    assert status["runtimeStatus"] == "Completed", status
    output = status["output"]
    assert output["compensated"] is True
    assert output["undo"] == "Hello compensation!"
    assert "flaky_activity attempt 1 failed on purpose" in output["error"]
    # Without a retry policy the activity runs exactly once.
    assert (tmp_path / "attempts.txt").read_text() == "1"


def test_sub_orchestration_results_flow_back_to_the_parent(samples_host):
    instance_id = _unique("parent")
    started = start_orchestration(samples_host, "parent_orchestration", instance_id=instance_id)
    status = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)

    assert status["runtimeStatus"] == "Completed", status
    assert status["output"] == {
        "childInstanceId": f"{instance_id}-child",
        "greetings": ["Hello Tokyo!", "Hello Seattle!", "Hello London!"],
        "squaresSum": 14,
    }

    # The sub-orchestration is an instance of its own, queryable by its ID.
    child_url = started["statusQueryGetUri"].replace(
        f"/instances/{instance_id}", f"/instances/{instance_id}-child"
    )
    child = requests.get(child_url, timeout=30)
    assert child.status_code == 200, child.text
    assert child.json()["runtimeStatus"] == "Completed"
    assert child.json()["name"] == "hello_sequence"
    assert child.json()["output"] == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]


def test_orchestrator_exception_marks_instance_failed_with_message_in_output(samples_host):
    started = start_orchestration(samples_host, "validate_order", body={"customer": "Contoso", "quantity": 0})
    status = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)

    assert status["runtimeStatus"] == "Failed", status
    assert "Order for Contoso has invalid quantity 0" in str(status["output"])


def test_orchestrator_without_exception_completes_for_valid_input(samples_host):
    started = start_orchestration(samples_host, "validate_order", body={"customer": "Contoso", "quantity": 2})
    status = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)

    assert status["runtimeStatus"] == "Completed", status
    assert status["output"] == {"greeting": "Hello Contoso!", "quantity": 2}


def test_new_uuid_is_deterministic_across_replays(samples_host):
    started = start_orchestration(samples_host, "uuid_determinism")
    status = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)

    assert status["runtimeStatus"] == "Completed", status
    output = status["output"]
    # The value sent to the activity in the first episode equals the value regenerated on replay.
    assert output["first"] == output["echoedFirst"]
    assert output["second"] == output["echoedSecond"]
    values = [output["first"], output["second"], output["third"]]
    assert len(set(values)) == 3
    for value in values:
        uuid.UUID(value)

    other = start_orchestration(samples_host, "uuid_determinism")
    other_status = wait_for_terminal(other["statusQueryGetUri"], host=samples_host)
    assert other_status["output"]["first"] != output["first"]


def test_event_raised_before_the_orchestrator_waits_for_it_is_not_lost(samples_host):
    started = start_orchestration(samples_host, "two_step_approval")
    wait_for_status(
        started["statusQueryGetUri"],
        lambda s: s.get("customStatus") == "waiting for First",
        "two_step_approval to wait for First",
        host=samples_host,
    )

    # "Second" arrives while the orchestrator still waits for "First": it is kept until asked for.
    second = requests.post(event_url(started, "Second"), json="two", timeout=30)
    assert second.status_code == 202, second.text
    first = requests.post(event_url(started, "First"), json="one", timeout=30)
    assert first.status_code == 202, first.text

    status = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)
    assert status["runtimeStatus"] == "Completed", status
    assert status["output"] == ["one", "two"]


def test_concurrent_orchestrations_each_get_their_own_results(samples_host):
    counts = [1, 2, 3, 4, 5, 6]
    started = [start_orchestration(samples_host, "fan_out_fan_in", body={"count": n}) for n in counts]
    chains = [start_orchestration(samples_host, "hello_sequence") for _ in range(3)]

    for n, instance in zip(counts, started, strict=True):
        status = wait_for_terminal(instance["statusQueryGetUri"], host=samples_host)
        assert status["runtimeStatus"] == "Completed", status
        assert status["output"] == {
            "results": [k * k for k in range(1, n + 1)],
            "sum": sum(k * k for k in range(1, n + 1)),
        }
    for instance in chains:
        status = wait_for_terminal(instance["statusQueryGetUri"], host=samples_host)
        assert status["output"] == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]
    assert len({instance["id"] for instance in started + chains}) == len(counts) + 3
