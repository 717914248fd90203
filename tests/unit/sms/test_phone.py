"""Normalising, checking and masking phone numbers."""

import pytest

from sms.phone import InvalidPhoneNumber, mask_phone, normalise_phone


@pytest.mark.parametrize(
    "raw",
    [
        "07700 900123",
        "07700900123",
        "+44 7700 900123",
        "+447700900123",
        "0044 7700 900123",
        "(07700) 900-123",
        "  07700-900-123  ",
        "+44 (0)7700 900123",
    ],
)
def test_uk_mobile_is_normalised_to_e164_when_written_any_usual_way(raw):
    assert normalise_phone(raw) == "+447700900123"


def test_real_uk_mobile_range_is_accepted():
    assert normalise_phone("07911 123456") == "+447911123456"


def test_digits_in_other_scripts_are_read_when_typed_on_an_urdu_keyboard():
    assert normalise_phone("۰۷۹۱۱ ۱۲۳۴۵۶") == "+447911123456"


def test_mobile_abroad_keeps_its_own_country_code():
    assert normalise_phone("+33 6 12 34 56 78") == "+33612345678"


def test_default_region_applies_to_numbers_without_a_country_code():
    assert normalise_phone("06 12 34 56 78", default_region="FR") == "+33612345678"


def test_fixed_line_or_mobile_counts_as_mobile_when_the_region_cannot_tell():
    assert normalise_phone("+1 202 555 0143") == "+12025550143"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (None, "empty"),
        ("not a number", "not_a_number"),
        ("0800 FLOWERS", "not_a_number"),
        ("+447911123456 ext 5", "not_a_number"),
        ("07911#123456", "not_a_number"),
        ("+", "not_a_number"),
        ("12345", "invalid"),
        ("07911 123456 7", "invalid"),
        ("020 7946 0018", "not_mobile"),
        ("+44 121 496 0000", "not_mobile"),
    ],
)
def test_number_is_refused_with_a_reason_when_sms_cannot_reach_it(raw, reason):
    with pytest.raises(InvalidPhoneNumber) as caught:
        normalise_phone(raw)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        ("+447700900123", "+44•••••••123"),
        ("+33612345678", "+33••••••678"),
        ("+12025550143", "+1•••••••143"),
        ("07700900123", "••••••••123"),
        ("123", "•••"),
        ("", "•••"),
    ],
)
def test_mask_shows_only_country_code_and_last_three_digits(e164, masked):
    assert mask_phone(e164) == masked
