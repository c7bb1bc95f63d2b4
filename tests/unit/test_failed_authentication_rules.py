"""The rules of issue 16 defect 7: which address a request is counted under, the per-address budget of
failed authentications, and the API key lookups a guess may cost (counted, with a fake clock)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.api_errors import ApiError, unauthorized
from shared.auth.api_keys import ApiKeyAuthenticator, ApiKeyRecord, new_key_secret, parse_key
from shared.auth.failed_attempts import (
    UNKNOWN_ADDRESS,
    UNREADABLE_ADDRESS,
    FailedAuthenticationLimiter,
    client_address,
)
from shared.ids import new_id
from shared.rate_limit import Limit
from shared.settings import SettingsError, load_settings
from shared.storage import NotFound, Stored


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def forwarded(value: str) -> dict[str, str]:
    return {"X-Forwarded-For": value}


def guessing(value: str | None = None) -> dict[str, str]:
    """A request that sends a key, seen from ``value`` (else no X-Forwarded-For)."""
    return {"X-Api-Key": "oa.guess", **(forwarded(value) if value else {})}


# --- the client address --------------------------------------------------------------------------


def test_the_address_is_the_entry_the_trusted_front_end_appended_whatever_the_client_wrote_before_it():
    # App Service's front end appends the peer it saw (ip:port); a client may send anything before it.
    assert client_address(forwarded("203.0.113.7:50312"), 1) == "203.0.113.7"
    assert client_address(forwarded("1.1.1.1, 9.9.9.9, 203.0.113.7:50312"), 1) == "203.0.113.7"
    assert client_address({"x-forwarded-for": "10.0.0.1, 203.0.113.7"}, 1) == "203.0.113.7"


def test_with_two_trusted_hops_the_client_is_the_second_entry_from_the_right():
    # Front Door appends the client, App Service appends the Front Door edge it saw.
    assert client_address(forwarded("6.6.6.6, 198.51.100.4, 147.243.1.1:443"), 2) == "198.51.100.4"
    # Straight to App Service (no Front Door entry): the one entry there is was appended by it.
    assert client_address(forwarded("198.51.100.4:1234"), 2) == "198.51.100.4"


def test_ipv6_counts_per_64_and_ports_and_brackets_are_dropped():
    one = client_address(forwarded("[2001:db8:1:2:aaaa::1]:443"), 1)
    other = client_address(forwarded("2001:db8:1:2:bbbb::9"), 1)
    assert one == other == "2001:db8:1:2::/64"
    assert client_address(forwarded("2001:db8:1:3::1"), 1) != one
    assert client_address(forwarded("::ffff:203.0.113.7"), 1) == "203.0.113.7"


def test_no_trusted_entry_shares_one_bucket_and_no_text_of_the_header_becomes_a_bucket():
    assert client_address({}, 1) == UNKNOWN_ADDRESS
    assert client_address(forwarded(" , "), 1) == UNKNOWN_ADDRESS
    assert client_address(forwarded("203.0.113.7"), 0) == UNKNOWN_ADDRESS  # the header ignored
    for junk in ("not-an-address", "evil.example", "1.2.3.4.5", "x" * 5000):
        assert client_address(forwarded(junk), 1) == UNREADABLE_ADDRESS


def test_the_settings_default_to_one_trusted_hop_and_30_failures_a_minute_and_are_checked():
    storage = {"OMNI_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true"}
    settings = load_settings(storage)
    assert (settings.trusted_proxy_hops, settings.failed_authentications_per_minute) == (1, 30)
    tuned = load_settings(
        {**storage, "OMNI_TRUSTED_PROXY_HOPS": "2", "OMNI_FAILED_AUTHENTICATIONS_PER_MINUTE": "5"}
    )
    assert (tuned.trusted_proxy_hops, tuned.failed_authentications_per_minute) == (2, 5)
    for hops in ("-1", "x", "9"):
        with pytest.raises(SettingsError, match="OMNI_TRUSTED_PROXY_HOPS"):
            load_settings({**storage, "OMNI_TRUSTED_PROXY_HOPS": hops})


# --- the budget ------------------------------------------------------------------------------------


def failing() -> None:
    raise unauthorized("The API key is not valid.")


def attempt_status(limiter: FailedAuthenticationLimiter, headers: dict[str, str], attempt=failing) -> int:
    try:
        limiter.guard(headers, attempt)
    except ApiError as error:
        return error.status
    return 200


def test_an_address_gets_its_budget_of_failures_then_429_and_the_credential_is_not_looked_at():
    clock = Clock()
    limiter = FailedAuthenticationLimiter(Limit(capacity=3, per_second=3 / 60), clock=clock)
    attacker = guessing("203.0.113.7")
    calls: list[int] = []

    def guess() -> None:
        calls.append(1)
        failing()

    statuses = []
    for _ in range(10):
        try:
            limiter.guard(attacker, guess)
        except ApiError as error:
            statuses.append(error.status)
            last = error
    assert statuses == [401] * 3 + [429] * 7
    assert len(calls) == 3  # past the budget the attempt never runs: no storage read
    assert last.body()["code"] == "RequestRateLimitExceeded" and last.body()["numericType"] == 12
    assert last.headers["Retry-After"] == "20"  # one token back at 3 a minute
    clock.now += 20
    assert attempt_status(limiter, attacker, guess) == 401  # one more guess, then refused again
    assert attempt_status(limiter, attacker, guess) == 429


def test_another_address_and_successes_are_not_counted():
    limiter = FailedAuthenticationLimiter(Limit(capacity=2, per_second=2 / 60), clock=Clock())
    for _ in range(5):
        attempt_status(limiter, guessing("203.0.113.7"))
    assert attempt_status(limiter, guessing("203.0.113.7")) == 429
    # A client that writes the attacker's address before its own is still counted as itself.
    assert limiter.guard(guessing("203.0.113.7, 198.51.100.4"), lambda: "ok") == "ok"
    # Successes take nothing: a valid caller never runs down its own budget.
    for _ in range(100):
        assert limiter.guard(guessing("198.51.100.4"), lambda: "ok") == "ok"
    assert attempt_status(limiter, guessing("198.51.100.4")) == 401


def test_only_401s_count_not_other_errors_after_a_valid_credential():
    limiter = FailedAuthenticationLimiter(Limit(capacity=1, per_second=1 / 60), clock=Clock())

    def not_found() -> None:
        raise ApiError(404, "NotFound", "no such project", 4)  # type: ignore[arg-type]

    for _ in range(5):
        assert attempt_status(limiter, guessing(), not_found) == 404
    assert attempt_status(limiter, guessing()) == 401
    assert attempt_status(limiter, guessing()) == 429


def test_a_request_without_credentials_is_neither_limited_nor_counted():
    limiter = FailedAuthenticationLimiter(Limit(capacity=1, per_second=1 / 60), clock=Clock())
    for _ in range(5):
        assert attempt_status(limiter, forwarded("203.0.113.7")) == 401
    assert limiter.tracked_addresses() == 0
    assert attempt_status(limiter, guessing("203.0.113.7")) == 401
    assert attempt_status(limiter, guessing("203.0.113.7")) == 429
    assert attempt_status(limiter, {**forwarded("203.0.113.7"), "Authorization": " "}) == 401


def test_the_addresses_kept_are_bounded():
    clock = Clock()
    limiter = FailedAuthenticationLimiter(
        Limit(capacity=2, per_second=2 / 60), max_addresses=100, clock=clock
    )
    for n in range(1000):
        attempt_status(limiter, guessing(f"10.0.{n // 256}.{n % 256}"))
        clock.now += 0.01
    assert limiter.tracked_addresses() <= 100
    assert attempt_status(limiter, guessing("10.0.3.231")) == 401  # the newest is still counted
    assert attempt_status(limiter, guessing("10.0.3.231")) == 429


# --- what a lookup costs ------------------------------------------------------------------------


class CountingKeys:
    """The authenticator's repository: point reads counted; ``add`` stores a key as creation does."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], ApiKeyRecord] = {}
        self.reads = 0

    def get(self, partition: str, id: str) -> Stored[ApiKeyRecord]:
        self.reads += 1
        try:
            return Stored(self.records[(partition, id)], "etag")
        except KeyError:
            raise NotFound(id) from None

    def add(self, project_id: str) -> str:
        key_id = new_id("key")
        key, secret_hash = new_key_secret(project_id, key_id)
        self.records[(project_id, key_id)] = ApiKeyRecord(
            id=key_id,
            organization_id="org_a",
            project_id=project_id,
            name="k",
            provider={"type": "hosted"},
            secret_hash=secret_hash,
            key_hint=key[-4:],
            created_at=datetime.now(UTC),
        )
        return key


def bogus_key(project_id: str = "proj_a") -> str:
    return new_key_secret(project_id, new_id("key"))[0]


def status_of(authenticator: ApiKeyAuthenticator, key: str) -> int:
    try:
        authenticator.authenticate(key)
    except ApiError as error:
        return error.status
    return 200


def test_a_malformed_key_is_refused_without_a_read():
    keys = CountingKeys()
    authenticator = ApiKeyAuthenticator(keys)  # type: ignore[arg-type]
    good = bogus_key()
    project, key_id, secret = good.split(".")[1:]
    malformed = [
        "not-a-key",
        "oa.proj_x.key_y.wrong-secret",  # a secret of another length
        f"oa.{project}.{key_id}.{secret}x",
        f"oa.{project}.{key_id}.{secret[:-1]}!",
        f"oa.org_a.{key_id}.{secret}",  # not a project id
        f"oa.{project}.agent_b.{secret}",  # not a key id
        f"oa.{project}.KEY_B.{secret}",
        f"oa.{project}'or''='.{key_id}.{secret}",
        f"oa.{project}.{key_id}.{secret}.more",
    ]
    for key in malformed:
        assert parse_key(key) is None, key
        assert status_of(authenticator, key) == 401
    assert keys.reads == 0
    assert parse_key(good) == (project, key_id, secret)


def test_one_unknown_key_costs_one_read_per_ttl_and_another_id_is_read_again():
    keys, clock = CountingKeys(), Clock()
    authenticator = ApiKeyAuthenticator(keys, clock=clock)  # type: ignore[arg-type]
    unknown = bogus_key()
    for _ in range(50):
        assert status_of(authenticator, unknown) == 401
    assert keys.reads == 1
    # The same key id under another project is another lookup.
    other_project = "oa.proj_b." + unknown.split(".", 2)[2]
    assert status_of(authenticator, other_project) == 401
    assert keys.reads == 2
    clock.now += 30
    assert status_of(authenticator, unknown) == 401
    assert keys.reads == 3


def test_a_key_created_after_a_failed_lookup_works_at_once():
    keys = CountingKeys()
    authenticator = ApiKeyAuthenticator(keys)  # type: ignore[arg-type]
    assert status_of(authenticator, bogus_key("proj_a")) == 401
    created = keys.add("proj_a")
    assert status_of(authenticator, created) == 200
    # And its wrong secret is refused from the cached record, with no read.
    reads = keys.reads
    wrong = created.rsplit(".", 1)[0] + "." + "A" * 43
    assert status_of(authenticator, wrong) == 401
    assert keys.reads == reads


def test_missing_keys_kept_are_bounded_oldest_first():
    keys, clock = CountingKeys(), Clock()
    authenticator = ApiKeyAuthenticator(keys, clock=clock, max_missing=10)  # type: ignore[arg-type]
    first = bogus_key()
    status_of(authenticator, first)
    for _ in range(10):
        status_of(authenticator, bogus_key())
    assert keys.reads == 11
    status_of(authenticator, first)  # forgotten (the oldest): read again
    assert keys.reads == 12
