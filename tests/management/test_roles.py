"""The role matrix: admins do everything, members only view (and use projects); outsiders see nothing."""

import pytest

from shared.api_errors import ApiError
from shared.management.roles import Action, authorize, can


@pytest.mark.parametrize("action", list(Action))
def test_admins_may_do_everything(action):
    assert can("admin", action)


def test_members_may_only_view_and_use_projects():
    assert [action for action in Action if can("member", action)] == [Action.VIEW, Action.USE_PROJECT]


@pytest.mark.parametrize("action", list(Action))
def test_outsiders_may_do_nothing(action):
    assert not can(None, action)


def test_an_outsider_is_told_the_resource_does_not_exist():
    with pytest.raises(ApiError) as raised:
        authorize(None, Action.VIEW, "Organization", "org_abc")
    assert raised.value.status == 404
    assert raised.value.code == "OrganizationNotFound"


def test_a_member_managing_keys_is_forbidden_with_the_reason():
    with pytest.raises(ApiError) as raised:
        authorize("member", Action.MANAGE_API_KEYS, "Project", "proj_abc")
    assert raised.value.status == 403
    assert raised.value.description == (
        "Your role in this organization (member) does not allow you to manage API keys: "
        "that needs the Admin role."
    )


def test_authorize_answers_the_role_that_allowed_it():
    assert authorize("member", Action.VIEW, "Project", "proj_abc") == "member"
    assert authorize("admin", Action.MANAGE_PROJECTS, "Project", "proj_abc") == "admin"
