"""The entity routes of the Durable Functions HTTP API ("HTTP API reference", entities).

``GET .../entities/{name}/{key}`` reads an entity's state (200 with the state as JSON, 404 when it
does not exist; the key ``$`` means the empty key), ``POST`` signals it (``?op=``; ``DELETE`` is the
``delete`` operation; 202), ``GET .../entities`` and ``.../entities/{name}`` list entities
(``fetchState``, ``lastOperationTimeFrom`` / ``lastOperationTimeTo``, ``top``,
``x-ms-continuation-token``). Served at both prefixes, behind the same key check as the rest of the
API. The request body becomes the operation input as the extension makes it: ``application/json`` is
parsed and passed as JSON, any other content as a string (the Python SDK's ``get_input`` decodes
the string form; see ``docs/devhost.md`` for what that means for raw JSON bodies).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .engine import DurableEngine
from .entities import EntityClient
from .entity_messages import EntityId, InvalidEntityId
from .entity_store import EntityRecord
from .history import query_timestamp

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_DEFAULT_PAGE_SIZE = 100
_EMPTY_KEY_SYMBOL = "$"


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"Message": message}, status=status)


class BadEntityRequest(ValueError):
    pass


class EntityApi:
    def __init__(self, engine: DurableEngine) -> None:
        self.engine = engine
        self.client = EntityClient(engine.store, engine.catalog, engine.now, engine.wake)

    def register(self, router: web.UrlDispatcher, prefix: str, guard: Callable[[Handler], Handler]) -> None:
        for listing in (prefix + "/entities", prefix + "/entities/", prefix + "/entities/{name}"):
            router.add_get(listing, guard(self.list_entities))
        # POST without a key signals the entity with the empty key, as in the extension.
        router.add_post(prefix + "/entities/{name}/", guard(self.signal))
        entity = prefix + "/entities/{name}/{key}"
        router.add_get(entity, guard(self.read_state))
        router.add_post(entity, guard(self.signal))
        router.add_delete(entity, guard(self.signal))

    # -- handlers ------------------------------------------------------------------------------

    async def read_state(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        try:
            entity = EntityId.of(request.match_info["name"], "" if key == _EMPTY_KEY_SYMBOL else key)
        except InvalidEntityId as error:
            return _error(400, str(error))
        record = self.client.read(entity)
        if record is None:
            return web.Response(status=404)
        return web.Response(text=record.state or "null", content_type="application/json")

    async def signal(self, request: web.Request) -> web.Response:
        operation = "delete" if request.method == "DELETE" else request.query.get("op", "")
        try:
            entity = EntityId.of(request.match_info["name"], request.match_info.get("key", ""))
            input_json = _operation_input(request.content_type, await request.text())
        except (InvalidEntityId, BadEntityRequest) as error:
            return _error(400, str(error))
        refused = self.client.signal(entity, operation, input_json)
        if refused is not None:
            return _error(400, refused)
        return web.Response(status=202)

    async def list_entities(self, request: web.Request) -> web.Response:
        name = request.match_info.get("name")
        try:
            top = int(request.query.get("top", _DEFAULT_PAGE_SIZE))
            offset = int(request.headers.get("x-ms-continuation-token") or 0)
            if top < 1 or offset < 0:
                raise ValueError
        except ValueError:
            return _error(400, "top must be a positive whole number and x-ms-continuation-token a cursor.")
        try:
            operated_from = _instant(request.query.get("lastOperationTimeFrom"), "lastOperationTimeFrom")
            operated_to = _instant(request.query.get("lastOperationTimeTo"), "lastOperationTimeTo")
        except BadEntityRequest as error:
            return _error(400, str(error))
        records = self.engine.store.query_entities(
            name=name.lower() if name else None,
            operated_from=operated_from,
            operated_to=operated_to,
            offset=offset,
            limit=top + 1,
        )
        headers = {}
        if len(records) > top:
            records = records[:top]
            headers["x-ms-continuation-token"] = str(offset + top)
        fetch_state = request.query.get("fetchState", "").lower() == "true"
        return web.json_response([_status(r, fetch_state) for r in records], headers=headers)


def _operation_input(content_type: str, body: str) -> str | None:
    """The request's input as the extension's ``SetInput`` writes it: JSON content as compact JSON,
    other content as a JSON string, no body as no input."""
    if not body:
        return None
    if content_type.lower() != "application/json":
        return json.dumps(body, ensure_ascii=False)
    try:
        parsed = json.loads(body)
    except ValueError as error:
        raise BadEntityRequest(f"Could not parse JSON content: {error}") from error
    return json.dumps(parsed, ensure_ascii=False, separators=(",", ":"))


def _instant(text: str | None, name: str) -> str | None:
    """A query time as the store's timestamp text (UTC, fixed width, so it compares as an instant)."""
    if not text:
        return None
    try:
        return query_timestamp(text)
    except ValueError as error:
        raise BadEntityRequest(f"{name} is not a valid date and time: {text!r}.") from error


def _status(record: EntityRecord, fetch_state: bool) -> dict[str, Any]:
    """The extension's DurableEntityStatus."""
    state = None
    if fetch_state and record.state is not None:
        state = json.loads(record.state)
    return {
        "entityId": {"name": record.name, "key": record.key},
        "lastOperationTime": record.last_operation_time[:19] + "Z",
        "state": state,
    }
