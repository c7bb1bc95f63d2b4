"""If-Match against the stored ETag."""

from shared.concurrency import etag_matches

ETAG = "W/\"datetime'2026-03-10T12%3A00%3A00.0000000Z'\""


def test_the_current_etag_matches():
    assert etag_matches(ETAG, ETAG)
    assert etag_matches(f' "other", {ETAG} ', ETAG)


def test_a_star_matches_any_version():
    assert etag_matches("*", ETAG)


def test_a_stale_etag_does_not_match():
    assert not etag_matches("W/\"datetime'2026-03-10T11%3A00%3A00.0000000Z'\"", ETAG)
    assert not etag_matches("", ETAG)
