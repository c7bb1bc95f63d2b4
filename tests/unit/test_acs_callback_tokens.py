"""The check of Call Automation callback tokens: only RS256 tokens of the key set, for this resource,
from ACS's issuer and unexpired, pass. The key set is served by a loopback server, as ACS serves it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from shared.phone.callback_auth import CallbackTokenError, CallbackTokenVerifier
from shared.phone.settings import ACS_CALLBACK_ISSUER, AcsSettings

AUDIENCE = "5e6f0f1a-0000-4000-8000-000000000001"
KID = "acs-key-1"
SIGNING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    jwk = RSAAlgorithm.to_jwk(SIGNING_KEY.public_key(), as_dict=True)
    body = json.dumps({"keys": [{**jwk, "kid": KID, "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/calling/keys"
    finally:
        server.shutdown()
        server.server_close()


def token(key: Any = SIGNING_KEY, kid: str = KID, algorithm: str = "RS256", **overrides: Any) -> str:
    now = int(time.time())
    claims = {"iss": ACS_CALLBACK_ISSUER, "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + 300}
    claims.update(overrides)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid})


def test_a_token_of_acs_for_this_resource_passes(jwks_url: str) -> None:
    verifier = CallbackTokenVerifier.from_settings(
        AcsSettings(callback_jwks_url=jwks_url, callback_audience=AUDIENCE)
    )
    claims = verifier.verify(f"Bearer {token()}")
    assert (claims["iss"], claims["aud"]) == (ACS_CALLBACK_ISSUER, AUDIENCE)


@pytest.mark.parametrize(
    ("authorization", "why"),
    [
        (None, "no header"),
        ("", "empty"),
        ("Basic dXNlcjpwYXNz", "not a bearer"),
        ("Bearer ", "no token"),
        ("Bearer not-a-jwt", "not a JWT"),
        (f"Bearer {token(key=OTHER_KEY)}", "forged: the right kid, another key"),
        (f"Bearer {token(key=OTHER_KEY, kid='unknown')}", "a key not in the set"),
        (f"Bearer {token(exp=int(time.time()) - 90, iat=int(time.time()) - 390)}", "expired (past the skew)"),
        (f"Bearer {token(aud='another-resource')}", "another resource's"),
        (f"Bearer {token(iss='https://evil.example')}", "another issuer"),
        (f"Bearer {token(exp=None)}", "no expiry"),
        (f"Bearer {token(nbf=int(time.time()) + 600)}", "not valid yet"),
        (f"Bearer {token(key='a-shared-secret-of-32-bytes-or-more!', algorithm='HS256')}", "HS256"),
    ],
)
def test_other_tokens_are_refused(jwks_url: str, authorization: str | None, why: str) -> None:
    verifier = CallbackTokenVerifier(jwks_url, AUDIENCE)
    with pytest.raises(CallbackTokenError):
        verifier.verify(authorization)


def test_a_clock_a_few_seconds_off_is_tolerated(jwks_url: str) -> None:
    now = int(time.time())
    CallbackTokenVerifier(jwks_url, AUDIENCE).verify(
        f"Bearer {token(iat=now + 10, nbf=now + 10, exp=now - 10)}"
    )


def test_without_an_audience_nothing_passes(jwks_url: str) -> None:
    with pytest.raises(CallbackTokenError, match="ACS_CALLBACK_AUDIENCE"):
        CallbackTokenVerifier(jwks_url, None).verify(f"Bearer {token()}")
