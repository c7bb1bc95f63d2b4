"""A real Azurite (the Storage emulator from npm) on free ports, for tests and benchmarks."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
AZURITE = REPO_ROOT / "node_modules" / ".bin" / "azurite"
STARTUP_TIMEOUT_SECONDS = 30.0
# Azurite's fixed development account; the key is public and documented, not a secret.
DEV_ACCOUNT = "devstoreaccount1"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


class AzuriteError(RuntimeError):
    pass


@dataclass(frozen=True)
class Azurite:
    blob_port: int
    queue_port: int
    table_port: int

    @property
    def connection_string(self) -> str:
        base = f"http://127.0.0.1:{{}}/{DEV_ACCOUNT}"
        return (
            f"DefaultEndpointsProtocol=http;AccountName={DEV_ACCOUNT};AccountKey={DEV_KEY};"
            f"BlobEndpoint={base.format(self.blob_port)};"
            f"QueueEndpoint={base.format(self.queue_port)};"
            f"TableEndpoint={base.format(self.table_port)};"
        )


@contextmanager
def running_azurite(workdir: Path) -> Iterator[Azurite]:
    """An in-memory Azurite on three free ports, stopped on leaving."""
    process = AzuriteProcess(workdir)
    try:
        process.start()
        yield process.ports
    finally:
        process.stop()


class AzuriteProcess:
    """One Azurite on three free ports that can be stopped and started again on the same ports: in
    memory, or kept on disk under ``workdir/data`` (``persistent``) so that a restart finds what was
    written (for tests of storage outages)."""

    def __init__(self, workdir: Path, persistent: bool = False) -> None:
        if not AZURITE.exists():
            raise AzuriteError("Azurite is not installed: run ./dev test (or npm ci)")
        self.workdir, self.persistent = workdir, persistent
        self.ports = Azurite(*_free_ports(3))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        ports, log_path = self.ports, self.workdir / "azurite.log"
        storage = ["--location", str(self.workdir / "data")] if self.persistent else ["--inMemoryPersistence"]
        # fmt: off
        command = [
            str(AZURITE), *storage, "--skipApiVersionCheck", "--loose", "--silent",
            "--disableTelemetry",  # tests must not phone home
            "--blobHost", "127.0.0.1", "--blobPort", str(ports.blob_port),
            "--queueHost", "127.0.0.1", "--queuePort", str(ports.queue_port),
            "--tableHost", "127.0.0.1", "--tablePort", str(ports.table_port),
        ]
        # fmt: on
        # Output goes to a file, not a pipe: nobody drains a pipe while tests run, and a full one blocks
        # Azurite.
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT)
        _wait_until_listening(self.process, ports, log_path)

    def stop(self) -> None:
        """SIGTERM: Azurite saves what it holds and closes its connections (in-flight requests end)."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def _free_ports(count: int) -> list[int]:
    # Holding all sockets open together makes the OS hand out distinct ports.
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _wait_until_listening(process: subprocess.Popen[bytes], ports: Azurite, log_path: Path) -> None:
    pending = {ports.blob_port, ports.queue_port, ports.table_port}
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while pending:
        if process.poll() is not None:
            raise AzuriteError(
                f"Azurite exited with code {process.returncode} before listening on {sorted(pending)}.\n"
                f"Azurite output:\n{log_path.read_text(errors='replace')}"
            )
        if time.monotonic() > deadline:
            raise AzuriteError(
                f"Azurite did not listen on {sorted(pending)} within {STARTUP_TIMEOUT_SECONDS:.0f}s.\n"
                f"Azurite output:\n{log_path.read_text(errors='replace')}"
            )
        for port in sorted(pending):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                pending.discard(port)
            except OSError:
                pass
        time.sleep(0.05)
