"""Sheet references: short, unambiguous, and self-checking."""

import pytest

from feedback.references import InvalidReference, decode, encode, normalise


@pytest.mark.parametrize("number", [0, 1, 31, 32, 37, 1000, 12345, 33_554_431])
def test_references_round_trip(number):
    assert decode(encode(number)) == number


def test_references_forgive_case_spaces_and_lookalike_letters():
    reference = encode(12345)  # "00C1S-R"
    assert normalise(" 00c1s r ") == reference
    assert decode("OOC1S-R") == 12345  # O typed for 0


@pytest.mark.parametrize("typed", ["00C1T-R", "0C01S-R", "00C1S-Q", "", "-", "00C1S-R!"])
def test_a_mistyped_or_swapped_reference_is_refused(typed):
    with pytest.raises(InvalidReference):
        decode(typed)
