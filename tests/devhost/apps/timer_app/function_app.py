"""Timer-triggered functions that write down each run, and an HTTP route to read what ran.

Each run appends a JSON line (function, past_due, the host's pid, the time) to
``TIMER_RUNS_DIR/<function>.jsonl``; the directory is an app setting (local.settings.json, relative
to this app, or the environment).
"""

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

_lock = threading.Lock()


def _runs_dir() -> Path:
    directory = Path(os.environ["TIMER_RUNS_DIR"])
    if not directory.is_absolute():
        directory = Path(__file__).resolve().parent / directory
    return directory


def _record(function: str, timer: func.TimerRequest) -> None:
    line = {
        "function": function,
        "past_due": timer.past_due,
        "pid": os.getpid(),
        "at": datetime.now(UTC).isoformat(),
        "schedule_status": timer.schedule_status,
    }
    directory = _runs_dir()
    with _lock:
        directory.mkdir(parents=True, exist_ok=True)
        with open(directory / f"{function}.jsonl", "a") as runs:
            runs.write(json.dumps(line) + "\n")


@app.timer_trigger(schedule="*/2 * * * * *", arg_name="timer")
def every_two_seconds(timer: func.TimerRequest) -> None:
    _record("every_two_seconds", timer)


@app.timer_trigger(schedule="0 0 0 1 1 *", arg_name="timer", run_on_startup=True)
def on_startup(timer: func.TimerRequest) -> None:
    _record("on_startup", timer)


# Daily (the schedule is an app setting, as %NAME%): in tests it runs only on demand.
@app.timer_trigger(schedule="%DAILY_SCHEDULE%", arg_name="timer")
async def daily_report(timer: func.TimerRequest) -> None:
    _record("daily_report", timer)


# Monitored although it fires more than once a minute, so a restart can show a missed occurrence.
@app.timer_trigger(schedule="*/3 * * * * *", arg_name="timer", use_monitor=True)
def monitored(timer: func.TimerRequest, context: func.Context) -> None:
    assert context.function_name == "monitored"
    _record("monitored", timer)


@app.timer_trigger(schedule="*/2 * * * * *", arg_name="timer")
def failing(timer: func.TimerRequest) -> None:
    _record("failing", timer)
    raise RuntimeError("this timer function always fails")


@app.route(route="runs/{function}", methods=["GET"])
def runs(req: func.HttpRequest) -> func.HttpResponse:
    path = _runs_dir() / f"{req.route_params['function']}.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return func.HttpResponse(json.dumps([json.loads(line) for line in lines]), mimetype="application/json")
