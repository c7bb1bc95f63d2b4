"""An agent's language is stored as its ISO 639-1 code, whichever published form the client sent."""

import pytest

from shared.agents.languages import ISO_639_1, normalize_language


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("en", "en"),
        ("EN", "en"),
        (" es ", "es"),
        ("English", "en"),
        ("english", "en"),
        ("SPANISH", "es"),
        ("Norwegian Bokmål", "nb"),
        ("Scottish  Gaelic", "gd"),
        ("Farsi", "fa"),
        ("Mandarin", "zh"),
    ],
)
def test_codes_and_english_names_normalise_to_the_iso_639_1_code(sent, stored):
    assert normalize_language(sent) == stored


@pytest.mark.parametrize("sent", ["", "eng", "en-US", "english language", "xx", "Klingon", "e n"])
def test_anything_else_is_not_a_language(sent):
    assert normalize_language(sent) is None


def test_the_table_is_the_whole_iso_639_1_set_of_two_letter_codes():
    assert len(ISO_639_1) == 183
    assert all(len(code) == 2 and code.isalpha() and code.islower() for code in ISO_639_1)
    names = [name.casefold() for name in ISO_639_1.values()]
    assert len(set(names)) == len(names)
