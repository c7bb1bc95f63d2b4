"""The management tables, read and written with the caller's role checked on every access.

Every lookup starts from the organization record (its roster says the caller's role), so a caller
outside an organization gets the same 404 as for an id that does not exist. Writes that race (roster
changes, project edits, revocations) go through ETag-guarded updates, retried on a fresh read when
the caller did not pin a version with ``If-Match``.

Callers are keyed by their stable user id. An invitation (a roster entry keyed by email, which is
also what every member of a record written before stable ids is) is taken on the caller's first
access that reads the organization, if their token attests that email (``roster.bind_invitation``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.api_errors import not_found
from shared.auth.api_keys import API_KEYS_TABLE, ApiKeyRecord
from shared.auth.principals import UserPrincipal
from shared.concurrency import UPDATE_ATTEMPTS, busy, matching_etag, stale
from shared.ids import new_id
from shared.management import roster as rules
from shared.management.api_keys import Sealer, is_active, issue_api_key, revoked
from shared.management.providers import Provider
from shared.management.records import (
    API_KEY_PREFIX,
    ORGANIZATION_PREFIX,
    ORGANIZATIONS_TABLE,
    PROJECT_INDEX_TABLE,
    PROJECT_PREFIX,
    PROJECTS_TABLE,
    USER_ORGANIZATIONS_TABLE,
    OrganizationRecord,
    ProjectIndexEntry,
    ProjectRecord,
    UserOrganizationEntry,
    is_resource_id,
    utc_now,
)
from shared.management.roles import Action, Role, authorize
from shared.management.roster import MemberEntry, Roster
from shared.management.users import user_partition
from shared.platform import Platform
from shared.storage import AlreadyExists, ConcurrencyConflict, NotFound, Stored, TableRepository


@dataclass
class ManagementStore:
    organizations: TableRepository[OrganizationRecord]
    user_organizations: TableRepository[UserOrganizationEntry]
    projects: TableRepository[ProjectRecord]
    project_index: TableRepository[ProjectIndexEntry]
    api_keys: TableRepository[ApiKeyRecord]
    clock: Callable[[], datetime] = utc_now

    # --- organizations -------------------------------------------------------------------------

    def create_organization(
        self, user: UserPrincipal, name: str, organization_id: str | None = None
    ) -> OrganizationRecord:
        """A new organization with ``user`` as its admin. With ``organization_id`` (an id derived from
        something else, e.g. a Marketplace subscription) it is idempotent: an organization already
        created under that id is answered as it is."""
        now = self.clock()
        chosen_id = organization_id or new_id(ORGANIZATION_PREFIX)
        # The index first: a member is always findable from their side.
        self._index_member(user.user_id, chosen_id, now)
        record = OrganizationRecord(
            id=chosen_id,
            name=name,
            created_at=now,
            created_by=user.user_id,
            members={
                user.user_id: MemberEntry(role="admin", added_at=now, added_by=user.user_id, email=user.email)
            },
        )
        try:
            return self.organizations.create(chosen_id, record).entity
        except AlreadyExists:
            if organization_id is None:
                raise
            return self.organizations.get(chosen_id, chosen_id).entity

    def organizations_of(self, user: UserPrincipal) -> list[tuple[OrganizationRecord, Role]]:
        """The caller's organizations and role in each, by name: those they are a member of, and those
        inviting their (attested) email, which they join now."""
        partitions = [user_partition(user.user_id)]
        if user.email and user.email_verified:
            partitions.append(user_partition(user.email))  # invitations (and pre-stable-id records)
        organization_ids = {
            entry.id for partition in partitions for entry in self.user_organizations.list_all(partition)
        }
        found = []
        for organization_id in sorted(organization_ids):
            stored = self._taking_invitation(self._find_organization(organization_id), user)
            role = stored.entity.role_of(user.user_id) if stored else None
            if stored is not None and role is not None:  # the index is a hint; the roster decides
                found.append((stored.entity, role))
        return sorted(found, key=lambda item: (item[0].name.casefold(), item[0].id))

    def organization(
        self, user: UserPrincipal, organization_id: str, action: Action
    ) -> tuple[Stored[OrganizationRecord], Role]:
        stored = self._taking_invitation(self._find_organization(organization_id), user)
        role = stored.entity.role_of(user.user_id) if stored else None
        authorize(role, action, "Organization", organization_id)
        assert stored is not None and role is not None
        return stored, role

    # --- members -------------------------------------------------------------------------------

    def add_member(self, user: UserPrincipal, organization_id: str, email: str, role: Role) -> MemberEntry:
        """An invitation of ``email`` (normalized), keyed by it until its user signs in."""
        now = self.clock()
        record = self._change_roster(
            user,
            organization_id,
            lambda roster: rules.add_member(roster, email, role, now, user.user_id),
            before_write=lambda: self._index_member(email, organization_id, now),
        )
        return record.members[email]

    def change_member_role(
        self, user: UserPrincipal, organization_id: str, member_id: str, role: Role
    ) -> tuple[str, MemberEntry]:
        """``member_id`` is a member's user id or a pending invitation's email (``roster.member_key``);
        answered with the member's roster key and entry."""
        keys: list[str] = []

        def change(roster: Roster) -> Roster:
            keys.append(rules.member_key(roster, member_id))
            return rules.change_role(roster, keys[-1], role)

        record = self._change_roster(user, organization_id, change)
        return keys[-1], record.members[keys[-1]]

    def remove_member(self, user: UserPrincipal, organization_id: str, member_id: str) -> None:
        # The member's index entry stays: deleting it could race with a re-invitation, and listing
        # ignores entries the roster no longer backs.
        self._change_roster(
            user,
            organization_id,
            lambda roster: rules.remove_member(roster, rules.member_key(roster, member_id)),
        )

    def _change_roster(
        self,
        user: UserPrincipal,
        organization_id: str,
        change: Callable[[Roster], Roster],
        before_write: Callable[[], None] | None = None,
    ) -> OrganizationRecord:
        for _ in range(UPDATE_ATTEMPTS):
            # Read, check the caller's role and the rules, write only if nothing changed meanwhile.
            stored, _role = self.organization(user, organization_id, Action.MANAGE_MEMBERS)
            updated = stored.entity.model_copy(update={"members": change(stored.entity.members)})
            if before_write is not None:
                before_write()
            try:
                return self.organizations.update(organization_id, updated, stored.etag).entity
            except ConcurrencyConflict:
                continue
        raise busy("organization")

    # --- projects ------------------------------------------------------------------------------

    def create_project(
        self, user: UserPrincipal, organization_id: str, name: str, description: str
    ) -> Stored[ProjectRecord]:
        self.organization(user, organization_id, Action.MANAGE_PROJECTS)
        now = self.clock()
        project_id = new_id(PROJECT_PREFIX)
        # The index first: a stored project always resolves to its organization.
        self.project_index.create(
            project_id, ProjectIndexEntry(id=project_id, organization_id=organization_id)
        )
        record = ProjectRecord(
            id=project_id,
            organization_id=organization_id,
            name=name,
            description=description,
            created_at=now,
            created_by=user.user_id,
        )
        return self.projects.create(organization_id, record)

    def projects_in(self, user: UserPrincipal, organization_id: str) -> list[ProjectRecord]:
        self.organization(user, organization_id, Action.VIEW)
        return sorted(self.projects.list_all(organization_id), key=lambda p: (p.name.casefold(), p.id))

    def project(
        self, user: UserPrincipal, project_id: str, action: Action
    ) -> tuple[OrganizationRecord, Stored[ProjectRecord]]:
        organization_id = self._organization_of_project(project_id)
        found = self._find_organization(organization_id) if organization_id else None
        stored_organization = self._taking_invitation(found, user)
        role = stored_organization.entity.role_of(user.user_id) if stored_organization else None
        authorize(role, action, "Project", project_id)
        assert stored_organization is not None
        try:
            return stored_organization.entity, self.projects.get(stored_organization.entity.id, project_id)
        except NotFound:
            raise not_found("Project", project_id) from None

    def update_project(
        self, user: UserPrincipal, project_id: str, changes: dict[str, Any], if_match: str | None
    ) -> Stored[ProjectRecord]:
        for _ in range(UPDATE_ATTEMPTS):
            _organization, stored = self.project(user, project_id, Action.MANAGE_PROJECTS)
            matching_etag(if_match, stored.etag, "project")
            updated = stored.entity.model_copy(update={**changes, "updated_at": self.clock()})
            try:
                return self.projects.update(updated.organization_id, updated, stored.etag)
            except ConcurrencyConflict:
                if if_match is not None:
                    raise stale("project") from None  # the version the caller pinned is gone
        raise busy("project")

    def delete_project(
        self,
        user: UserPrincipal,
        project_id: str,
        if_match: str | None,
        on_key_revoked: Callable[[str], None],
    ) -> None:
        organization, stored = self.project(user, project_id, Action.MANAGE_PROJECTS)
        matching_etag(if_match, stored.etag, "project")
        # Keys first: a deleted project's key must never authenticate, even if a later step fails.
        for record in self.api_keys.list_all(project_id):
            if is_active(record):
                self._revoke(project_id, record.id, on_key_revoked)
        try:
            self.projects.delete(organization.id, project_id, stored.etag if if_match is not None else None)
        except ConcurrencyConflict:
            raise stale("project") from None
        self.project_index.delete(project_id, project_id)

    # --- API keys ------------------------------------------------------------------------------

    def create_api_key(
        self, user: UserPrincipal, project_id: str, name: str, provider: Provider, seal: Sealer
    ) -> tuple[ApiKeyRecord, str]:
        organization, _project = self.project(user, project_id, Action.MANAGE_API_KEYS)
        record, key = issue_api_key(
            key_id=new_id(API_KEY_PREFIX),
            organization_id=organization.id,
            project_id=project_id,
            name=name,
            provider=provider,
            seal=seal,
            created_by=user.user_id,
            now=self.clock(),
        )
        self.api_keys.create(project_id, record)
        return record, key

    def api_keys_of(self, user: UserPrincipal, project_id: str) -> list[ApiKeyRecord]:
        """The project's active keys, oldest first (revoked keys stay stored, for the record)."""
        self.project(user, project_id, Action.MANAGE_API_KEYS)
        active = [record for record in self.api_keys.list_all(project_id) if is_active(record)]
        return sorted(active, key=lambda record: (record.created_at, record.name.casefold(), record.id))

    def revoke_api_key(
        self, user: UserPrincipal, project_id: str, key_id: str, on_revoked: Callable[[str], None]
    ) -> None:
        self.project(user, project_id, Action.MANAGE_API_KEYS)
        if not is_resource_id(API_KEY_PREFIX, key_id):
            raise not_found("ApiKey", key_id)
        try:
            current = self.api_keys.get(project_id, key_id).entity
        except NotFound:
            raise not_found("ApiKey", key_id) from None
        if not is_active(current):
            raise not_found("ApiKey", key_id)  # revoked keys are gone from the API's view
        self._revoke(project_id, key_id, on_revoked)

    def _revoke(self, project_id: str, key_id: str, on_revoked: Callable[[str], None]) -> None:
        for _ in range(UPDATE_ATTEMPTS):
            stored = self.api_keys.get(project_id, key_id)
            if not is_active(stored.entity):
                break
            try:
                self.api_keys.update(project_id, revoked(stored.entity, self.clock()), stored.etag)
                break
            except ConcurrencyConflict:
                continue
        else:
            raise busy("API key")
        on_revoked(key_id)

    # --- lookups -------------------------------------------------------------------------------

    def _find_organization(self, organization_id: str) -> Stored[OrganizationRecord] | None:
        if not is_resource_id(ORGANIZATION_PREFIX, organization_id):
            return None
        try:
            return self.organizations.get(organization_id, organization_id)
        except NotFound:
            return None

    def _taking_invitation(
        self, stored: Stored[OrganizationRecord] | None, user: UserPrincipal
    ) -> Stored[OrganizationRecord] | None:
        """The organization, with ``user`` as a member if it holds an invitation of their attested
        email and they are not a member yet (one ETag-guarded write, the first time only)."""
        attested = user.email if user.email_verified else None
        if stored is None or attested is None or user.user_id in stored.entity.members:
            return stored
        for _ in range(UPDATE_ATTEMPTS):
            members = rules.bind_invitation(stored.entity.members, attested, user.user_id)
            if members is None:
                return stored
            organization_id = stored.entity.id
            self._index_member(user.user_id, organization_id, self.clock())  # the index first, as always
            try:
                return self.organizations.update(
                    organization_id, stored.entity.model_copy(update={"members": members}), stored.etag
                )
            except ConcurrencyConflict:
                stored = self._find_organization(organization_id)
                if stored is None:
                    return None
        raise busy("organization")

    def _organization_of_project(self, project_id: str) -> str | None:
        if not is_resource_id(PROJECT_PREFIX, project_id):
            return None
        try:
            return self.project_index.get(project_id, project_id).entity.organization_id
        except NotFound:
            return None

    def _index_member(self, user_id: str, organization_id: str, now: datetime) -> None:
        self.user_organizations.upsert(
            user_partition(user_id), UserOrganizationEntry(id=organization_id, added_at=now)
        )


def management_store(platform: Platform) -> ManagementStore:
    return ManagementStore(
        organizations=platform.repository(ORGANIZATIONS_TABLE, OrganizationRecord),
        user_organizations=platform.repository(USER_ORGANIZATIONS_TABLE, UserOrganizationEntry),
        projects=platform.repository(PROJECTS_TABLE, ProjectRecord),
        project_index=platform.repository(PROJECT_INDEX_TABLE, ProjectIndexEntry),
        api_keys=platform.repository(API_KEYS_TABLE, ApiKeyRecord),
    )
