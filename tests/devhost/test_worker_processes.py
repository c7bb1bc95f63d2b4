"""FUNCTIONS_WORKER_PROCESS_COUNT (devhost/worker_processes.py): with more than one, orchestrator
episodes and activities run in worker processes that each load the app, with the same results and
failure messages as in the host process; a value the Functions host refuses stops devhost."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devhost.worker_processes import WORKER_COUNT_SETTING, worker_process_count
from tests.devhost.helpers import (
    DURABLE_SAMPLES_APP,
    DevHost,
    serve_until_exit,
    start_orchestration,
    wait_for_terminal,
)


@pytest.fixture(scope="module")
def two_process_host(tmp_path_factory) -> Iterator[DevHost]:
    root = tmp_path_factory.mktemp("worker-processes")
    environment = {WORKER_COUNT_SETTING: "2"}
    with DevHost(DURABLE_SAMPLES_APP, root / "data", root / "logs", environment=environment) as host:
        yield host


def test_episodes_and_activities_run_in_a_worker_process(two_process_host):
    started = start_orchestration(two_process_host, "process_probe")
    status = wait_for_terminal(started["statusQueryGetUri"], host=two_process_host)

    assert status["runtimeStatus"] == "Completed", status
    assert two_process_host.process is not None
    host_pid = two_process_host.process.pid
    assert status["output"]["activity"] == status["output"]["orchestrator"] != host_pid


def test_a_continue_as_new_chain_counts_the_same_in_a_worker_process(two_process_host):
    body = {"generation": 0, "stop_at": 4}
    started = start_orchestration(two_process_host, "counter_generations", body=body)
    status = wait_for_terminal(started["statusQueryGetUri"], host=two_process_host)

    assert status["runtimeStatus"] == "Completed", status
    assert status["output"]["trail"] == [f"generation {n}" for n in range(4)]


def test_an_activity_that_raises_in_a_worker_process_fails_with_its_type_and_message(
    two_process_host, tmp_path
):
    body = {"dir": str(tmp_path), "fail_times": 100}
    started = start_orchestration(two_process_host, "retry_flaky_activity", body=body)
    status = wait_for_terminal(started["statusQueryGetUri"], host=two_process_host)

    assert status["runtimeStatus"] == "Failed", status
    assert (tmp_path / "attempts.txt").read_text() == "3"
    assert "RuntimeError: flaky_activity attempt 3 failed on purpose" in str(status["output"])


@pytest.mark.parametrize("value", ["0", "11", "two"])
def test_a_count_the_functions_host_refuses_stops_devhost_with_the_reason(tmp_path, value):
    finished = serve_until_exit(DURABLE_SAMPLES_APP, tmp_path, {WORKER_COUNT_SETTING: value})

    assert finished.returncode == 2, finished.stderr
    assert f"{WORKER_COUNT_SETTING} must be a whole number from 1 to 10, not '{value}'." in finished.stderr


def test_unset_is_one_process():
    assert worker_process_count({}) == 1
    assert worker_process_count({WORKER_COUNT_SETTING: " 3 "}) == 3
