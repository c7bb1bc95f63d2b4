"""Blobs in one container: bytes with a content type, and short-lived read links.

Blob names are '/'-separated and start with the owning project's id (``project_blob_name``), so one
project's files never share a name with another's.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from azure.core.credentials import TokenCredential
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import (
    BlobSasPermissions,
    BlobServiceClient,
    ContainerClient,
    ContentSettings,
    CorsRule,
    generate_blob_sas,
)

from shared.storage.errors import NotFound, StorageError
from shared.storage.names import check_blob_name, check_container_name, check_key

# Start links a little in the past: the storage service's clock may be behind ours.
_CLOCK_SKEW = timedelta(minutes=5)
# A user delegation key (and so a link signed with one) lives at most seven days.
MAX_READ_URL_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class Blob:
    data: bytes
    content_type: str
    etag: str = ""  # the version read (it changes with every write)


def project_blob_name(project_id: str, *parts: str) -> str:
    """``project_id/part/part...``; each part is one path segment, so it may not contain '/'."""
    check_key(project_id, "project id")
    if not parts:
        raise ValueError("A blob name needs at least one part after the project id.")
    for part in parts:
        if not part or "/" in part:
            raise ValueError(f"Invalid blob name part {part!r}: it must be non-empty and contain no '/'.")
    return check_blob_name("/".join((project_id, *parts)))


class BlobStore:
    """Blobs of one container (created on first use)."""

    def __init__(self, service: BlobServiceClient, container: str) -> None:
        self.container_name = check_container_name(container)
        self._service = service
        self._container: ContainerClient | None = None
        self._lock = threading.Lock()
        self._browser_reads: bool | None = None

    def put(self, name: str, data: bytes, content_type: str) -> str:
        """Write the blob, replacing any previous content; answers its new ETag."""
        check_blob_name(name)  # before _client(): a bad name must not even create the container
        written = (
            self._client()
            .get_blob_client(name)
            .upload_blob(data, overwrite=True, content_settings=ContentSettings(content_type=content_type))
        )
        return str(written["etag"])

    def get(self, name: str) -> Blob:
        """The blob's bytes and content type; raises ``NotFound``."""
        check_blob_name(name)
        try:
            download = self._client().download_blob(name)
            data = download.readall()
        except ResourceNotFoundError as error:
            raise NotFound(f"Blob {name!r} does not exist in {self.container_name!r}.") from error
        content_type = download.properties.content_settings.content_type or "application/octet-stream"
        return Blob(data, content_type, str(download.properties.etag))

    def delete(self, name: str) -> None:
        """Delete the blob; deleting one that does not exist is not an error (like table deletes)."""
        check_blob_name(name)
        with contextlib.suppress(ResourceNotFoundError):
            self._client().delete_blob(name)

    def exists(self, name: str) -> bool:
        check_blob_name(name)
        return self._client().get_blob_client(name).exists()

    def read_url(self, name: str, expires_in: timedelta) -> str:
        """A read-only URL for the blob that stops working after ``expires_in``.

        Signed with the account key when the connection string has one, else with a user delegation key
        obtained through the service's token credential (managed identity).
        """
        check_blob_name(name)
        if not timedelta(0) < expires_in <= MAX_READ_URL_LIFETIME:
            raise ValueError(f"expires_in must be positive and at most {MAX_READ_URL_LIFETIME}.")
        blob = self._client().get_blob_client(name)
        now = datetime.now(UTC)
        start, expiry = now - _CLOCK_SKEW, now + expires_in
        account_name = self._service.account_name
        if account_name is None:
            raise StorageError("The blob service client has no account name: cannot sign a read URL.")
        credential = self._service.credential
        account_key = getattr(credential, "account_key", None)
        if isinstance(account_key, str):
            sas = generate_blob_sas(
                account_name,
                self.container_name,
                name,
                account_key=account_key,
                permission=BlobSasPermissions(read=True),
                start=start,
                expiry=expiry,
            )
        elif isinstance(credential, TokenCredential):
            delegation_key = self._service.get_user_delegation_key(start, expiry)
            sas = generate_blob_sas(
                account_name,
                self.container_name,
                name,
                user_delegation_key=delegation_key,
                permission=BlobSasPermissions(read=True),
                start=start,
                expiry=expiry,
            )
        else:
            raise StorageError(
                "Cannot sign a read URL: storage is reached neither with an account key nor with a "
                "token credential (a SAS connection string cannot issue new SAS links)."
            )
        return f"{blob.url}?{sas}"

    def allow_browser_reads(self) -> bool:
        """Let web pages of any origin GET this account's blobs (CORS on the blob service), so a canvas
        that draws an image read through a SAS link is not tainted; the SAS stays the access control.

        Once per store. Setting service properties needs an account-level role, which a managed
        identity with only a data role lacks: in Azure the Bicep sets the same rule, and a refusal here
        is reported (False), not raised.
        """
        with self._lock:
            if self._browser_reads is None:
                rule = CorsRule(
                    ["*"],
                    ["GET", "HEAD"],
                    allowed_headers=["*"],
                    exposed_headers=["*"],
                    max_age_in_seconds=3600,
                )
                try:
                    self._service.set_service_properties(cors=[rule])
                    self._browser_reads = True
                except HttpResponseError:
                    self._browser_reads = False
            return self._browser_reads

    def _client(self) -> ContainerClient:
        container = self._container
        if container is None:
            with self._lock:
                container = self._container
                if container is None:
                    container = self._service.get_container_client(self.container_name)
                    with contextlib.suppress(ResourceExistsError):
                        container.create_container()
                    self._container = container
        return container
