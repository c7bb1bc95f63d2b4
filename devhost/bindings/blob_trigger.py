"""Blob triggers: scan the container of each blob-triggered function and run it once per new or changed blob.

As the host's blob trigger (the polling kind, ``source`` LogsAndContainerScan):

- A blob whose name fits the path pattern (``samples/{name}.txt``) runs the function once per version
  (ETag): a new blob, and again when it is overwritten. Blobs there before the start run too, unless
  already processed.
- Each success leaves a receipt in the account, where the host keeps its own:
  ``azure-webjobs-hosts/blobreceipts/<hostId>/Host.Functions.<function>/<etag>/<container>/<blob>``,
  so a blob is processed once across restarts. The host id is ``AzureFunctionsWebHost__hostid`` when
  set, else ``devhost-<app folder>``.
- A failing blob is tried again at the next scans, up to ``maxDequeueCount`` (5, ``extensions.queues``)
  tries; then a message naming it goes to the ``webjobs-blobtrigger-poison`` queue and a receipt marks it
  poisoned, so it is not tried again until it changes.
- The function gets ``func.InputStream`` (``name`` = ``container/blob``, ``uri``, ``length``,
  ``blob_properties``, ``metadata``) or the content as ``str``/``bytes``; binding expressions see the
  pattern's names (``{name}``) and ``{blobTrigger}``.

Difference: the host scans a container every ~10 s (and reads storage logs); devhost scans every
second, and reads the whole listing each time (fine for local data).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import uuid
from pathlib import Path
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.functions import meta
from azure.storage.blob import BlobProperties

from .expressions import compile_blob_pattern
from .invocation import decode_value, encode_message
from .loops import FunctionLoops, Invoke
from .queue_trigger import QueueSettings
from .spec import TriggeredFunction

log = logging.getLogger("devhost.blobs")

SCAN_INTERVAL_S = 1.0
HOSTS_CONTAINER = "azure-webjobs-hosts"
POISON_QUEUE = "webjobs-blobtrigger-poison"


def host_id(app_dir: Path) -> str:
    configured = os.environ.get("AzureFunctionsWebHost__hostid", "")  # noqa: SIM112 - the host's spelling.strip()
    if configured:
        return configured.lower()[:32]
    return ("devhost-" + re.sub(r"[^a-z0-9-]", "-", app_dir.name.lower())).strip("-")[:32]


class BlobTriggerListener(FunctionLoops):
    """One scanning loop per blob-triggered function."""

    def __init__(
        self, functions: list[TriggeredFunction], settings: QueueSettings, invoke: Invoke, app_dir: Path
    ) -> None:
        super().__init__(functions)
        self.settings = settings
        self._invoke = invoke
        self._host_id = host_id(app_dir)
        self._failures: dict[tuple[str, str], int] = {}  # (function, receipt) -> failed tries
        self._receipts: set[str] = set()  # receipts seen in storage: not asked for again each scan

    async def _loop(self, function: TriggeredFunction) -> None:
        while True:
            try:
                await self.scan(function)
            except asyncio.CancelledError:
                raise
            except AzureError as error:
                log.warning("Scanning blobs for '%s' failed: %s", function.name, error)
            await asyncio.sleep(SCAN_INTERVAL_S)

    async def scan(self, function: TriggeredFunction) -> None:
        """One pass: run the function for every matching blob version without a receipt."""
        pattern = compile_blob_pattern(str(function.trigger.settings["path"]))
        connection = function.trigger.connection
        assert connection is not None
        container = connection.blobs().get_container_client(pattern.container)
        try:
            listed = await asyncio.to_thread(
                lambda: list(
                    container.list_blobs(name_starts_with=pattern.prefix or None, include=["metadata"])
                )
            )
        except ResourceNotFoundError:
            return  # no container yet
        for blob in listed:
            names = pattern.match(blob.name)
            if names is None:
                continue
            receipt = self._receipt_name(function, pattern.container, blob)
            if receipt in self._receipts:
                continue
            if await asyncio.to_thread(self._has_receipt, function, receipt):
                self._receipts.add(receipt)
                continue
            await self._run(function, pattern.container, blob, names, receipt)

    async def _run(
        self,
        function: TriggeredFunction,
        container_name: str,
        blob: BlobProperties,
        names: dict[str, str],
        receipt: str,
    ) -> None:
        connection = function.trigger.connection
        assert connection is not None
        client = connection.blobs().get_blob_client(container_name, blob.name)
        try:
            # The version listed, so that its receipt names what ran.
            downloader = await asyncio.to_thread(
                client.download_blob, etag=blob.etag, match_condition=MatchConditions.IfNotModified
            )
            content = bytes(await asyncio.to_thread(downloader.readall))
        except (ResourceNotFoundError, ResourceModifiedError):
            return  # deleted or changed since the listing: the next scan sees what is there
        path = f"{container_name}/{blob.name}"
        properties = {
            "Length": blob.size,
            "ContentLength": blob.size,
            "ContentType": blob.content_settings.content_type if blob.content_settings else None,
            "ETag": blob.etag,
            "LastModified": blob.last_modified.isoformat() if blob.last_modified else None,
            "BlobType": str(getattr(blob.blob_type, "value", blob.blob_type)),
        }
        metadata = {
            "BlobTrigger": meta.Datum(path, "string"),
            "Uri": meta.Datum(client.url, "string"),
            "Properties": meta.Datum(json.dumps(properties), "json"),
            "Metadata": meta.Datum(json.dumps(dict(blob.metadata or {})), "json"),
        }
        argument = decode_value(function.trigger, meta.Datum(content, "bytes"), metadata)
        binding_data: dict[str, Any] = {
            **names,
            "BlobTrigger": path,
            "Uri": client.url,
            "Properties": properties,
            "Metadata": dict(blob.metadata or {}),
        }
        invocation_id = str(uuid.uuid4())
        key = (function.name, receipt)
        try:
            await self._invoke(function, argument, binding_data, invocation_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            tries = self._failures.get(key, 0) + 1
            self._failures[key] = tries
            log.exception(
                "Executed 'Functions.%s' (Failed, Id=%s, blob '%s', try %d)",
                function.name,
                invocation_id,
                path,
                tries,
            )
            if tries >= self.settings.max_dequeue_count:
                await asyncio.to_thread(self._poison, function, container_name, blob, receipt)
                self._failures.pop(key, None)
            return
        self._failures.pop(key, None)
        await asyncio.to_thread(self._write_receipt, function, receipt, {"completed": "true"})

    # -- receipts --------------------------------------------------------------------------------

    def _receipt_name(self, function: TriggeredFunction, container_name: str, blob: BlobProperties) -> str:
        etag = str(blob.etag).strip('"')
        return (
            f"blobreceipts/{self._host_id}/Host.Functions.{function.name}/{etag}/{container_name}/{blob.name}"
        )

    def _has_receipt(self, function: TriggeredFunction, receipt: str) -> bool:
        connection = function.trigger.connection
        assert connection is not None
        return bool(connection.blobs().get_blob_client(HOSTS_CONTAINER, receipt).exists())

    def _write_receipt(self, function: TriggeredFunction, receipt: str, metadata: dict[str, str]) -> None:
        connection = function.trigger.connection
        assert connection is not None
        service = connection.blobs()
        with contextlib.suppress(ResourceExistsError):
            service.create_container(HOSTS_CONTAINER)
        service.get_blob_client(HOSTS_CONTAINER, receipt).upload_blob(b"", overwrite=True, metadata=metadata)
        self._receipts.add(receipt)

    def _poison(
        self, function: TriggeredFunction, container_name: str, blob: BlobProperties, receipt: str
    ) -> None:
        connection = function.trigger.connection
        assert connection is not None
        queue = connection.queues().get_queue_client(POISON_QUEUE)
        with contextlib.suppress(ResourceExistsError):
            queue.create_queue()
        message = {
            "Type": "BlobTrigger",
            "FunctionId": f"Host.Functions.{function.name}",
            "BlobType": "BlockBlob",
            "ContainerName": container_name,
            "BlobName": blob.name,
            "ETag": blob.etag,
        }
        queue.send_message(encode_message(json.dumps(message), self.settings.message_encoding))
        self._write_receipt(function, receipt, {"completed": "true", "poisoned": "true"})
        log.warning(
            "Blob '%s/%s' failed %d times in '%s': moved to the '%s' queue.",
            container_name,
            blob.name,
            self.settings.max_dequeue_count,
            function.name,
            POISON_QUEUE,
        )
