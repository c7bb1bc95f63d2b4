"""How much does devhost add to each orchestration step, next to the SDK's own replay?

Runs orchestrations through devhost's durable engine (SQLite task hub, real dispatcher, real
activities) and, for every episode, also times the call into the SDK's orchestrator (the replay of
the history JSON into actions). Prints, from one run, per orchestration shape:

    episodes   host ms/step   SDK replay ms/step   host/SDK ratio

"host ms/step" is wall time of the whole orchestration divided by its episodes (everything devhost
does: storage, dispatch, activities, plus the SDK); "SDK replay ms/step" is the time spent inside the
SDK per episode. Run: ``.venv/bin/python benchmarks/devhost_overhead.py``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from devhost.app_loader import load_app  # noqa: E402
from devhost.server import FunctionHost  # noqa: E402

APP_DIR = Path(__file__).resolve().parent / "devhost_app"
SHAPES = [("chain", 10), ("chain", 50), ("chain", 200), ("fan_out", 10), ("fan_out", 100), ("fan_out", 500)]


class TimedOrchestrator:
    """Wraps the SDK entry point to count episodes and the time spent inside the SDK."""

    def __init__(self, run):
        self.run = run
        self.calls = 0
        self.seconds = 0.0

    def __call__(self, context_json: str) -> str:
        started = time.perf_counter()
        try:
            return self.run(context_json)
        finally:
            self.seconds += time.perf_counter() - started
            self.calls += 1


async def measure(host: FunctionHost, name: str, size: int) -> tuple[int, float, float]:
    timed = TimedOrchestrator(host.engine.catalog.orchestrators[name])
    host.engine.catalog.orchestrators[name] = timed
    try:
        started = time.perf_counter()
        _, instance_id = host.engine.start_new(name, None, str(size))
        while True:
            instance = host.store.get_instance(instance_id)
            if instance and instance.is_terminal:
                break
            await asyncio.sleep(0.001)
        elapsed = time.perf_counter() - started
        assert instance.runtime_status == "Completed", instance.output
    finally:
        host.engine.catalog.orchestrators[name] = timed.run
    return timed.calls, elapsed, timed.seconds


async def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        host = FunctionHost(load_app(APP_DIR), Path(data_dir), port=0)
        await host.engine.start()
        try:
            await measure(host, "chain", 5)  # warm-up: imports, SQLite pages, thread pools
            print(
                f"{'orchestration':<16}{'episodes':>9}{'host ms/step':>15}{'SDK ms/step':>14}{'host/SDK':>10}"
            )
            for name, size in SHAPES:
                episodes, wall, sdk = await measure(host, name, size)
                per_step, sdk_per_step = wall / episodes * 1000, sdk / episodes * 1000
                print(
                    f"{name + f'({size})':<16}{episodes:>9}{per_step:>15.3f}{sdk_per_step:>14.3f}"
                    f"{per_step / sdk_per_step:>10.1f}"
                )
        finally:
            await host.engine.stop()
            host.store.close()


if __name__ == "__main__":
    asyncio.run(main())
