"""The webhook's token check against the fake Entra tenant's signing keys (its OpenID configuration
and JWKS over TLS): only the Marketplace's tokens for this publisher pass."""

from __future__ import annotations

import jwt
import pytest

from shared.api_errors import ApiError
from shared.billing.marketplace import MARKETPLACE_APP_ID
from shared.billing.webhook_auth import WebhookAuthenticator
from shared.settings import MarketplaceSettings
from tests.fakes.marketplace import FakeMarketplace


@pytest.fixture
def authenticator(marketplace: FakeMarketplace) -> WebhookAuthenticator:
    return WebhookAuthenticator(marketplace.settings(), ssl_context=marketplace.ssl_context())


def refusal(authenticator: WebhookAuthenticator, header: str | None) -> ApiError:
    with pytest.raises(ApiError) as raised:
        authenticator.authenticate(header)
    assert raised.value.status == 401
    assert raised.value.body()["code"] == "Unauthorized"
    return raised.value


def test_the_marketplaces_v1_and_v2_tokens_pass(marketplace, authenticator):
    v1 = authenticator.authenticate(f"Bearer {marketplace.webhook_token()}")
    v2 = authenticator.authenticate(f"Bearer {marketplace.webhook_token(version='2.0')}")
    assert (v1.app_id, v1.issuer) == (MARKETPLACE_APP_ID, marketplace.v1_issuer)
    assert (v2.app_id, v2.issuer) == (MARKETPLACE_APP_ID, marketplace.v2_issuer)


def test_a_forged_token_is_refused(marketplace, authenticator):
    refusal(authenticator, f"Bearer {marketplace.webhook_token(forged=True)}")


def test_an_expired_token_is_refused(marketplace, authenticator):
    error = refusal(authenticator, f"Bearer {marketplace.webhook_token(expires_in=-120)}")
    assert "expired" in error.description


def test_a_token_for_another_audience_is_refused(marketplace, authenticator):
    refusal(authenticator, f"Bearer {marketplace.webhook_token(audience='api://someone-else')}")


def test_a_token_of_another_tenant_is_refused(marketplace, authenticator):
    other = "https://sts.windows.net/00000000-1111-2222-3333-444444444444/"
    refusal(authenticator, f"Bearer {marketplace.webhook_token(issuer=other)}")


def test_a_token_issued_to_another_app_is_refused(marketplace, authenticator):
    error = refusal(
        authenticator, f"Bearer {marketplace.webhook_token(app_id='11111111-2222-3333-4444-555555555555')}"
    )
    assert "Marketplace" in error.description


def test_an_hmac_or_unsigned_token_is_refused(marketplace, authenticator):
    claims = {
        "aud": marketplace.client_id,
        "iss": marketplace.v1_issuer,
        "exp": 4102444800,
        "appid": MARKETPLACE_APP_ID,
    }
    refusal(authenticator, "Bearer " + jwt.encode(claims, marketplace.client_secret, algorithm="HS256"))
    unsigned = jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]
    refusal(authenticator, f"Bearer {unsigned}")


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer ", "Bearer not.a.jwt"])
def test_a_missing_or_malformed_header_is_refused(authenticator, header):
    refusal(authenticator, header)


def test_nothing_passes_while_billing_is_off():
    authenticator = WebhookAuthenticator(MarketplaceSettings())
    refusal(authenticator, "Bearer whatever")


def test_signing_keys_are_fetched_once_and_cached(marketplace, authenticator):
    for _ in range(3):
        authenticator.authenticate(f"Bearer {marketplace.webhook_token()}")
    assert marketplace.key_fetches == 1
