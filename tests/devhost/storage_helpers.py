"""Helpers of the storage binding and trigger tests: the bindings app's environment, and Azurite
queues and blobs read with the official SDK clients."""

from __future__ import annotations

import base64
import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient

from tests.azurite import Azurite
from tests.devhost.helpers import APPS_DIR, DevHost

BINDINGS_APP = APPS_DIR / "bindings_app"
WAIT_S = 30.0


def storage_environment(azurite: Azurite) -> dict[str, str]:
    return {"AzureWebJobsStorage": azurite.connection_string, "BindingsStorage": azurite.connection_string}


@contextlib.contextmanager
def running_storage_host(app_dir: Path, azurite: Azurite, root: Path) -> Iterator[DevHost]:
    """A devhost serving ``app_dir`` against ``azurite`` (data and logs under ``root``), stopped after."""
    with DevHost(app_dir, root / "data", root / "logs", environment=storage_environment(azurite)) as host:
        yield host


def queues(azurite: Azurite) -> QueueServiceClient:
    return QueueServiceClient.from_connection_string(azurite.connection_string)


def blobs(azurite: Azurite) -> BlobServiceClient:
    return BlobServiceClient.from_connection_string(azurite.connection_string)


def wait_until(condition: Callable[[], Any], description: str, host: DevHost, timeout: float = WAIT_S) -> Any:
    """Poll until ``condition()`` is truthy (bounded); its value is returned."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {description}\n{host.output()}")


def drain(azurite: Azurite, queue_name: str) -> list[str]:
    """Every message on a queue, base64-decoded (the host's default messageEncoding), then deleted."""
    queue = queues(azurite).get_queue_client(queue_name)
    texts = []
    try:
        for message in queue.receive_messages(messages_per_page=32):
            texts.append(base64.b64decode(message.content).decode())
            queue.delete_message(message)
    except ResourceNotFoundError:
        pass  # not made yet
    return texts


def collect(azurite: Azurite, queue_name: str, count: int, host: DevHost) -> list[str]:
    found: list[str] = []

    def enough() -> bool:
        found.extend(drain(azurite, queue_name))
        return len(found) >= count

    wait_until(enough, f"{count} message(s) on '{queue_name}'", host)
    return found


def peek(azurite: Azurite, queue_name: str) -> list[Any]:
    try:
        return list(queues(azurite).get_queue_client(queue_name).peek_messages(max_messages=32))
    except ResourceNotFoundError:
        return []


def send(azurite: Azurite, queue_name: str, text: str, *, encode: bool = True) -> None:
    queue = queues(azurite).get_queue_client(queue_name)
    with contextlib.suppress(ResourceExistsError):
        queue.create_queue()
    queue.send_message(base64.b64encode(text.encode()).decode() if encode else text)
