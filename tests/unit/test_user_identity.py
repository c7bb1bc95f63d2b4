"""Who a token names (issuer + subject, never the email) and the roster rules of invitations."""

from datetime import UTC, datetime

import pytest

from shared.api_errors import ApiError
from shared.auth.identity import (
    LOCAL_ISSUER,
    attested_email,
    identity_of,
    is_user_id,
    local_subject,
    user_id_for,
)
from shared.management.roster import (
    MemberEntry,
    add_member,
    bind_invitation,
    email_of,
    is_invitation,
    member_key,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TENANT, OTHER_TENANT = "72f988bf-0000-0000-0000-000000000001", "72f988bf-0000-0000-0000-000000000002"
OBJECT_ID = "00000000-0000-0000-0000-0000000000aa"


def entra(**claims):
    return {"iss": f"https://login.microsoftonline.com/{TENANT}/v2.0", "sub": "pairwise-sub", **claims}


def test_entra_users_are_their_object_id_in_their_tenant_whatever_their_email():
    before = identity_of(entra(oid=OBJECT_ID, tid=TENANT, email="ann@contoso.example"), local=False)
    renamed = identity_of(entra(oid=OBJECT_ID, tid=TENANT, email="ann.smith@fabrikam.example"), local=False)
    assert before == renamed == (f"entra:{TENANT}", OBJECT_ID)
    assert identity_of(entra(oid=OBJECT_ID, tid=OTHER_TENANT), local=False) != before


def test_a_token_without_oid_and_tid_is_its_issuer_and_subject():
    assert identity_of(entra(oid=OBJECT_ID), local=False) == (entra()["iss"], "pairwise-sub")
    with pytest.raises(ValueError):
        identity_of({"iss": "https://issuer.example", "email": "a@b.example"}, local=False)


def test_local_tokens_are_the_local_issuer_and_their_subject():
    assert identity_of({"sub": "local-abc"}, local=True) == (LOCAL_ISSUER, "local-abc")
    # Tokens minted before subjects were derived carried the email as sub: the same user as now.
    assert identity_of({"sub": "ann@example.com"}, local=True) == (
        LOCAL_ISSUER,
        local_subject("ann@example.com"),
    )
    with pytest.raises(ValueError):
        identity_of({"sub": ""}, local=True)


def test_a_local_subject_is_derived_from_the_email_without_case():
    assert local_subject("Ann@Example.com ") == local_subject("ann@example.com")
    assert local_subject("ann@example.com") != local_subject("bob@example.com")
    assert "@" not in local_subject("ann@example.com")


def test_user_ids_are_opaque_url_safe_and_distinct_per_issuer_and_subject():
    ann = user_id_for(f"entra:{TENANT}", OBJECT_ID)
    assert is_user_id(ann) and ann == user_id_for(f"entra:{TENANT}", OBJECT_ID)
    assert ann != user_id_for(f"entra:{OTHER_TENANT}", OBJECT_ID)
    assert ann != user_id_for(LOCAL_ISSUER, OBJECT_ID)
    # The separator is part of the hash: ("a", "bc") and ("ab", "c") are two users.
    assert user_id_for("a", "bc") != user_id_for("ab", "c")
    assert not is_user_id("ann@example.com") and not is_user_id("user_ABC") and not is_user_id(ann + "0")


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"email": "Ann@Contoso.example"}, ("ann@contoso.example", True)),
        ({"preferred_username": "ann@contoso.example"}, ("ann@contoso.example", True)),
        ({"upn": "ann@contoso.example"}, ("ann@contoso.example", True)),
        ({"email": "ann@contoso.example", "upn": "other@contoso.example"}, ("ann@contoso.example", True)),
        ({"email": "ann@contoso.example", "email_verified": False}, ("ann@contoso.example", False)),
        ({"email": "ann@contoso.example", "email_verified": "false"}, ("ann@contoso.example", False)),
        ({"email": "ann@contoso.example", "xms_edov": False}, ("ann@contoso.example", False)),
        ({"preferred_username": "ann (no address)"}, (None, False)),
        ({}, (None, False)),
    ],
)
def test_the_attested_email_and_whether_it_may_take_an_invitation(claims, expected):
    assert attested_email(claims) == expected


ANN = user_id_for(LOCAL_ISSUER, local_subject("ann@example.com"))
BOB = user_id_for(LOCAL_ISSUER, "bob-subject")


def invited(*emails, role="member"):
    roster: dict[str, MemberEntry] = {ANN: MemberEntry(role="admin", added_at=NOW, email="ann@example.com")}
    for email in emails:
        roster = add_member(roster, email, role, NOW, ANN)
    return roster


def test_an_invitation_is_keyed_by_its_email_until_taken():
    roster = invited("bob@example.com")
    assert is_invitation("bob@example.com") and not is_invitation(ANN)
    assert roster["bob@example.com"].email == "bob@example.com"
    assert email_of("bob@example.com", roster["bob@example.com"]) == "bob@example.com"


def test_taking_an_invitation_rekeys_it_to_the_user_and_keeps_role_and_history():
    roster = invited("bob@example.com", role="admin")
    taken = bind_invitation(roster, "bob@example.com", BOB)
    assert taken is not None and set(taken) == {ANN, BOB}
    assert (taken[BOB].role, taken[BOB].email, taken[BOB].added_by) == ("admin", "bob@example.com", ANN)
    assert taken[BOB].added_at == NOW
    assert set(roster) == {ANN, "bob@example.com"}  # the input is unchanged


def test_an_invitation_written_before_stable_ids_is_taken_the_same_way():
    legacy = {"carol@example.com": MemberEntry(role="admin", added_at=NOW, added_by="carol@example.com")}
    assert email_of("carol@example.com", legacy["carol@example.com"]) == "carol@example.com"
    taken = bind_invitation(legacy, "carol@example.com", BOB)
    assert taken is not None and list(taken) == [BOB]
    assert (taken[BOB].role, taken[BOB].email) == ("admin", "carol@example.com")


def test_there_is_nothing_to_take_for_another_email_or_a_user_already_member():
    roster = invited("bob@example.com")
    assert bind_invitation(roster, "mallory@example.com", BOB) is None
    assert bind_invitation(roster, "bob@example.com", ANN) is None  # Ann is a member: the invite stays
    assert bind_invitation(roster, ANN, BOB) is None  # a user id is never an invitation


def test_an_email_is_invited_once_whether_pending_or_taken():
    roster = invited("bob@example.com")
    for again in (roster, bind_invitation(roster, "bob@example.com", BOB)):
        assert again is not None
        with pytest.raises(ApiError) as raised:
            add_member(again, "bob@example.com", "admin", NOW, ANN)
        assert (raised.value.status, raised.value.code) == (409, "MemberAlreadyExists")


def test_a_route_names_a_member_by_id_and_a_pending_invitation_by_email():
    roster = invited("bob@example.com", "dan@example.com")
    taken = bind_invitation(roster, "bob@example.com", BOB)
    assert taken is not None
    assert member_key(taken, BOB) == BOB
    assert member_key(taken, " Dan@Example.com ") == "dan@example.com"
    with pytest.raises(ApiError) as by_old_email:
        member_key(taken, "bob@example.com")
    assert (by_old_email.value.status, by_old_email.value.code) == (404, "MemberNotFound")
    assert BOB in by_old_email.value.description  # says which id to use
    with pytest.raises(ApiError) as unknown:
        member_key(taken, user_id_for(LOCAL_ISSUER, "nobody"))
    assert unknown.value.status == 404
