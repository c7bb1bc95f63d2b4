import pytest

from shared.secret_box import SecretBox, SecretBoxError


def test_a_sealed_secret_opens_for_its_owner_only():
    box = SecretBox(b"k" * 32)
    sealed = box.seal("sk-provider-secret", owner="key_a")
    assert "sk-provider-secret" not in sealed
    assert box.open(sealed, owner="key_a") == "sk-provider-secret"
    with pytest.raises(SecretBoxError):
        box.open(sealed, owner="key_b")


def test_sealing_twice_gives_different_ciphertexts():
    box = SecretBox(b"k" * 32)
    assert box.seal("same", "o") != box.seal("same", "o")


def test_another_key_cannot_open_a_sealed_secret():
    sealed = SecretBox(b"a" * 32).seal("secret", "o")
    with pytest.raises(SecretBoxError):
        SecretBox(b"b" * 32).open(sealed, "o")


def test_passphrase_must_be_long_enough_and_derives_a_stable_key():
    with pytest.raises(SecretBoxError):
        SecretBox.from_passphrase("short")
    passphrase = "x" * 40
    sealed = SecretBox.from_passphrase(passphrase).seal("v", "o")
    assert SecretBox.from_passphrase(passphrase).open(sealed, "o") == "v"


def test_an_unresolved_key_vault_reference_is_refused_as_a_key():
    with pytest.raises(SecretBoxError, match="unresolved Key Vault reference"):
        SecretBox.from_passphrase(
            "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/omni-secrets-key/)"
        )
