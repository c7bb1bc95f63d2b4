"""The JWT the stand-in puts on every callback, as Call Automation does, and the keys that check it.

RS256 with the stand-in's own RSA key; ``iss`` = ACS's (``https://acscallautomation.communication.azure
.com``), ``aud`` = the stand-in's resource id, valid five minutes, a new token per delivery. The key
set is served at ``/calling/keys`` and named by ``/calling/.well-known/acsopenidconfiguration``, the
paths ACS publishes them at.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://acscallautomation.communication.azure.com"
TOKEN_LIFETIME_S = 300
OPENID_CONFIGURATION_PATH = "/calling/.well-known/acsopenidconfiguration"


class CallbackSigner:
    def __init__(self, private_key_pem: str, audience: str) -> None:
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        if not isinstance(key, RSAPrivateKey):
            raise ValueError("the callback signing key is not an RSA key")
        self._private_key = key
        self.audience = audience
        public_der = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = base64.urlsafe_b64encode(hashlib.sha256(public_der).digest()).decode().rstrip("=")

    def token(self) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME_S,
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(claims, self._private_key, algorithm="RS256", headers={"kid": self.kid})

    def jwks(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self._private_key.public_key(), as_dict=True)
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    def openid_configuration(self, base_url: str) -> dict[str, Any]:
        return {
            "issuer": ISSUER,
            "jwks_uri": f"{base_url.rstrip('/')}/calling/keys",
            "id_token_signing_alg_values_supported": ["RS256"],
        }
