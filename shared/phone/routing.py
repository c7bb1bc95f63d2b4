"""Which agent answers a called number: the phone routing table and its rules.

Table ``phoneroutes``: one row per bound address, PartitionKey = the normalised address
(``shared.phone.numbers``), RowKey ``route``, holding the organization, project and agent it routes
to. Numbers are global (a number rings one agent, whatever the project), so the table is not
partitioned by project; an address can be claimed by one agent only (the row's insert decides).

The agent's SIP channel config (``phoneNumbers``) is the source of truth; a row routes only while the
config of the agent it names still lists the address. That makes every partial failure harmless: a
row left by a crash between the two writes routes nothing and is taken over by the next claim, and a
config whose row was never written routes nothing until it is saved again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel

from shared.agents.models import ChannelConfigRecord, channel_row
from shared.catalog.tables import CHANNEL_CONFIGS
from shared.phone.numbers import normalise_address
from shared.storage import AlreadyExists, ConcurrencyConflict, NotFound, Stored, TableRepository

if TYPE_CHECKING:
    from shared.platform import Platform

PHONE_ROUTES_TABLE = "phoneroutes"
ROUTE_ROW = "route"
CLAIM_ATTEMPTS = 3


class PhoneRoute(BaseModel):
    """A stored route (partition = the normalised address)."""

    id: str = ROUTE_ROW
    address: str
    organization_id: str
    project_id: str
    agent_id: str


@dataclass(frozen=True)
class RouteOwner:
    """The agent an address routes to."""

    organization_id: str
    project_id: str
    agent_id: str


class AddressTaken(Exception):
    """The address is bound to another agent (of this or another project)."""

    def __init__(self, address: str) -> None:
        super().__init__(f"{address} is already bound to another agent.")
        self.address = address


class PhoneRoutes:
    """The routing table, read together with the SIP channel configs it points at."""

    def __init__(
        self, routes: TableRepository[PhoneRoute], channels: TableRepository[ChannelConfigRecord]
    ) -> None:
        self.routes = routes
        self.channels = channels

    def resolve(self, called: str) -> RouteOwner | None:
        """The agent that answers a call to ``called``, or None (the call is rejected).

        ``called``: an E.164 number (``+15550100000``, separators allowed), ACS's raw id of a phone
        number (``4:+15550100000``) or a SIP address (``sip:+15550100000@sbc.example.com``); an address
        that is none of these is unbound (None), never an error. Two point reads, no listing: the
        route row, then the owner's SIP channel config, which must still list the address.
        """
        try:
            address = normalise_address(called)
        except ValueError:
            return None
        stored = self._route(address)
        if stored is None:
            return None
        route = stored.entity
        owner = RouteOwner(route.organization_id, route.project_id, route.agent_id)
        return owner if self._binds(owner, address) else None

    def check_free(self, owner: RouteOwner, addresses: Iterable[str]) -> None:
        """Raise ``AddressTaken`` for the first address another agent holds (nothing is written)."""
        for address in addresses:
            stored = self._route(address)
            if stored is not None and self._held_by_other(stored.entity, owner, address):
                raise AddressTaken(address)

    def claim(self, owner: RouteOwner, addresses: Iterable[str]) -> None:
        """Route each address to ``owner``; ``AddressTaken`` (after undoing this call's new rows) when
        another agent holds one. A stale row (its agent no longer lists the address) is taken over."""
        created: list[str] = []
        try:
            for address in addresses:
                if self._claim_one(owner, address):
                    created.append(address)
        except AddressTaken:
            self.release(owner, created)
            raise

    def release(self, owner: RouteOwner, addresses: Iterable[str]) -> None:
        """Remove the rows of ``addresses`` that route to ``owner`` (others' rows stay)."""
        for address in addresses:
            stored = self._route(address)
            if stored is None or _owner_of(stored.entity) != owner:
                continue
            # Changed hands meanwhile: it is no longer ours to remove.
            with contextlib.suppress(ConcurrencyConflict, NotFound):
                self.routes.delete(address, ROUTE_ROW, stored.etag)

    def _claim_one(self, owner: RouteOwner, address: str) -> bool:
        """True when this call inserted the row."""
        wanted = PhoneRoute(address=address, **owner.__dict__)
        for _ in range(CLAIM_ATTEMPTS):
            stored = self._route(address)
            try:
                if stored is None:
                    self.routes.create(address, wanted)
                    return True
                if _owner_of(stored.entity) == owner:
                    return False
                if self._held_by_other(stored.entity, owner, address):
                    raise AddressTaken(address)
                self.routes.update(address, wanted, stored.etag)
                return False
            except (AlreadyExists, ConcurrencyConflict, NotFound):
                continue  # someone wrote the row meanwhile: read it again
        raise AddressTaken(address)

    def _held_by_other(self, route: PhoneRoute, owner: RouteOwner, address: str) -> bool:
        holder = _owner_of(route)
        return holder != owner and self._binds(holder, address)

    def _binds(self, owner: RouteOwner, address: str) -> bool:
        try:
            config = self.channels.get(owner.project_id, channel_row(owner.agent_id, "sip")).entity
        except NotFound:
            return False
        return address in (config.phone_numbers or [])

    def _route(self, address: str) -> Stored[PhoneRoute] | None:
        try:
            return self.routes.get(address, ROUTE_ROW)
        except NotFound:
            return None


def _owner_of(route: PhoneRoute) -> RouteOwner:
    return RouteOwner(route.organization_id, route.project_id, route.agent_id)


def phone_routes(platform: Platform) -> PhoneRoutes:
    return PhoneRoutes(
        platform.repository(PHONE_ROUTES_TABLE, PhoneRoute),
        platform.repository(CHANNEL_CONFIGS, ChannelConfigRecord),
    )


def resolve_called_number(platform: Platform, called: str) -> RouteOwner | None:
    """The (organization, project, agent) whose SIP channel binds ``called``, or None: the call is
    to be rejected. This is what the ``acs_incoming_call`` trigger asks of an ``IncomingCall``'s ``to``
    (its ``rawId`` or phone number); see ``PhoneRoutes.resolve`` for the forms read. Never raises for
    a malformed address (None); storage failures propagate."""
    return phone_routes(platform).resolve(called)
