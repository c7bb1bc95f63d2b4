"""Encryption of secrets at rest (model provider keys, tool signing secrets): AES-256-GCM.

A sealed value is ``v1.<base64 nonce + ciphertext>``; the associated data binds it to its owner (for
example the API key id), so a sealed secret copied onto another record does not open.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = "v1"


class SecretBoxError(ValueError):
    pass


class SecretBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise SecretBoxError("The secrets key must be 32 bytes (base64 of 32 random bytes).")
        self._aead = AESGCM(key)

    @classmethod
    def from_passphrase(cls, passphrase: str) -> SecretBox:
        """The key from a setting (OMNI_SECRETS_KEY): at least 32 random characters, hashed to 256 bits,
        so a generated password from Key Vault or azd serves as it is."""
        if passphrase.startswith("@Microsoft.KeyVault("):
            # App Service passes an unresolved reference through as text: never encrypt with that.
            raise SecretBoxError(
                "OMNI_SECRETS_KEY is an unresolved Key Vault reference: check that the app's identity has "
                "the Key Vault Secrets User role on the vault."
            )
        if len(passphrase) < 32:
            raise SecretBoxError("OMNI_SECRETS_KEY must be at least 32 random characters.")
        return cls(hashlib.sha256(passphrase.encode()).digest())

    def seal(self, plaintext: str, owner: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), owner.encode())
        return f"{_VERSION}.{base64.b64encode(nonce + sealed).decode()}"

    def open(self, sealed: str, owner: str) -> str:
        version, _, payload = sealed.partition(".")
        if version != _VERSION:
            raise SecretBoxError("Unknown sealed secret format.")
        raw = base64.b64decode(payload)
        try:
            return self._aead.decrypt(raw[:12], raw[12:], owner.encode()).decode()
        except Exception as error:
            raise SecretBoxError("The sealed secret does not open with this key and owner.") from error
