"""Cleaning typed text before it is stored."""

import pytest

from feedback.text import clean_free_text


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  kind staff \n", "kind staff"),
        ("line one\r\nline two\rthree", "line one\nline two\nthree"),
        ("nul\x00byte and bell\x07", "nulbyte and bell"),
        ("tab\tkept", "tab\tkept"),
        ("e\u0301", "\u00e9"),  # NFC: one é, however it was typed
        ("lone \ud800 surrogate", "lone ? surrogate"),
        ("ڈاکٹر بہت مہربان تھے۔", "ڈاکٹر بہت مہربان تھے۔"),
        ("'; DROP TABLE responses; --", "'; DROP TABLE responses; --"),
    ],
)
def test_clean_free_text(typed, stored):
    assert clean_free_text(typed) == stored
