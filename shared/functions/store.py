"""Where functions live: the project's partition of the FUNCTIONS table, secrets sealed.

Names are unique per project through a claim entity per name (partition ``<projectId>~names`` of the
same table, row = the name): inserting a claim is atomic, so two requests can never both get a name.
A claim whose function no longer exists or no longer has that name (a crash between two writes) is
stale after ``CLAIM_GRACE`` and may be taken over.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared.api_errors import ApiError, conflict, not_found
from shared.catalog.tables import FUNCTIONS
from shared.functions.models import ConnectionBehavior, Function, FunctionBody, FunctionData, FunctionRecord
from shared.platform import get_platform
from shared.secret_box import SecretBox
from shared.storage import NotFound, Stored, TableRepository

CLAIM_GRACE = timedelta(seconds=60)
_CLAIM_ATTEMPTS = 5
_table_ready = threading.Event()


def functions() -> TableRepository[FunctionRecord]:
    return get_platform().repository(FUNCTIONS, FunctionRecord)


def get_function(project_id: str, function_id: str) -> Stored[FunctionRecord]:
    """The project's function and its ETag; 404 for an unknown id or another project's."""
    try:
        return functions().get(project_id, function_id)
    except (NotFound, ValueError):  # ValueError: an id that can never be a table key
        raise not_found("Function", function_id) from None


# ---------------------------------------------------------------------------------------------- secrets


def _headers_owner(function_id: str) -> str:
    return f"{function_id}:headers"


def seal_headers(box: SecretBox, function_id: str, headers: dict[str, str] | None) -> str | None:
    return box.seal(json.dumps(headers), _headers_owner(function_id)) if headers else None


def open_headers(box: SecretBox, record: FunctionRecord) -> dict[str, str] | None:
    """The headers an explicit call sends."""
    if not record.sealed_headers:
        return None
    opened: dict[str, str] = json.loads(box.open(record.sealed_headers, _headers_owner(record.id)))
    return opened


def seal_signing_secret(box: SecretBox, function_id: str, secret: str) -> str:
    return box.seal(secret, owner=function_id)


def open_signing_secret(box: SecretBox, record: FunctionRecord) -> str | None:
    """The HMAC key that signs explicit calls, or None (implicit function)."""
    return box.open(record.sealed_signing_secret, record.id) if record.sealed_signing_secret else None


# ---------------------------------------------------------------------------------------------- shapes


def body_of(box: SecretBox, record: FunctionRecord) -> FunctionBody:
    """The stored function as the wire body (what a PUT would send to leave it unchanged)."""
    return FunctionBody(
        data=FunctionData(name=record.name, description=record.description, parameters=record.parameters),
        flow="explicit" if record.flow == "explicit" else "implicit",
        url=record.url,
        headers=open_headers(box, record),
        receiveMessages=record.receive_messages,
        prompt=record.prompt,
        connectionBehavior=ConnectionBehavior.model_validate(record.connection_behavior)
        if record.connection_behavior is not None
        else None,
    )


def to_wire(box: SecretBox, record: FunctionRecord, signing_secret: str | None = None) -> Function:
    body = body_of(box, record)
    return Function(
        id=record.id,
        data=body.data,
        flow=body.flow,
        url=body.url,
        headers=body.headers,
        receiveMessages=body.receiveMessages,
        prompt=body.prompt,
        connectionBehavior=body.connectionBehavior,
        hasSigningSecret=record.sealed_signing_secret is not None,
        signingSecret=signing_secret,
        created=int(record.created.timestamp()),
        updated=int(record.updated.timestamp()) if record.updated else None,
    )


# ---------------------------------------------------------------------------------------------- names


def _claims() -> TableClient:
    service = get_platform().tables
    if not _table_ready.is_set():
        service.create_table_if_not_exists(FUNCTIONS)
        _table_ready.set()
    return service.get_table_client(FUNCTIONS)


def _claims_partition(project_id: str) -> str:
    return f"{project_id}~names"


def name_taken(name: str) -> ApiError:
    return conflict("FunctionAlreadyExists", f"A function named '{name}' already exists in this project.")


def claim_name(project_id: str, name: str, function_id: str) -> bool:
    """Reserve ``name`` for ``function_id`` (409 if another function has it). True if this call made a
    new claim, False if the function held it already."""
    client = _claims()
    entity = {"PartitionKey": _claims_partition(project_id), "RowKey": name, "function_id": function_id}
    for _ in range(_CLAIM_ATTEMPTS):
        try:
            client.create_entity(entity)
            return True
        except ResourceExistsError:
            pass
        try:
            existing = client.get_entity(entity["PartitionKey"], name)
        except ResourceNotFoundError:
            continue  # released meanwhile: try to insert again
        holder = str(existing.get("function_id"))
        if holder == function_id:
            return False
        if _claim_is_live(project_id, name, holder, existing.metadata.get("timestamp")):
            raise name_taken(name)
        try:  # stale: take it over, unless someone else changed it first
            client.update_entity(
                entity,
                mode=UpdateMode.REPLACE,
                etag=existing.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
            return True
        except HttpResponseError:
            continue
    raise name_taken(name)


def _claim_is_live(project_id: str, name: str, holder: str, written: datetime | None) -> bool:
    if written is None or datetime.now(UTC) - written < CLAIM_GRACE:
        return True  # a create or rename may be in flight
    try:
        return functions().get(project_id, holder).entity.name == name
    except (NotFound, ValueError):
        return False


def release_name(project_id: str, name: str, function_id: str) -> None:
    """Drop ``function_id``'s claim on ``name`` (nothing if another function holds it)."""
    client = _claims()
    try:
        existing = client.get_entity(_claims_partition(project_id), name)
        if existing.get("function_id") == function_id:
            client.delete_entity(
                _claims_partition(project_id),
                name,
                etag=existing.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
    except HttpResponseError:
        pass  # gone, or changed by another request: not ours to drop
