"""Usage windows near the ends of the calendar over HTTP (issue 16, defect 3): both usage routes
answer 400 with the published error body naming the parameter and the range, never a 500, and the
OpenAPI document states the range."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.e2e.conftest import error_of
from tests.management.manage_client import World, build_world

T = 30
RANGE = "must be from 2000-01-01T00:00:00Z to 3000-01-01T00:00:00Z"

OUT_OF_RANGE = [
    ({"from": "9999-12-31T23:59:59Z", "to": "9999-12-31T23:59:59Z"}, "from"),  # the reported request
    ({"from": "9999-12-31T23:59:59Z"}, "from"),
    ({"from": "9999-12-31T22:00:00Z", "to": "9999-12-31T23:59:59Z", "granularity": "hour"}, "from"),
    ({"to": "9999-12-31T23:59:59Z"}, "to"),
    ({"to": "9999-12-31T23:00:00-05:00", "granularity": "hour"}, "to"),  # past year 9999 in UTC
    ({"from": "0001-01-01T00:00:00+14:00"}, "from"),  # before year 1 in UTC
    ({"to": "0001-01-01T00:30:00Z", "granularity": "hour"}, "to"),
    ({"from": "1999-12-31T23:00:00Z", "to": "2000-01-01T01:00:00Z", "granularity": "hour"}, "from"),
]


@pytest.fixture
def world(platform, user_token) -> World:
    return build_world(platform, user_token)


def assert_names_the_range(response: requests.Response, field: str) -> None:
    assert response.status_code == 400, response.text
    body = error_of(response)
    assert body["code"] == "ValidationFailed"
    assert body["details"] == [{"field": f"query.{field}", "message": RANGE}]
    assert body["description"] == f"query.{field}: {RANGE}"


@pytest.mark.parametrize(("query", "field"), OUT_OF_RANGE)
def test_public_usage_outside_the_range_is_a_400_naming_the_parameter(platform, world, query, field):
    response = requests.get(
        platform.url("/public/usage"), params=query, headers={"X-Api-Key": world.key}, timeout=T
    )
    assert_names_the_range(response, field)


@pytest.mark.parametrize(("query", "field"), OUT_OF_RANGE)
def test_organization_usage_outside_the_range_is_a_400_naming_the_parameter(world, query, field):
    response = world.admin.call("GET", f"/manage/organizations/{world.organization_id}/usage", params=query)
    assert_names_the_range(response, field)


def test_the_edges_of_the_range_are_answered(platform, world):
    last_hours = requests.get(
        platform.url("/public/usage"),
        params={"from": "2999-12-31T21:30:00Z", "to": "3000-01-01T00:00:00Z", "granularity": "hour"},
        headers={"X-Api-Key": world.key},
        timeout=T,
    )
    assert last_hours.status_code == 200, last_hours.text
    answer: dict[str, Any] = last_hours.json()
    assert (answer["from"], answer["to"], len(answer["buckets"])) == (
        "2999-12-31T21:00:00Z",
        "3000-01-01T00:00:00Z",
        3,
    )
    first_days = world.admin.call(
        "GET",
        f"/manage/organizations/{world.organization_id}/usage",
        params={"from": "2000-01-01T00:00:00Z", "to": "2000-01-03T00:00:00Z"},
    )
    assert first_days.status_code == 200, first_days.text
    days = [b["start"] for b in first_days.json()["buckets"]]
    assert days == ["2000-01-01T00:00:00Z", "2000-01-02T00:00:00Z"]


def test_the_openapi_document_states_the_range_on_both_routes(platform):
    document = requests.get(platform.url("/public/openapi.json"), timeout=T).json()
    for path in ("/public/usage", "/manage/organizations/{orgId}/usage"):
        parameters = {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}
        for name in ("from", "to"):
            # The query model's field description (the parameter's schema carries it).
            description = parameters[name].get("description") or parameters[name]["schema"]["description"]
            assert "2000-01-01T00:00:00Z" in description and "3000-01-01T00:00:00Z" in description, (
                path,
                name,
                description,
            )
