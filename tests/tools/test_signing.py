"""Signatures of explicit tool calls: the contract's HMAC, checked the way customers will check it."""

from __future__ import annotations

from shared.tools.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, signature_headers, verify

SECRET = "whsec_test"
TIMESTAMP = "1700000000"
BODY = b'{"callId":"c1"}'
# printf '%s' '1700000000.{"callId":"c1"}' | openssl dgst -sha256 -hmac 'whsec_test'
KNOWN = "sha256=8a9a721d01afa58af97ea3543912a5e3c95041202c57f6defdd2d9eedccfb119"


def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    assert sign(SECRET, TIMESTAMP, BODY) == KNOWN


def test_verify_accepts_a_fresh_signature_either_side_of_now():
    assert verify(SECRET, TIMESTAMP, BODY, KNOWN, now=1700000000)
    assert verify(SECRET, TIMESTAMP, BODY, KNOWN, now=1700000300)
    assert verify(SECRET, TIMESTAMP, BODY, KNOWN, now=1699999700)


def test_verify_refuses_a_stale_or_future_timestamp():
    assert not verify(SECRET, TIMESTAMP, BODY, KNOWN, now=1700000301)
    assert not verify(SECRET, TIMESTAMP, BODY, KNOWN, now=1699999699)
    assert verify(SECRET, TIMESTAMP, BODY, KNOWN, now=1700000400, tolerance_seconds=600)


def test_verify_refuses_a_tampered_body_timestamp_or_secret():
    assert not verify(SECRET, TIMESTAMP, b'{"callId":"c2"}', KNOWN, now=1700000000)
    assert not verify(SECRET, "1700000001", BODY, KNOWN, now=1700000000)
    assert not verify("whsec_other", TIMESTAMP, BODY, KNOWN, now=1700000000)


def test_verify_refuses_malformed_input_without_raising():
    assert not verify(SECRET, "not-a-number", BODY, KNOWN, now=1700000000)
    assert not verify(SECRET, TIMESTAMP, BODY, KNOWN.upper(), now=1700000000)
    assert not verify(SECRET, TIMESTAMP, BODY, KNOWN.removeprefix("sha256="), now=1700000000)
    assert not verify(SECRET, TIMESTAMP, BODY, "sha256=é", now=1700000000)
    assert not verify(SECRET, TIMESTAMP, BODY, "", now=1700000000)


def test_signature_headers_always_carry_the_timestamp_and_sign_only_with_a_secret():
    assert signature_headers(SECRET, TIMESTAMP, BODY) == {
        TIMESTAMP_HEADER: TIMESTAMP,
        SIGNATURE_HEADER: KNOWN,
    }
    assert signature_headers(None, TIMESTAMP, BODY) == {TIMESTAMP_HEADER: TIMESTAMP}


def test_the_copyable_verify_in_the_module_docstring_agrees_with_verify():
    import shared.tools.signing as signing

    source = signing.__doc__ or ""
    snippet = source[source.index("import hashlib") : source.index("# In a request handler")]
    namespace: dict[str, object] = {}
    exec(compile(_dedent(snippet), "<docstring>", "exec"), namespace)
    copied = namespace["verify"]
    assert callable(copied)
    for now, body in ((1700000000, BODY), (1700000301, BODY), (1700000000, b"tampered")):
        assert copied(SECRET, TIMESTAMP, body, KNOWN, now) == verify(SECRET, TIMESTAMP, body, KNOWN, now)


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent("    " + text)
