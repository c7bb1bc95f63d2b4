"""Issue 17, defect 3: createdTimeFrom / createdTimeTo of the management API are instants (an offset
is honoured, not compared as text), and a value that is no date answers 400."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import requests

from tests.devhost.helpers import DURABLE_WEBHOOKS, wait_for_terminal
from tests.devhost.named_app_client import start

PLUS_FIVE = timezone(timedelta(hours=5))


def _created(status: dict) -> datetime:
    return datetime.fromisoformat(status["createdTime"].replace("Z", "+00:00"))


def _purge(host, **params) -> requests.Response:
    return requests.delete(
        host.url(f"{DURABLE_WEBHOOKS}/instances"), params=params, headers=host.admin_headers(), timeout=30
    )


def test_purge_compares_created_time_to_as_an_instant(named_host):
    started = start(named_host, "report_version")
    status = wait_for_terminal(started["statusQueryGetUri"], host=named_host)
    created = _created(status)  # whole seconds: the instance was created in [created, created + 1s)

    # One second before the instance, written in +05:00: as text it sorts after the UTC timestamp.
    before = _purge(
        named_host,
        runtimeStatus="Completed",
        createdTimeFrom=(created - timedelta(seconds=30)).isoformat(),
        createdTimeTo=(created - timedelta(seconds=1)).astimezone(PLUS_FIVE).isoformat(),
    )
    assert before.status_code in (200, 404), before.text
    assert requests.get(started["statusQueryGetUri"], timeout=30).status_code == 200

    after = _purge(
        named_host,
        runtimeStatus="Completed",
        createdTimeFrom=created.astimezone(PLUS_FIVE).isoformat(),
        createdTimeTo=(created + timedelta(seconds=2)).astimezone(PLUS_FIVE).isoformat(),
    )
    assert after.status_code == 200, after.text
    assert after.json()["instancesDeleted"] >= 1
    assert requests.get(started["statusQueryGetUri"], timeout=30).status_code == 404


def test_the_instance_list_filters_by_instants(named_host):
    started = start(named_host, "report_version")
    created = _created(wait_for_terminal(started["statusQueryGetUri"], host=named_host))
    url = named_host.url(f"{DURABLE_WEBHOOKS}/instances")

    def listed(**params) -> set[str]:
        response = requests.get(url, params=params, headers=named_host.admin_headers(), timeout=30)
        assert response.status_code == 200, response.text
        return {item["instanceId"] for item in response.json()}

    window = {"createdTimeFrom": (created - timedelta(seconds=1)).astimezone(PLUS_FIVE).isoformat()}
    assert started["id"] in listed(**window, createdTimeTo=(created + timedelta(seconds=2)).isoformat())
    assert started["id"] not in listed(
        **window, createdTimeTo=(created - timedelta(seconds=1)).astimezone(PLUS_FIVE).isoformat()
    )
    assert started["id"] not in listed(createdTimeFrom=datetime.now(UTC).astimezone(PLUS_FIVE).isoformat())


def test_a_created_time_that_is_no_date_answers_400(named_host):
    url = named_host.url(f"{DURABLE_WEBHOOKS}/instances")
    headers = named_host.admin_headers()

    listed = requests.get(url, params={"createdTimeFrom": "yesterday"}, headers=headers, timeout=30)
    purged = _purge(named_host, createdTimeFrom="2024-01-01T00:00:00Z", createdTimeTo="2024-13-45")

    assert listed.status_code == 400 and "createdTimeFrom" in listed.json()["Message"]
    assert purged.status_code == 400 and "createdTimeTo" in purged.json()["Message"]
