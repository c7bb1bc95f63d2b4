"""The management store's access checks and concurrency, on real tables in Azurite."""

import uuid

import pytest
from pydantic import TypeAdapter

from shared.api_errors import ApiError
from shared.auth.api_keys import ApiKeyRecord
from shared.auth.identity import LOCAL_ISSUER, local_subject, user_id_for
from shared.auth.principals import UserPrincipal
from shared.management.providers import Provider
from shared.management.records import (
    OrganizationRecord,
    ProjectIndexEntry,
    ProjectRecord,
    UserOrganizationEntry,
)
from shared.management.roles import Action
from shared.management.store import ManagementStore
from shared.storage import table_service
from tests.management.interleaving import InterleavingRepository


def signed_in(name: str) -> UserPrincipal:
    """A user as a local token names them: a stable id, and an attested email (invited by it)."""
    email = f"{name}@example.com"
    return UserPrincipal(
        user_id=user_id_for(LOCAL_ISSUER, local_subject(email)), email=email, email_verified=True
    )


ALICE, CAROL, BOB, EVE = signed_in("alice"), signed_in("carol"), signed_in("bob"), signed_in("eve")


@pytest.fixture
def store(storage_settings):
    service = table_service(storage_settings)
    suffix = uuid.uuid4().hex[:12]

    def table(name, model):
        return InterleavingRepository(service, f"t{suffix}{name}", model)

    return ManagementStore(
        organizations=table("orgs", OrganizationRecord),
        user_organizations=table("userorgs", UserOrganizationEntry),
        projects=table("projects", ProjectRecord),
        project_index=table("projectindex", ProjectIndexEntry),
        api_keys=table("apikeys", ApiKeyRecord),
    )


def error(call):
    with pytest.raises(ApiError) as raised:
        call()
    return raised.value


def test_two_admins_demoting_each_other_at_once_leave_one_admin(store):
    organization = store.create_organization(ALICE, "Acme")
    store.add_member(ALICE, organization.id, CAROL.email, "admin")
    store.organization(CAROL, organization.id, Action.VIEW)  # Carol signs in: the invitation is hers
    # Carol's demotion of Alice lands between Alice's read and Alice's write of the roster.
    store.organizations.before_next_update = lambda: store.change_member_role(
        CAROL, organization.id, ALICE.user_id, "member"
    )

    failure = error(lambda: store.change_member_role(ALICE, organization.id, CAROL.user_id, "member"))

    # Alice's retry sees she is no longer an admin herself.
    assert failure.status == 403
    stored, _ = store.organization(CAROL, organization.id, Action.VIEW)
    assert {user: entry.role for user, entry in stored.entity.members.items()} == {
        ALICE.user_id: "member",
        CAROL.user_id: "admin",
    }


def test_a_concurrent_roster_change_is_retried_on_fresh_data_not_lost(store):
    organization = store.create_organization(ALICE, "Acme")
    store.organizations.before_next_update = lambda: store.add_member(
        ALICE, organization.id, CAROL.email, "member"
    )
    store.add_member(ALICE, organization.id, BOB.email, "member")
    stored, _ = store.organization(ALICE, organization.id, Action.VIEW)
    assert set(stored.entity.members) == {ALICE.user_id, BOB.email, CAROL.email}


def test_a_stale_if_match_is_refused_and_a_missing_one_retries(store):
    organization = store.create_organization(ALICE, "Acme")
    project = store.create_project(ALICE, organization.id, "Web", "")
    store.update_project(ALICE, project.entity.id, {"name": "Web 2"}, None)

    assert (
        error(lambda: store.update_project(ALICE, project.entity.id, {"name": "X"}, project.etag)).status
        == 412
    )

    store.projects.before_next_update = lambda: store.update_project(
        ALICE, project.entity.id, {"description": "from another request"}, None
    )
    updated = store.update_project(ALICE, project.entity.id, {"name": "Web 3"}, None).entity
    assert (updated.name, updated.description) == ("Web 3", "from another request")


def test_an_outsider_cannot_tell_an_existing_project_from_a_missing_one(store):
    organization = store.create_organization(ALICE, "Acme")
    project = store.create_project(ALICE, organization.id, "Web", "").entity
    hidden = error(lambda: store.project(EVE, project.id, Action.VIEW))
    missing = error(lambda: store.project(EVE, "proj_doesnotexist", Action.VIEW))
    malformed = error(lambda: store.project(EVE, "proj/../x", Action.VIEW))
    assert (
        (hidden.status, hidden.code) == (missing.status, missing.code) == (malformed.status, malformed.code)
    )
    assert hidden.code == "ProjectNotFound"


def test_a_removed_member_loses_the_organization_from_their_list(store):
    organization = store.create_organization(ALICE, "Acme")
    store.add_member(ALICE, organization.id, BOB.email, "member")
    assert [org.id for org, _ in store.organizations_of(BOB)] == [organization.id]
    store.remove_member(ALICE, organization.id, BOB.user_id)
    assert store.organizations_of(BOB) == []
    assert error(lambda: store.organization(BOB, organization.id, Action.VIEW)).status == 404


def test_deleting_a_project_revokes_its_keys(store):
    organization = store.create_organization(ALICE, "Acme")
    project = store.create_project(ALICE, organization.id, "Web", "").entity
    hosted = TypeAdapter(Provider).validate_python({"type": "hosted"})
    record, _ = store.create_api_key(ALICE, project.id, "k", hosted, lambda secret, owner: "sealed")
    forgotten = []
    store.delete_project(ALICE, project.id, None, forgotten.append)
    assert forgotten == [record.id]
    assert store.api_keys.get(project.id, record.id).entity.revoked_at is not None
    assert error(lambda: store.project(ALICE, project.id, Action.VIEW)).status == 404
