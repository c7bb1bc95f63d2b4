"""Guessing credentials costs no storage past a small budget (issue 16, defect 7), counted through the
storage proxy: an unknown key is read once and then remembered as missing, a malformed one never
reaches storage, and an address that keeps failing is answered 429 before its credential is looked at.

The devhost passes the client's headers as they come and adds no ``X-Forwarded-For``, so these tests
play App Service's front end: the last entry (``ip:port``) is the address it saw; whatever a client
writes before it must not change which budget it spends.
"""

from __future__ import annotations

from collections import Counter

import requests

from shared.auth.api_keys import new_key_secret
from shared.ids import new_id
from tests.e2e.conftest import error_of
from tests.fakes.storage_counter import StorageCounter

KEY_READS = ("table", "apikeys")
VOICES = "/public/voices"
BUDGET = 3


def seen_from(address: str, claimed: str | None = None) -> dict[str, str]:
    """Headers as App Service's front end passes them: it appends the peer it saw, after anything the
    client sent itself."""
    peer = f"{address}:50123"
    return {"X-Forwarded-For": f"{claimed}, {peer}" if claimed else peer}


def bogus_key(project_id: str | None = None) -> str:
    return new_key_secret(project_id or new_id("proj"), new_id("key"))[0]


def key_reads(counter: StorageCounter, before: Counter[tuple[str, str]]) -> int:
    return counter.since(before)[KEY_READS]


def test_an_unknown_key_costs_one_read_a_malformed_one_none_and_a_new_key_works_at_once(
    azurite, own_platform_factory, project_key_factory
):
    with StorageCounter(azurite) as counter:
        host = own_platform_factory(OMNI_STORAGE_CONNECTION_STRING=counter.connection_string)
        unknown = bogus_key()
        before = counter.snapshot()
        for _ in range(20):
            answer = requests.get(
                host.url(VOICES), headers={"X-Api-Key": unknown, **seen_from("198.51.100.1")}, timeout=30
            )
            assert answer.status_code == 401, answer.text
            assert error_of(answer)["code"] == "Unauthorized"
        assert key_reads(counter, before) == 1

        real = bogus_key()
        project, key_id, secret = real.split(".")[1:]
        malformed = [
            "not-a-key",
            "oa.proj_x.key_y.wrong-secret",
            "oa.a.b.c",
            f"oa.{project}.{key_id}.{secret}x",
            f"oa.{project}.agent_{key_id[4:]}.{secret}",
            f"oa.{project}.{key_id}.{secret[:-1]}*",
        ]
        before = counter.snapshot()
        for key in malformed:
            answer = requests.get(
                host.url(VOICES), headers={"X-Api-Key": key, **seen_from("198.51.100.2")}, timeout=30
            )
            assert answer.status_code == 401, (key, answer.text)
        assert key_reads(counter, before) == 0

        # A lookup that found nothing never hides a key created after it, in the same project.
        owner = project_key_factory()
        failed = bogus_key(owner.project_id)
        answer = requests.get(
            host.url(VOICES), headers={"X-Api-Key": failed, **seen_from("198.51.100.3")}, timeout=30
        )
        assert answer.status_code == 401
        created = project_key_factory(organization_id=owner.organization_id, project_id=owner.project_id)
        answer = requests.get(
            host.url(VOICES), headers={**created.headers, **seen_from("198.51.100.3")}, timeout=30
        )
        assert answer.status_code == 200, answer.text


def test_an_address_past_its_budget_gets_429_with_no_reads_and_valid_keys_elsewhere_are_unaffected(
    azurite, own_platform_factory, project_key_factory
):
    valid = project_key_factory()
    with StorageCounter(azurite) as counter:
        host = own_platform_factory(
            OMNI_STORAGE_CONNECTION_STRING=counter.connection_string,
            OMNI_FAILED_AUTHENTICATIONS_PER_MINUTE=str(BUDGET),
        )
        before = counter.snapshot()
        statuses, limited = [], None
        for n in range(20):
            # A new made-up address to the left each time: the budget is still the front end's peer.
            headers = {"X-Api-Key": bogus_key(), **seen_from("203.0.113.9", claimed=f"10.9.{n}.{n}")}
            answer = requests.get(host.url(VOICES), headers=headers, timeout=30)
            statuses.append(answer.status_code)
            limited = answer if answer.status_code == 429 else limited
        assert statuses == [401] * BUDGET + [429] * (20 - BUDGET)
        assert key_reads(counter, before) == BUDGET  # none past the budget
        assert limited is not None
        body = error_of(limited)
        assert (body["code"], body["numericType"]) == ("RequestRateLimitExceeded", 12)
        assert int(limited.headers["Retry-After"]) >= 1

        # The limited address is refused even with a valid key (the price of counting per address) ...
        answer = requests.get(
            host.url(VOICES), headers={**valid.headers, **seen_from("203.0.113.9")}, timeout=30
        )
        assert answer.status_code == 429
        # ... while the same key from another address is answered every time.
        for _ in range(10):
            answer = requests.get(
                host.url(VOICES), headers={**valid.headers, **seen_from("198.51.100.20")}, timeout=30
            )
            assert answer.status_code == 200, answer.text
        # Another address's own guesses still get its own full budget.
        other = [
            requests.get(
                host.url(VOICES), headers={"X-Api-Key": bogus_key(), **seen_from("198.51.100.21")}, timeout=30
            ).status_code
            for _ in range(BUDGET + 1)
        ]
        assert other == [401] * BUDGET + [429]


def test_failed_bearer_tokens_spend_the_same_budget_and_a_valid_token_elsewhere_is_answered(
    own_platform_factory, user_token
):
    host = own_platform_factory(OMNI_FAILED_AUTHENTICATIONS_PER_MINUTE=str(BUDGET))
    organizations = host.url("/manage/organizations")
    forged = user_token("mallory@example.com")[:-4] + "AAAA"  # a bad signature
    statuses = [
        requests.get(
            organizations,
            headers={"Authorization": f"Bearer {forged}", **seen_from("203.0.113.30")},
            timeout=30,
        ).status_code
        for _ in range(BUDGET + 2)
    ]
    assert statuses == [401] * BUDGET + [429] * 2
    # A bogus API key from that address is refused as well: one budget for both kinds of credential.
    answer = requests.get(
        host.url(VOICES), headers={"X-Api-Key": bogus_key(), **seen_from("203.0.113.30")}, timeout=30
    )
    assert answer.status_code == 429
    valid = {"Authorization": f"Bearer {user_token('alice@example.com')}"}
    for _ in range(5):
        answer = requests.get(organizations, headers={**valid, **seen_from("198.51.100.30")}, timeout=30)
        assert answer.status_code == 200, answer.text
