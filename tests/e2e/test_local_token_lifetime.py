"""Local bearer tokens live at most `LOCAL_TOKEN_MAX_LIFETIME` (24 hours; issue 16, defect 9: any `exp`
was accepted, so a leaked local token could work for years). Tokens are signed here with the devhost's
own local key, as a script holding that key could."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
import requests

from shared.auth.tokens import (
    LOCAL_AUDIENCE,
    LOCAL_ISSUER,
    LOCAL_TOKEN_MAX_LIFETIME,
    local_signing_key,
    mint_local_token,
)
from tests.e2e.conftest import error_of

T = 30
NOW = datetime.now(UTC)


def _token(platform, **times: datetime | None) -> str:
    claims: dict[str, object] = {"iss": LOCAL_ISSUER, "aud": LOCAL_AUDIENCE, "sub": "local-lifetime"}
    claims.update({name: int(value.timestamp()) for name, value in times.items() if value is not None})
    return jwt.encode(claims, local_signing_key(platform.settings), algorithm="HS256")


def _organizations(platform, token: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.get(platform.url("/manage/organizations"), headers=headers, timeout=T)


@pytest.mark.parametrize(
    ("iat", "exp"),
    [
        (NOW, NOW + timedelta(days=3650)),  # ten years ahead
        (NOW - timedelta(days=30), NOW + timedelta(hours=1)),  # minted a month ago to live a month
        (NOW + timedelta(days=2), NOW + timedelta(days=3)),  # issued "in the future" to outlive the cap
        (None, NOW + timedelta(hours=1)),  # no iat: its lifetime cannot be told
    ],
)
def test_a_local_token_living_longer_than_the_cap_is_refused(platform, iat, exp):
    response = _organizations(platform, _token(platform, iat=iat, exp=exp))

    assert response.status_code == 401, response.text
    assert error_of(response)["code"] == "Unauthorized"


def test_a_local_token_within_the_cap_works_and_minting_past_it_is_refused(platform):
    within = _token(platform, iat=NOW, exp=NOW + LOCAL_TOKEN_MAX_LIFETIME - timedelta(minutes=5))
    minted = mint_local_token(platform.settings, "life@example.com")

    assert _organizations(platform, within).status_code == 200
    assert _organizations(platform, minted).status_code == 200
    with pytest.raises(ValueError):
        mint_local_token(platform.settings, "life@example.com", lifetime=LOCAL_TOKEN_MAX_LIFETIME * 2)
