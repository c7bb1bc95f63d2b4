"""``/public/companions/{companionId}/clients/{externalClientId}``: what agents remember of one end user.

Memory is kept per companion and end user (``externalClientId`` on the connection, see
docs/omniagent-public-api.md), on every channel; a caller's phone number is linked to a client id with
``PUT`` (our extension, /work/shared/design/api-contract.md). ``GET …/memory`` shows it, ``DELETE
…/memory`` forgets it: the stored row is deleted. Another project's or an unknown companion is 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import azure.functions as func
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.endpoint import Reply, RequestContext, endpoint
from shared.api_errors import conflict, invalid_field, not_found
from shared.companions.store import find_companion
from shared.memory.records import (
    E164_PATTERN,
    EXTERNAL_CLIENT_ID_PATTERN,
    MAX_PHONE_NUMBERS,
    ClientMemory,
    is_external_client_id,
)
from shared.memory.store import PhoneNumberTaken, memory_store

bp = func.Blueprint()
TAG = "Memory"
CLIENT_ROUTE = "public/companions/{companionId}/clients/{externalClientId}"
MEMORY_ROUTE = CLIENT_ROUTE + "/memory"

PhoneNumber = Annotated[str, StringConstraints(pattern=E164_PATTERN)]


class RecentExchange(BaseModel):
    role: Literal["user", "assistant"] = Field(description="Who said it: the end user or the agent.")
    text: str = Field(description="What was said (at most 500 characters).")


class ClientMemoryAnswer(BaseModel):
    companionId: str = Field(description="The companion the memory belongs to.")
    externalClientId: str = Field(description="Your id of the end user.")
    summary: str = Field(
        description="What matters about the end user, written by the model when one is configured; "
        "without one, the user's own last statements."
    )
    facts: list[str] = Field(description="Durable facts about the end user (at most 20).")
    recentExchanges: list[RecentExchange] = Field(
        description="The last lines of the previous conversations, oldest first (at most 6)."
    )
    updatedAt: datetime = Field(description="When a session was last folded into the memory.")
    sessionsCount: int = Field(description="How many sessions were folded into the memory.")
    phoneNumbers: list[str] = Field(description="Phone numbers (E.164) linked to this end user.")


class ClientUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phoneNumbers: list[PhoneNumber] = Field(
        max_length=MAX_PHONE_NUMBERS,
        description="The end user's phone numbers in E.164 (`+14155550123`): a call from one of them "
        "is this end user. Replaces the linked set (`[]` unlinks all).",
    )


class ClientLinks(BaseModel):
    companionId: str = Field(description="The companion.")
    externalClientId: str = Field(description="Your id of the end user.")
    phoneNumbers: list[str] = Field(description="The phone numbers now linked to this end user, sorted.")


def _scope(ctx: RequestContext) -> tuple[str, str, str]:
    """The key's project, a companion it can see (404 otherwise) and a well-formed client id (400)."""
    project_id = ctx.api_key.project_id
    companion_id, client_id = ctx.route("companionId"), ctx.route("externalClientId")
    if find_companion(project_id, companion_id) is None:
        raise not_found("Companion", companion_id)
    if not is_external_client_id(client_id):
        raise invalid_field("externalClientId", f"must match {EXTERNAL_CLIENT_ID_PATTERN}")
    return project_id, companion_id, client_id


def _answer(memory: ClientMemory, phone_numbers: list[str]) -> ClientMemoryAnswer:
    return ClientMemoryAnswer(
        companionId=memory.companion_id,
        externalClientId=memory.external_client_id,
        summary=memory.summary,
        facts=memory.facts,
        recentExchanges=[RecentExchange(role=e.role, text=e.text) for e in memory.last_exchanges],
        updatedAt=memory.updated_at,
        sessionsCount=memory.sessions_count,
        phoneNumbers=phone_numbers,
    )


@endpoint(
    bp,
    "GET",
    MEMORY_ROUTE,
    summary="Get what is remembered of an end user",
    tag=TAG,
    auth="api_key",
    response=ClientMemoryAnswer,
    errors=(400, 404),
    description="Extension. The memory agents of this companion keep of the end user (`externalClientId` "
    "on their connections, or a linked phone number): a summary, durable facts and the last exchanges, "
    "folded in at the end of each session of an agent with `memory.enabled`. 404 when nothing is "
    "remembered, or for another project's or an unknown companion.",
)
def get_client_memory(ctx: RequestContext) -> Reply:
    project_id, companion_id, client_id = _scope(ctx)
    store = memory_store()
    stored = store.read(project_id, companion_id, client_id)
    if stored is None:
        raise not_found("Memory", client_id)
    phones = store.phone_numbers(project_id, companion_id, client_id)
    return Reply(_answer(stored.entity, phones), etag=stored.etag)


@endpoint(
    bp,
    "DELETE",
    MEMORY_ROUTE,
    summary="Forget an end user",
    tag=TAG,
    auth="api_key",
    status=204,
    errors=(400, 404, 412),
    description="Extension. Deletes the memory of this end user for this companion from storage; the next "
    "session starts with none. Linked phone numbers stay (unlink them with `PUT` and `[]`). 404 when "
    "nothing is remembered. With `If-Match`, only that version (else 412).",
)
def delete_client_memory(ctx: RequestContext) -> Reply:
    project_id, companion_id, client_id = _scope(ctx)
    if not memory_store().forget(project_id, companion_id, client_id, ctx.if_match):
        raise not_found("Memory", client_id)
    return Reply(status=204)


@endpoint(
    bp,
    "PUT",
    CLIENT_ROUTE,
    summary="Link phone numbers to an end user",
    tag=TAG,
    auth="api_key",
    body=ClientUpdate,
    response=ClientLinks,
    errors=(404, 409),
    description="Extension. Sets the phone numbers (E.164) linked to this end user of this companion: a "
    "call from one of them is remembered as this `externalClientId`. Replaces the previous set. 409 "
    "when a number is already linked to another end user of the companion (nothing changes then).",
)
def put_client(ctx: RequestContext) -> ClientLinks:
    project_id, companion_id, client_id = _scope(ctx)
    body = ctx.body(ClientUpdate)
    try:
        numbers = memory_store().link_phones(project_id, companion_id, client_id, body.phoneNumbers)
    except PhoneNumberTaken as taken:
        raise conflict(
            "PhoneNumberTaken",
            f"{taken.phone_number} is already linked to another client of this companion: unlink it there "
            "first.",
        ) from None
    return ClientLinks(companionId=companion_id, externalClientId=client_id, phoneNumbers=numbers)
