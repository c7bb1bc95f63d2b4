"""The real tool-socket worker (``python -m workers.tool_sockets``) as a subprocess on a free port."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.devhost.helpers import REPO_ROOT, free_port, terminate

STARTUP_TIMEOUT_S = 20.0


class ToolSocketsWorker:
    def __init__(
        self, app_url: str, log_dir: Path, *, port: int | None = None, environment: str = "local"
    ) -> None:
        self.app_url, self.log_dir, self.environment = app_url, log_dir, environment
        self.port = port or free_port()
        self.secret = secrets.token_urlsafe(32)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def app_environment(self) -> dict[str, str]:
        """What the app needs to use this worker."""
        return {"OMNI_TOOL_SOCKETS_URL": self.url, "OMNI_TOOL_SOCKETS_SECRET": self.secret}

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}

    def start(self) -> ToolSocketsWorker:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "OMNI_ENVIRONMENT": self.environment,
            "OMNI_APP_URL": self.app_url,
            "OMNI_TOOL_SOCKETS_SECRET": self.secret,
            "PYTHONUNBUFFERED": "1",
        }
        command = [sys.executable, "-m", "workers.tool_sockets", "--port", str(self.port)]
        with open(self.log_dir / "tool-sockets.log", "wb") as log:
            self.process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the tool-socket worker exited with {self.process.returncode}")
            try:
                requests.delete(f"{self.url}/sessions/probe", headers=self.headers, timeout=2)
                return self
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the tool-socket worker did not start")

    def stop(self) -> None:
        if self.process is None:
            return
        terminate(self.process)
        self.process = None
