"""Worker processes for durable work (``FUNCTIONS_WORKER_PROCESS_COUNT``).

The Functions host can start several language worker processes for a Python app, so that functions
that need CPU do not all wait for one interpreter lock. Here the host process keeps HTTP, timer and
storage triggers, the task hub and the stand-ins, and with a count of N, N - 1 worker processes, each
with the app loaded, run orchestrator episodes and activities (an activity with storage bindings stays
in the host process, which serves those bindings). The default, 1, runs every function in the host
process. In Azure any function may run in any worker process, so an app cannot tell this split apart
from the host's; like there, nothing in memory is shared between processes.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import traceback
from collections.abc import Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from .app_loader import FunctionIndex, load_app
from .function_calls import WorkerFailure, call_activity, orchestrate

WORKER_COUNT_SETTING = "FUNCTIONS_WORKER_PROCESS_COUNT"
MAX_WORKER_PROCESSES = 10  # the Functions host's limit for the setting


def worker_process_count(environ: Mapping[str, str]) -> int:
    """The setting's value, 1 when unset; anything but a whole number from 1 to 10 is refused."""
    value = environ.get(WORKER_COUNT_SETTING, "").strip()
    if not value:
        return 1
    if not value.isdigit() or not 1 <= int(value) <= MAX_WORKER_PROCESSES:
        raise ValueError(
            f"{WORKER_COUNT_SETTING} must be a whole number from 1 to {MAX_WORKER_PROCESSES}, not {value!r}."
        )
    return int(value)


Outcome = tuple[str, Any, Any, Any]  # ("ok", result, None, None) | ("failed", type name, message, traceback)


class WorkerProcesses:
    def __init__(self, app_dir: Path, count: int) -> None:
        self.count = count
        self._pool = ProcessPoolExecutor(
            count,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_load,
            initargs=(str(app_dir),),
        )

    def warm(self) -> list[Future[None]]:
        """Start the processes now (each loads the app) rather than on the first episode."""
        return [self._pool.submit(_ready) for _ in range(self.count)]

    def run_orchestrator(self, name: str, context_json: str) -> str:
        result: str = _unwrap(self._pool.submit(_orchestrate, name, context_json).result())
        return result

    async def run_activity(self, name: str, input_json: str | None) -> str:
        result: str = _unwrap(await asyncio.wrap_future(self._pool.submit(_activity, name, input_json)))
        return result

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _unwrap(outcome: Outcome) -> Any:
    status, value, message, details = outcome
    if status == "failed":
        raise WorkerFailure(value, message, details)
    return value


# -- in a worker process -------------------------------------------------------------------------

_index: FunctionIndex | None = None


def _load(app_dir: str) -> None:
    global _index
    _index = load_app(Path(app_dir))


def _ready() -> None:
    return None


def _orchestrate(name: str, context_json: str) -> Outcome:
    assert _index is not None
    try:
        return ("ok", orchestrate(_index.orchestrators[name], context_json), None, None)
    except Exception as error:
        return _failed(error)


def _activity(name: str, input_json: str | None) -> Outcome:
    assert _index is not None
    try:
        return ("ok", call_activity(_index.activities[name], input_json, str(_index.app_dir)), None, None)
    except Exception as error:
        return _failed(error)


def _failed(error: Exception) -> Outcome:
    return ("failed", type(error).__name__, str(error), "".join(traceback.format_exception(error)))
