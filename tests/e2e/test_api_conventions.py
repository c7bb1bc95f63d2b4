"""What every /public answer does: request ids, the error body for bad credentials, rate limits."""

import re

import requests

from tests.e2e.conftest import error_of


def test_request_id_is_echoed_when_sent_and_made_when_not(platform, project_key):
    sent = requests.get(
        platform.url("/public/voices"),
        headers={**project_key.headers, "X-Request-Id": "trace-42"},
        timeout=30,
    )
    assert sent.status_code == 200
    assert sent.headers["X-Request-Id"] == "trace-42"

    made = requests.get(platform.url("/public/voices"), headers=project_key.headers, timeout=30)
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-Id"])


def test_missing_and_malformed_keys_get_401_with_the_error_body_and_a_request_id(platform):
    for headers in ({}, {"X-Api-Key": "not-a-key"}, {"X-Api-Key": "oa.proj_x.key_y.wrong-secret"}):
        response = requests.get(platform.url("/public/voices"), headers=headers, timeout=30)
        assert response.status_code == 401
        body = error_of(response)
        assert body["code"] == "Unauthorized"
        assert body["numericType"] == 5
        assert response.headers["X-Request-Id"]


def test_a_key_over_its_rate_gets_429_with_retry_after_and_other_keys_are_unaffected(
    platform, project_key_factory
):
    busy, quiet = project_key_factory(), project_key_factory()
    statuses = []
    limited = None
    for _ in range(200):  # the default burst is 60 requests (600 per minute)
        response = requests.get(platform.url("/public/voices"), headers=busy.headers, timeout=30)
        statuses.append(response.status_code)
        if response.status_code == 429:
            limited = response
            break
    assert limited is not None, f"no 429 after {len(statuses)} requests"
    assert int(limited.headers["Retry-After"]) >= 1
    body = error_of(limited)
    assert (body["code"], body["numericType"], body["type"]) == ("RequestRateLimitExceeded", 12, 12)
    assert requests.get(platform.url("/public/voices"), headers=quiet.headers, timeout=30).status_code == 200


def test_json_nested_too_deeply_gets_400_with_the_error_body_and_nothing_is_written(platform, project_key):
    url = platform.url("/public/companions")
    before = requests.get(url, headers=project_key.headers, timeout=30).json()["totalCount"]
    for body in ("[" * 100_000, '{"description": ' * 50_000):
        response = requests.post(
            url, data=body, headers={**project_key.headers, "Content-Type": "application/json"}, timeout=30
        )
        assert response.status_code == 400, response.text
        assert "nested too deeply" in error_of(response)["description"]
    assert requests.get(url, headers=project_key.headers, timeout=30).json()["totalCount"] == before
