"""The stand-in's control API: the far end of the phone line, for tests and ``scripts/call.py``.

All routes need the host's master key (``x-functions-key`` or ``?code=``), as ``/admin/*`` does.

- ``POST /devhost/acs/calls`` ``{"from": "+1555...", "to": "+1444...", "callerDisplayName": "...",
  "playback": "instant"|"held", "transfers": "accept"|"fail"}``: a caller dials; ``IncomingCall`` goes
  to ``DEVHOST_ACS_INCOMING_CALL_URL``. 201 with the call's record.
- ``GET /devhost/acs/calls`` (``{"value": [...]}``) and ``GET /devhost/acs/calls/{id}``: records (state,
  what the agent played with which voice, the recognitions it asked for, the events sent and answers).
- ``POST /devhost/acs/calls/{id}/say`` ``{"text": "..."}``: the caller's next utterance (202).
- ``POST /devhost/acs/calls/{id}/silence``: the caller says nothing to the next recognition (202).
- ``POST /devhost/acs/calls/{id}/finish-playback``: a held playback ends (200; 409 if none plays).
- ``POST /devhost/acs/calls/{id}/answer``: the callee of an outbound call answers (200).
- ``POST /devhost/acs/calls/{id}/hang-up``: the caller (or callee) hangs up (200).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .calls import CallError
from .rest import error_response, json_object

if TYPE_CHECKING:
    from .service import AcsStandIn

PREFIX = "/devhost/acs/calls"
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ControlApi:
    def __init__(self, stand_in: AcsStandIn, require_key: Callable[[Handler], Handler]) -> None:
        self.stand_in = stand_in
        self._require_key = require_key

    def register(self, router: web.UrlDispatcher) -> None:
        guard = self._require_key
        router.add_post(PREFIX, guard(self._wrap(self._place)))
        router.add_get(PREFIX, guard(self._wrap(self._list)))
        router.add_get(PREFIX + "/{id}", guard(self._wrap(self._show)))
        for action in ("say", "silence", "finish-playback", "answer", "hang-up"):
            router.add_post(f"{PREFIX}/{{id}}/{action}", guard(self._wrap(self._act)))

    def _wrap(self, handler: Callable[[web.Request], Awaitable[web.Response]]) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except CallError as error:
                return error_response(error.status, error.code, error.message)

        return handle

    async def _place(self, request: web.Request) -> web.Response:
        body = await _body(request)
        caller, callee = body.get("from"), body.get("to")
        for name, number in (("from", caller), ("to", callee)):
            if not isinstance(number, str) or not _E164.match(number):
                raise CallError(400, "BadRequest", f"'{name}' must be an E.164 phone number (+15551234567).")
        playback = body.get("playback", "instant")
        if playback not in ("instant", "held"):
            raise CallError(400, "BadRequest", "'playback' is 'instant' or 'held'.")
        transfers = body.get("transfers", "accept")
        if transfers not in ("accept", "fail"):
            raise CallError(400, "BadRequest", "'transfers' is 'accept' or 'fail'.")
        display_name = body.get("callerDisplayName", "")
        if not isinstance(display_name, str):
            raise CallError(400, "BadRequest", "'callerDisplayName' must be a string.")
        call = self.stand_in.book.incoming(str(caller), str(callee), display_name, playback, transfers)
        return web.json_response(call.view(), status=201)

    async def _list(self, _request: web.Request) -> web.Response:
        return web.json_response({"value": [call.view() for call in self.stand_in.book.calls.values()]})

    async def _show(self, request: web.Request) -> web.Response:
        return web.json_response(self.stand_in.book.find(request.match_info["id"]).view())

    async def _act(self, request: web.Request) -> web.Response:
        book, media = self.stand_in.book, self.stand_in.media
        call = book.find(request.match_info["id"])
        action = request.path.rsplit("/", 1)[1]
        if action == "hang-up":
            if call.state in ("disconnected", "rejected"):
                raise CallError(409, "Conflict", "The call has already ended.")
            book.disconnect(call)
            return web.json_response(call.view())
        if action == "answer":
            if call.direction != "outbound" or call.state != "ringing":
                raise CallError(409, "Conflict", "Only a ringing outbound call can be answered.")
            book.connect(call)
            return web.json_response(call.view())
        if not call.live:
            raise CallError(409, "Conflict", f"The call is {call.state}: nobody is on the line.")
        if action == "finish-playback":
            if not media.finish_playback(call):
                raise CallError(409, "Conflict", "Nothing is playing on this call.")
            return web.json_response(call.view())
        if action == "silence":
            media.say(call, None)
            return web.json_response(call.view(), status=202)
        body = await _body(request)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise CallError(400, "BadRequest", "'text' must be what the caller says.")
        media.say(call, text.strip())
        return web.json_response(call.view(), status=202)


async def _body(request: web.Request) -> dict[str, Any]:
    return json_object(await request.read())
