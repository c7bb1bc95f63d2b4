"""Members are their stable user id; an invitation by email is taken once, by the first user whose token
attests that email; records written before stable ids (keyed by email) upgrade on first sign-in. On
real tables in Azurite."""

import hashlib
import json
import uuid

import pytest

from shared.api_errors import ApiError
from shared.auth.api_keys import ApiKeyRecord
from shared.auth.identity import LOCAL_ISSUER, user_id_for
from shared.auth.principals import UserPrincipal
from shared.management.records import (
    OrganizationRecord,
    ProjectIndexEntry,
    ProjectRecord,
    UserOrganizationEntry,
)
from shared.management.roles import Action
from shared.management.store import ManagementStore
from shared.management.users import user_partition
from shared.storage import table_service
from tests.management.interleaving import InterleavingRepository


def account(subject: str, email: str | None, verified: bool = True) -> UserPrincipal:
    return UserPrincipal(user_id=user_id_for(LOCAL_ISSUER, subject), email=email, email_verified=verified)


ANN = account("ann", "ann@example.com")
BOB = account("bob", "bob@example.com")
BOB_RENAMED = account("bob", "robert@example.org")  # the same account, its email changed
BOB_IMPOSTOR = account("mallory", "bob@example.com")  # another account claiming Bob's email


@pytest.fixture
def names():
    suffix = uuid.uuid4().hex[:12]
    return {
        "orgs": f"t{suffix}orgs",
        "userorgs": f"t{suffix}userorgs",
        "projects": f"t{suffix}projects",
        "projectindex": f"t{suffix}projectindex",
        "apikeys": f"t{suffix}apikeys",
    }


@pytest.fixture
def store(storage_settings, names):
    service = table_service(storage_settings)
    return ManagementStore(
        organizations=InterleavingRepository(service, names["orgs"], OrganizationRecord),
        user_organizations=InterleavingRepository(service, names["userorgs"], UserOrganizationEntry),
        projects=InterleavingRepository(service, names["projects"], ProjectRecord),
        project_index=InterleavingRepository(service, names["projectindex"], ProjectIndexEntry),
        api_keys=InterleavingRepository(service, names["apikeys"], ApiKeyRecord),
    )


def error(call):
    with pytest.raises(ApiError) as raised:
        call()
    return raised.value


def roster_of(store, organization_id):
    return store.organizations.get(organization_id, organization_id).entity.members


def test_an_invitation_is_taken_by_the_first_sign_in_with_its_email(store):
    organization = store.create_organization(ANN, "Acme")
    store.add_member(ANN, organization.id, "bob@example.com", "member")
    assert set(roster_of(store, organization.id)) == {ANN.user_id, "bob@example.com"}

    assert [(org.id, role) for org, role in store.organizations_of(BOB)] == [(organization.id, "member")]

    members = roster_of(store, organization.id)
    assert set(members) == {ANN.user_id, BOB.user_id}
    assert (members[BOB.user_id].email, members[BOB.user_id].added_by) == ("bob@example.com", ANN.user_id)
    # Bob is now indexed under his id, not only under the address he was invited by.
    assert [e.id for e in store.user_organizations.list_all(user_partition(BOB.user_id))] == [organization.id]


def test_a_member_whose_email_changes_keeps_the_membership(store):
    organization = store.create_organization(ANN, "Acme")
    project = store.create_project(ANN, organization.id, "Web", "").entity
    store.add_member(ANN, organization.id, "bob@example.com", "admin")
    store.organization(BOB, organization.id, Action.VIEW)  # Bob signs in: the invitation is his

    assert [(org.id, role) for org, role in store.organizations_of(BOB_RENAMED)] == [
        (organization.id, "admin")
    ]
    assert store.project(BOB_RENAMED, project.id, Action.MANAGE_PROJECTS)[1].entity.id == project.id
    # The creator's email changing keeps her admin too.
    ann_renamed = account("ann", "ann@elsewhere.example")
    assert store.organization(ann_renamed, organization.id, Action.MANAGE_MEMBERS)[1] == "admin"


def test_another_account_with_the_same_email_does_not_take_a_taken_membership(store):
    organization = store.create_organization(ANN, "Acme")
    project = store.create_project(ANN, organization.id, "Web", "").entity
    store.add_member(ANN, organization.id, "bob@example.com", "admin")
    store.organizations_of(BOB)

    assert store.organizations_of(BOB_IMPOSTOR) == []
    for call in (
        lambda: store.organization(BOB_IMPOSTOR, organization.id, Action.VIEW),
        lambda: store.project(BOB_IMPOSTOR, project.id, Action.VIEW),
    ):
        assert error(call).status == 404
    assert set(roster_of(store, organization.id)) == {ANN.user_id, BOB.user_id}


def test_an_unattested_email_takes_no_invitation(store):
    organization = store.create_organization(ANN, "Acme")
    store.add_member(ANN, organization.id, "bob@example.com", "member")
    unverified = account("bob", "bob@example.com", verified=False)

    assert store.organizations_of(unverified) == []
    assert error(lambda: store.organization(unverified, organization.id, Action.VIEW)).status == 404
    assert error(lambda: store.organization(account("bob", None), organization.id, Action.VIEW)).status == 404
    assert set(roster_of(store, organization.id)) == {ANN.user_id, "bob@example.com"}


def test_two_accounts_racing_for_one_invitation_end_with_one_member(store):
    organization = store.create_organization(ANN, "Acme")
    store.add_member(ANN, organization.id, "bob@example.com", "member")
    # The impostor's sign-in lands between Bob's read of the roster and Bob's write.
    store.organizations.before_next_update = lambda: store.organizations_of(BOB_IMPOSTOR)

    assert error(lambda: store.organization(BOB, organization.id, Action.VIEW)).status == 404
    assert set(roster_of(store, organization.id)) == {ANN.user_id, BOB_IMPOSTOR.user_id}


def test_the_same_user_signing_in_twice_at_once_takes_the_invitation_once(store):
    organization = store.create_organization(ANN, "Acme")
    store.add_member(ANN, organization.id, "bob@example.com", "member")
    store.organizations.before_next_update = lambda: store.organization(BOB, organization.id, Action.VIEW)

    assert store.organization(BOB, organization.id, Action.VIEW)[1] == "member"
    assert set(roster_of(store, organization.id)) == {ANN.user_id, BOB.user_id}


def test_an_invitation_is_addressed_by_email_until_taken_then_by_id(store):
    organization = store.create_organization(ANN, "Acme")
    store.add_member(ANN, organization.id, "bob@example.com", "member")
    assert store.change_member_role(ANN, organization.id, "Bob@Example.com", "admin")[0] == "bob@example.com"

    store.organizations_of(BOB)
    refused = error(lambda: store.change_member_role(ANN, organization.id, "bob@example.com", "member"))
    assert (refused.status, refused.code) == (404, "MemberNotFound")
    key, entry = store.change_member_role(ANN, organization.id, BOB.user_id, "member")
    assert (key, entry.role, entry.email) == (BOB.user_id, "member", "bob@example.com")
    store.remove_member(ANN, organization.id, BOB.user_id)
    assert store.organizations_of(BOB) == []


# --- records written before stable ids ------------------------------------------------------------


def write_legacy_organization(storage_settings, names, organization_id, members):
    """An organization, its index and a project as the email-keyed code wrote them, raw entities
    (not through today's models), so the test sees exactly the old shape."""
    service = table_service(storage_settings)
    for table in names.values():
        service.create_table_if_not_exists(table)
    roster = {
        email: {"role": role, "added_at": "2026-01-05T09:00:00Z", "added_by": members[0][0]}
        for email, role in members
    }
    service.get_table_client(names["orgs"]).create_entity(
        {
            "PartitionKey": organization_id,
            "RowKey": organization_id,
            "name": "Legacy Ltd",
            "created_at": "2026-01-05T09:00:00Z",
            "created_by": members[0][0],
            "members": json.dumps(roster, separators=(",", ":")),
        }
    )
    for email, _role in members:
        service.get_table_client(names["userorgs"]).create_entity(
            {
                "PartitionKey": hashlib.sha256(email.encode()).hexdigest(),
                "RowKey": organization_id,
                "added_at": "2026-01-05T09:00:00Z",
            }
        )
    project_id = f"proj_{uuid.uuid4().hex[:12]}"
    service.get_table_client(names["projects"]).create_entity(
        {
            "PartitionKey": organization_id,
            "RowKey": project_id,
            "organization_id": organization_id,
            "name": "Old project",
            "description": "",
            "created_at": "2026-01-05T09:00:00Z",
            "created_by": members[0][0],
        }
    )
    service.get_table_client(names["projectindex"]).create_entity(
        {"PartitionKey": project_id, "RowKey": project_id, "organization_id": organization_id}
    )
    return project_id


def test_an_organization_written_with_email_keys_upgrades_on_its_members_first_sign_in(
    store, storage_settings, names
):
    organization_id = f"org_{uuid.uuid4().hex[:12]}"
    project_id = write_legacy_organization(
        storage_settings,
        names,
        organization_id,
        [("ann@example.com", "admin"), ("bob@example.com", "member")],
    )

    # Ann's first call goes straight to the project: that read upgrades her entry.
    organization, project = store.project(ANN, project_id, Action.MANAGE_PROJECTS)
    assert (organization.id, project.entity.name) == (organization_id, "Old project")
    assert set(roster_of(store, organization_id)) == {ANN.user_id, "bob@example.com"}
    # Bob's first call lists his organizations.
    assert [(org.id, role) for org, role in store.organizations_of(BOB)] == [(organization_id, "member")]
    members = roster_of(store, organization_id)
    assert set(members) == {ANN.user_id, BOB.user_id}
    assert (members[ANN.user_id].role, members[ANN.user_id].email) == ("admin", "ann@example.com")
    assert str(members[BOB.user_id].added_at) == "2026-01-05 09:00:00+00:00"  # history kept

    # From now on they are their ids: a changed email keeps access, the same email elsewhere gets none.
    assert store.organization(BOB_RENAMED, organization_id, Action.VIEW)[1] == "member"
    assert store.organizations_of(BOB_IMPOSTOR) == []
    assert (
        error(lambda: store.project(account("eve", "ann@example.com"), project_id, Action.VIEW)).status == 404
    )
