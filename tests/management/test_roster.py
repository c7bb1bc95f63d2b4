"""Roster rules: one membership per user, and never an organization without an admin."""

from datetime import UTC, datetime

import pytest

from shared.api_errors import ApiError
from shared.management.roster import MAX_MEMBERS, MemberEntry, add_member, change_role, remove_member

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def roster(**roles):
    return {f"{name}@example.com": MemberEntry(role=role, added_at=NOW) for name, role in roles.items()}


def error(call):
    with pytest.raises(ApiError) as raised:
        call()
    return raised.value


def test_adding_a_member_keeps_the_others_and_does_not_change_the_input():
    before = roster(alice="admin")
    after = add_member(before, "bob@example.com", "member", NOW, "alice@example.com")
    assert set(after) == {"alice@example.com", "bob@example.com"}
    assert after["bob@example.com"].role == "member"
    assert after["bob@example.com"].added_by == "alice@example.com"
    assert set(before) == {"alice@example.com"}


def test_adding_an_existing_member_is_a_conflict():
    failure = error(lambda: add_member(roster(alice="admin"), "alice@example.com", "member", NOW, None))
    assert (failure.status, failure.code) == (409, "MemberAlreadyExists")


def test_an_organization_holds_at_most_max_members():
    full = {f"user{i}@example.com": MemberEntry(role="member", added_at=NOW) for i in range(MAX_MEMBERS)}
    failure = error(lambda: add_member(full, "one-more@example.com", "member", NOW, None))
    assert (failure.status, failure.code) == (409, "MemberLimitReached")


def test_the_last_admin_cannot_be_demoted():
    failure = error(lambda: change_role(roster(alice="admin", bob="member"), "alice@example.com", "member"))
    assert (failure.status, failure.code) == (409, "LastAdmin")


def test_the_last_admin_cannot_be_removed():
    failure = error(lambda: remove_member(roster(alice="admin", bob="member"), "alice@example.com"))
    assert (failure.status, failure.code) == (409, "LastAdmin")


def test_an_admin_can_be_demoted_or_removed_while_another_admin_remains():
    both = roster(alice="admin", carol="admin")
    assert change_role(both, "alice@example.com", "member")["alice@example.com"].role == "member"
    assert set(remove_member(both, "alice@example.com")) == {"carol@example.com"}


def test_promoting_and_keeping_a_role_are_always_allowed():
    one_admin = roster(alice="admin", bob="member")
    assert change_role(one_admin, "bob@example.com", "admin")["bob@example.com"].role == "admin"
    assert change_role(one_admin, "alice@example.com", "admin")["alice@example.com"].role == "admin"


def test_members_can_be_removed():
    assert set(remove_member(roster(alice="admin", bob="member"), "bob@example.com")) == {"alice@example.com"}


def test_changing_or_removing_an_unknown_member_is_not_found():
    assert error(lambda: change_role(roster(alice="admin"), "zoe@example.com", "admin")).status == 404
    assert error(lambda: remove_member(roster(alice="admin"), "zoe@example.com")).code == "MemberNotFound"
