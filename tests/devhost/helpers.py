"""Helpers that run sample Function apps under devhost as a real subprocess.

Everything here talks to the host over HTTP only, exactly like a client of
``func start`` would, so the tests also describe the real Azure Functions host.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
APPS_DIR = Path(__file__).resolve().parent / "apps"
DURABLE_SAMPLES_APP = APPS_DIR / "durable_samples"
BLUEPRINT_APP = APPS_DIR / "blueprint_app"
NAMED_APP = APPS_DIR / "named_app"  # its app object is `myApp`

STARTUP_TIMEOUT_S = 30.0
ORCHESTRATION_TIMEOUT_S = 60.0
POLL_INTERVAL_S = 0.2
TERMINAL_STATUSES = frozenset({"Completed", "Failed", "Terminated", "Canceled"})
DURABLE_WEBHOOKS = "/runtime/webhooks/durabletask"
# Where devhost keeps its host keys (the shape of the Functions host's secrets/host.json).
HOST_KEYS_FILE = "host-keys.json"

# Environment variables handed to every host; one of them collides with local.settings.json
# on purpose (an existing environment variable must win over local.settings.json).
HOST_ENVIRONMENT = {"SAMPLE_OVERRIDDEN": "from-process-environment"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class DevHost:
    """A devhost subprocess serving one app directory with one data directory."""

    app_dir: Path
    data_dir: Path
    log_dir: Path
    port: int = field(default_factory=free_port)
    environment: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    generation: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def host_keys(self) -> dict[str, str]:
        """The master key and system keys the host made on its first start ({} before that).

        Read from the data dir each time: a host started on the same data dir keeps its keys.
        """
        path = self.data_dir / HOST_KEYS_FILE
        if not path.exists():
            return {}
        stored = json.loads(path.read_text())
        keys = {"master": stored["masterKey"]["value"]}
        keys.update({key["name"]: key["value"] for key in stored.get("systemKeys", [])})
        return keys

    @property
    def master_key(self) -> str:
        return self.host_keys()["master"]

    @property
    def durable_key(self) -> str:
        """The ``durabletask_extension`` system key: the durable HTTP API only, as in the host."""
        return self.host_keys()["durabletask_extension"]

    def admin_headers(self) -> dict[str, str]:
        """The master key as the host reads it: ``/admin/*`` and the durable HTTP API need it."""
        master = self.host_keys().get("master")
        return {"x-functions-key": master} if master else {}

    def _log_paths(self) -> tuple[Path, Path]:
        return (
            self.log_dir / f"devhost-{self.generation}.stdout.log",
            self.log_dir / f"devhost-{self.generation}.stderr.log",
        )

    def output(self) -> str:
        stdout_path, stderr_path = self._log_paths()
        parts = []
        for label, path in (("stdout", stdout_path), ("stderr", stderr_path)):
            text = path.read_text(errors="replace") if path.exists() else "<missing>"
            parts.append(f"----- devhost {label} ({path}) -----\n{text[-20000:]}")
        return "\n".join(parts)

    def start(self) -> None:
        assert self.process is None, "devhost already running"
        self.generation += 1
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        stdout_path, stderr_path = self._log_paths()
        env = {**os.environ, **HOST_ENVIRONMENT, **self.environment, "PYTHONUNBUFFERED": "1"}
        cmd = [
            sys.executable,
            "-m",
            "devhost",
            "serve",
            "--app-dir",
            str(self.app_dir),
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
        ]
        with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                cmd, cwd=REPO_ROOT, env=env, stdout=out, stderr=err, start_new_session=True
            )
        self._wait_until_running()

    def _wait_until_running(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        last_error: str = "no answer yet"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"devhost exited with code {self.process.returncode} before it was ready\n"
                    + self.output()
                )
            try:
                response = requests.get(
                    self.url("/admin/host/status"), headers=self.admin_headers(), timeout=2
                )
                if response.status_code == 200 and response.json().get("state") == "Running":
                    return
                last_error = f"HTTP {response.status_code}: {response.text[:500]}"
            except (requests.RequestException, ValueError) as error:
                last_error = repr(error)
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"devhost did not report state Running within {STARTUP_TIMEOUT_S}s (last: {last_error})\n"
            + self.output()
        )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Stop the host abruptly (SIGKILL by default), as a crash would.

        The signal goes to the host's whole process group (it was started in a new session),
        so worker processes it may have spawned die with it.
        """
        assert self.process is not None
        self._signal_group(sig)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.process.wait(timeout=15)
        self._signal_group(signal.SIGKILL)  # leftovers of the group, if any
        self.process = None

    def _signal_group(self, sig: int) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)

    def __enter__(self) -> DevHost:
        """``with DevHost(...) as host:`` starts it and stops it however the block ends."""
        self.start()
        return self

    def __exit__(self, *_exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process is None:
            return
        terminate(self.process)
        self._signal_group(signal.SIGKILL)  # leftovers of the group, if any
        self.process = None

    def restart_on_new_port(self) -> None:
        """Start a fresh host process on the same app and data dir, on a new port."""
        assert self.process is None, "kill or stop the running host first"
        self.port = free_port()
        self.start()

    def rebase(self, url: str) -> str:
        """Point a management URL issued by an earlier host process at the current one."""
        parts = urlsplit(url)
        return urlunsplit(parts._replace(netloc=f"127.0.0.1:{self.port}"))


# ---------------------------------------------------------------------------
# Durable Functions HTTP API helpers
# ---------------------------------------------------------------------------


def start_orchestration(
    host: DevHost, function_name: str, body: Any = None, instance_id: str | None = None
) -> dict:
    """Start an orchestration through the app's HTTP starter; return the check-status payload."""
    path = f"/api/orchestrators/{function_name}"
    if instance_id:
        path += f"/{instance_id}"
    kwargs = {} if body is None else {"json": body}
    response = requests.post(host.url(path), timeout=30, **kwargs)
    assert response.status_code == 202, (
        f"starter answered {response.status_code}: {response.text}\n{host.output()}"
    )
    payload = response.json()
    for key in ("id", "statusQueryGetUri", "sendEventPostUri", "terminatePostUri", "purgeHistoryDeleteUri"):
        assert key in payload, f"check-status payload lacks {key}: {payload}"
    return payload


def get_status(status_url: str, **params: Any) -> requests.Response:
    return requests.get(status_url, params=params or None, timeout=30)


def wait_for_terminal(
    status_url: str, timeout: float = ORCHESTRATION_TIMEOUT_S, host: DevHost | None = None, **params: Any
) -> dict:
    """Poll a statusQueryGetUri until the instance reaches a terminal runtimeStatus."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        response = get_status(status_url, **params)
        if response.status_code in (200, 202, 400, 500):
            last = response.json()
            if last.get("runtimeStatus") in TERMINAL_STATUSES:
                return last
        else:
            last = f"HTTP {response.status_code}: {response.text[:500]}"
        time.sleep(POLL_INTERVAL_S)
    details = host.output() if host else ""
    raise AssertionError(f"instance did not finish within {timeout}s; last status: {last}\n{details}")


def wait_for_status(
    status_url: str,
    predicate,
    description: str,
    timeout: float = ORCHESTRATION_TIMEOUT_S,
    host: DevHost | None = None,
) -> dict:
    """Poll a statusQueryGetUri until ``predicate(status_json)`` holds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        response = get_status(status_url)
        if response.status_code != 404:
            last = response.json()
            if predicate(last):
                return last
            if last.get("runtimeStatus") in TERMINAL_STATUSES:
                raise AssertionError(f"instance ended before {description}: {last}")
        time.sleep(POLL_INTERVAL_S)
    details = host.output() if host else ""
    raise AssertionError(f"timed out waiting for {description}; last status: {last}\n{details}")


def decoded_input(status: dict) -> Any:
    """The instance input from a status payload.

    The Python SDK's ``client.start_new`` (and ``continue_as_new``) send the input already
    JSON-encoded as a string, so on the real host the status API shows such inputs as a JSON
    string; instances started with a raw JSON body show the value itself. Accept both.
    """
    value = status.get("input")
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def event_url(check_status: dict, event_name: str) -> str:
    return check_status["sendEventPostUri"].replace("{eventName}", event_name)


def terminate_url(check_status: dict, reason: str) -> str:
    return check_status["terminatePostUri"].replace("{text}", reason)


def terminate(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if the process is still there after 10 seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def serve_until_exit(
    app_dir: Path, tmp_path: Path, environment: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``devhost serve`` for an app it refuses at start: how it exits (code, stdout, stderr)."""
    command = [sys.executable, "-m", "devhost", "serve", "--app-dir", str(app_dir)]
    command += ["--port", str(free_port()), "--data-dir", str(tmp_path / "data")]
    env = {**os.environ, **(environment or {})}
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)
