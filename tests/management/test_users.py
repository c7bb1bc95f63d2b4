"""Emails as user ids, and ids as table keys."""

import pytest

from shared.management.records import is_resource_id
from shared.management.users import normalize_email, user_partition
from shared.storage.names import check_key


def test_an_email_is_trimmed_and_lower_cased():
    assert normalize_email("  Alice.Smith@Example.COM ") == "alice.smith@example.com"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "alice",
        "alice@",
        "@example.com",
        "alice@example",
        "a b@example.com",
        "a@b@example.com",
        "a/b@example.com",
        "a#b@example.com",
        "a?b@example.com",
        "x" * 250 + "@example.com",
    ],
)
def test_what_is_not_an_address_is_refused(value):
    with pytest.raises(ValueError):
        normalize_email(value)


def test_a_user_partition_is_a_valid_key_whatever_the_user_id():
    partition = user_partition("weird/#?\x01id")
    assert check_key(partition) == partition
    assert user_partition("alice@example.com") != user_partition("bob@example.com")


def test_resource_ids_are_recognised_by_their_prefix_and_shape():
    assert is_resource_id("org", "org_abc123")
    assert not is_resource_id("org", "proj_abc123")
    assert not is_resource_id("org", "org_ABC")
    assert not is_resource_id("org", "org_a#b")
    assert not is_resource_id("proj", "proj_")
