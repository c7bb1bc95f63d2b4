"""Odd ids, traversal, paging extremes and dates near the ends of the calendar, over HTTP against the
devhost: each gets a 4xx (or an empty 200 page) with the published error body, never a 500, never
another resource than the one named. Body limits, nesting depth and the usage window have their own
modules (test_body_limits.py, test_api_conventions.py, test_usage_bounds.py)."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import requests

from tests.e2e.builders import create, new_agent, new_weather_function
from tests.e2e.conftest import error_of

T = 30

ODD_IDS = [
    "ünïcødé-名前",  # unicode
    "x" * 4000,  # very long (the URL stays under the host's 8 KiB request line)
    "a%0Ab",  # an encoded newline (the devhost's router once answered it text/plain)
    "%00",  # NUL
    "a%2Fb",  # an encoded slash (the devhost decodes it before routing: no route, its own JSON 404)
    "%2E%2E",  # an encoded ..
    "..%2F..%2Fmanage%2Forganizations",  # traversal, encoded
    "%252E%252E%252F",  # double-encoded
    "agt_%20",  # a real prefix and a space
    "'%20OR%20''='",  # an OData filter injection: ids are keys, never filters
]

ITEM_ROUTES = [
    "/public/agents/{}",
    "/public/companions/{}",
    "/public/faqs/{}",
    "/public/functions/{}",
    "/public/knowledge-bases/{}",
    "/public/sessions/{}",
]


def raw_get(platform: Any, path: str, headers: dict[str, str]) -> tuple[int, str, bytes]:
    """GET of ``path`` exactly as written (requests would remove dot segments and re-quote)."""
    where = urlsplit(platform.host.base_url)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=T)
    try:
        connection.request("GET", path, headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.getheader("Content-Type") or "", answer.read()
    finally:
        connection.close()


def assert_refused_with_the_error_body(status: int, content_type: str, body: bytes) -> dict[str, Any]:
    assert 400 <= status < 500, (status, body[:300])
    assert content_type.startswith("application/json"), (status, content_type, body[:300])
    error: dict[str, Any] = json.loads(body)
    assert set(error) >= {"code", "description", "type", "numericType"}, error
    return error


@pytest.mark.parametrize("odd", ODD_IDS, ids=lambda odd: odd[:40])
@pytest.mark.parametrize("route", ITEM_ROUTES)
def test_odd_ids_are_a_404_with_the_error_body(platform, project_key, route, odd):
    status, content_type, body = raw_get(platform, route.format(quote(odd, safe="%")), project_key.headers)
    assert status == 404, (status, body[:300])
    assert_refused_with_the_error_body(status, content_type, body)


def test_dot_segments_never_reach_another_route(platform, project_key):
    agent = new_agent(platform, project_key)
    for path in (
        f"/public/agents/{agent['id']}/../../manage/organizations",
        "/public/agents/../../manage/organizations",
        "/public/agents/%2E%2E/%2E%2E/manage/organizations",
        "/public/../admin/host/status",
    ):
        status, content_type, body = raw_get(platform, path, project_key.headers)
        # A 404 either way (the app's, or the devhost's own when no route fits), never the listing.
        assert status == 404, (path, status, body[:300])
        assert b'"items"' not in body, body[:300]
        assert_refused_with_the_error_body(status, content_type, body)


def test_a_knowledge_file_id_cannot_walk_out_of_its_collection(platform, project_key):
    kb = create(platform, project_key, "/public/knowledge-bases", {"name": "Handbook"})["id"]
    files = f"/public/knowledge-bases/{kb}/files"
    uploaded = create(platform, project_key, files, {"text": "# Hours\n\nNine to six.", "name": "h.md"})
    other_kb = create(platform, project_key, "/public/knowledge-bases", {"name": "Other"})["id"]
    for odd in (f"..%2F{kb}%2Ffiles%2F{uploaded['id']}", "..%2F..%2F..%2Fetc%2Fpasswd", "%2E%2E"):
        status, content_type, body = raw_get(
            platform, f"/public/knowledge-bases/{other_kb}/files/{odd}", project_key.headers
        )
        assert status == 404, (odd, status, body[:300])
        assert uploaded["id"].encode() not in body and b"root:" not in body, body[:300]
        assert_refused_with_the_error_body(status, content_type, body)


PAGING_EXTREMES = [
    ({"pageSize": "0"}, 400),
    ({"pageSize": "-1"}, 400),
    ({"pageSize": "101"}, 400),
    ({"pageSize": "1" + "0" * 30}, 400),  # past any machine integer
    ({"pageSize": "1e3"}, 400),
    ({"pageSize": "NaN"}, 400),
    ({"pageIndex": "-1"}, 400),
    ({"pageIndex": "1" + "0" * 30}, 200),  # no bound in the document: an empty page
    ({"pageIndex": "abc"}, 400),
    ({"pageIndex": "1000000"}, 200),  # far past the last page: an empty page
    ({"search": "x" * 201}, 400),
]
LISTINGS = ["/public/agents", "/public/companions", "/public/faqs", "/public/functions", "/public/sessions"]


@pytest.mark.parametrize("listing", LISTINGS)
def test_paging_extremes_are_a_400_or_an_empty_page(platform, project_key, listing):
    new_agent(platform, project_key)  # something to list on every route but the sessions
    new_weather_function(platform, project_key)
    for params, status in PAGING_EXTREMES:
        answer = requests.get(platform.url(listing), params=params, headers=project_key.headers, timeout=T)
        assert answer.status_code == status, (params, answer.status_code, answer.text[:300])
        if status == 400:
            assert error_of(answer)["code"] == "ValidationFailed", answer.text
        else:
            assert answer.json()["items"] == [], answer.text


def test_the_members_listing_of_the_management_api_takes_the_same_paging_rules(platform, user_token):
    bearer = {"Authorization": f"Bearer {user_token('pager@example.com')}"}
    org = requests.post(platform.url("/manage/organizations"), json={"name": "P"}, headers=bearer, timeout=T)
    members = platform.url(f"/manage/organizations/{org.json()['id']}/members")
    for params, status in PAGING_EXTREMES:
        answer = requests.get(members, params=params, headers=bearer, timeout=T)
        assert answer.status_code == status, (params, answer.status_code, answer.text[:300])


SESSION_WINDOWS = [
    {"from": "9999-12-31T23:59:59Z"},
    {"to": "9999-12-31T23:59:59Z"},
    {"from": "9999-12-31T23:59:59-14:00"},  # past year 9999 in UTC
    {"from": "0001-01-01T00:00:00+14:00"},  # before year 1 in UTC
    {"to": "0001-01-01T00:00:00Z"},
    {"from": "99999999999999999999"},  # epoch seconds past any datetime
    {"from": "-99999999999"},
    {"to": "1e309"},
    {"from": "NaN"},
    {"from": "2026-02-30T00:00:00Z"},
]


@pytest.mark.parametrize("window", SESSION_WINDOWS, ids=lambda w: json.dumps(w))
def test_session_listing_dates_near_the_ends_of_the_calendar_are_answered_not_a_500(
    platform, project_key, window
):
    answer = requests.get(
        platform.url("/public/sessions"), params=window, headers=project_key.headers, timeout=T
    )
    assert answer.status_code in (200, 400), (answer.status_code, answer.text[:300])
    if answer.status_code == 400:
        assert error_of(answer)["code"] == "ValidationFailed"
    else:
        assert answer.json()["items"] == []


@pytest.mark.parametrize(("name", "data"), [("empty.txt", b""), ("blank.md", b"   \n\n  ")])
def test_an_empty_knowledge_file_is_a_documented_422_and_stores_nothing(platform, project_key, name, data):
    """The fuzzer's find: an empty upload answered 422, which the operation did not document."""
    kb = create(platform, project_key, "/public/knowledge-bases", {"name": "Handbook"})["id"]
    files = platform.url(f"/public/knowledge-bases/{kb}/files")
    answer = requests.post(
        files, files={"file": (name, data, "text/plain")}, headers=project_key.headers, timeout=T
    )
    assert answer.status_code == 422, answer.text  # documented: the conformance check passes it
    assert error_of(answer)["code"] == "NoTextFound"
    assert requests.get(files, headers=project_key.headers, timeout=T).json()["items"] == []
