"""Bearer tokens: an OpenID Connect issuer served on loopback (as Entra ID serves its keys), and
the devhost's local tokens, which only local mode accepts."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.api_errors import ApiError
from shared.auth.tokens import TokenAuthenticator, mint_local_token
from shared.settings import load_settings

AUDIENCE = "api://omniagent-test"


@pytest.fixture(scope="module")
def issuer() -> Iterator[tuple[str, rsa.RSAPrivateKey]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "test-key", "use": "sig", "alg": "RS256"})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            documents = {
                "/.well-known/openid-configuration": {"issuer": base, "jwks_uri": f"{base}/keys"},
                "/keys": {"keys": [jwk]},
            }
            body = json.dumps(documents.get(self.path, {})).encode()
            self.send_response(200 if self.path in documents else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", key
    server.shutdown()


def _token(
    key: rsa.RSAPrivateKey,
    issuer_url: str,
    audience: str = AUDIENCE,
    lifetime: int = 600,
    kid: str = "test-key",
    **extra: object,
) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": issuer_url,
        "aud": audience,
        "sub": "user-1",
        "preferred_username": "Ada@Example.com",
        "name": "Ada",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=lifetime)).timestamp()),
        **extra,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def _azure(issuer_url: str) -> TokenAuthenticator:
    return TokenAuthenticator(
        load_settings(
            {
                "OMNI_ENVIRONMENT": "azure",
                "OMNI_STORAGE_ACCOUNT_NAME": "acct",
                "OMNI_AUTH_ISSUER": issuer_url,
                "OMNI_AUTH_AUDIENCE": AUDIENCE,
            }
        )
    )


def test_issuer_token_resolves_to_the_user_by_lower_cased_email(issuer):
    issuer_url, key = issuer
    user = _azure(issuer_url).authenticate(f"Bearer {_token(key, issuer_url)}")
    assert (user.email, user.name) == ("ada@example.com", "Ada")


def test_an_issuer_token_names_its_user_by_oid_and_tid_not_by_email(issuer):
    issuer_url, key = issuer
    authenticator = _azure(issuer_url)
    tenant = {"oid": "00000000-0000-0000-0000-0000000000aa", "tid": "72f988bf-0000-0000-0000-000000000001"}

    ada = authenticator.authenticate(f"Bearer {_token(key, issuer_url, email='ada@example.com', **tenant)}")
    renamed = authenticator.authenticate(
        f"Bearer {_token(key, issuer_url, email='ada.lovelace@example.org', sub='other-pairwise', **tenant)}"
    )
    same_email = authenticator.authenticate(
        f"Bearer {_token(key, issuer_url, email='ada@example.com', oid='another-object', tid=tenant['tid'])}"
    )

    assert ada.user_id.startswith("user_") and "@" not in ada.user_id
    assert renamed.user_id == ada.user_id and renamed.email == "ada.lovelace@example.org"
    assert same_email.user_id != ada.user_id
    assert (ada.email, ada.email_verified) == ("ada@example.com", True)


def test_an_issuer_token_marking_its_email_unverified_is_the_user_but_takes_no_invitation(issuer):
    issuer_url, key = issuer
    user = _azure(issuer_url).authenticate(f"Bearer {_token(key, issuer_url, xms_edov=False)}")
    # Without oid/tid the user is the token's iss + sub: preferred_username is only the shown email.
    plain = _azure(issuer_url).authenticate(f"Bearer {_token(key, issuer_url)}")
    assert user.user_id == plain.user_id
    assert (user.email, user.email_verified) == ("ada@example.com", False)


@pytest.mark.parametrize("problem", ["wrong audience", "expired", "forged", "other issuer"])
def test_bad_issuer_tokens_are_refused_with_401(issuer, problem):
    issuer_url, key = issuer
    token = {
        "wrong audience": lambda: _token(key, issuer_url, audience="api://someone-else"),
        "expired": lambda: _token(key, issuer_url, lifetime=-60),
        "forged": lambda: _token(rsa.generate_private_key(public_exponent=65537, key_size=2048), issuer_url),
        "other issuer": lambda: _token(key, "https://login.example.net/"),
    }[problem]()
    with pytest.raises(ApiError) as refused:
        _azure(issuer_url).authenticate(f"Bearer {token}")
    assert refused.value.status == 401


def test_local_tokens_work_in_local_mode_and_are_refused_outside_it(issuer, tmp_path):
    local = load_settings(
        {
            "OMNI_ENVIRONMENT": "local",
            "OMNI_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true",
            "OMNI_LOCAL_STATE_DIR": str(tmp_path),
        }
    )
    token = mint_local_token(local, "Alice@Example.com")
    alice = TokenAuthenticator(local).authenticate(f"Bearer {token}")
    assert (alice.email, alice.email_verified) == ("alice@example.com", True)
    # The subject follows from the email: every local token for the address is the same user.
    again = TokenAuthenticator(local).authenticate(f"Bearer {mint_local_token(local, 'alice@example.com')}")
    assert again.user_id == alice.user_id and alice.user_id.startswith("user_")
    assert jwt.decode(token, options={"verify_signature": False})["sub"] != "alice@example.com"

    issuer_url, _ = issuer
    with pytest.raises(ApiError) as refused:
        _azure(issuer_url).authenticate(f"Bearer {token}")
    assert refused.value.status == 401


def test_missing_or_non_bearer_authorization_is_401(tmp_path):
    local = load_settings(
        {
            "OMNI_ENVIRONMENT": "local",
            "OMNI_STORAGE_CONNECTION_STRING": "x",
            "OMNI_LOCAL_STATE_DIR": str(tmp_path),
        }
    )
    for header in (None, "", "Basic abc", "Bearer not.a.jwt"):
        with pytest.raises(ApiError) as refused:
            TokenAuthenticator(local).authenticate(header)
        assert refused.value.status == 401
