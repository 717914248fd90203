"""GSM-7 and UCS-2: which a message needs, how many segments it costs, and sanitising."""

import pytest

from sms.encoding import (
    GSM7_EXTENSION,
    MAX_BODY_CHARACTERS,
    SegmentInfo,
    is_gsm7,
    sanitise,
    segments,
)

URDU = "آپ کی رائے ہمارے لیے اہم ہے"
WELSH = "Diolch am eich adborth ar ŵyl y gwasanaeth"


def test_twilio_body_limit_is_1600_characters():
    assert MAX_BODY_CHARACTERS == 1600


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, how was your appointment?", True),
        ("Price £5 @ 10:00 — no", False),
        ("Price £5 @ 10:00 - ok", True),
        ("{}[]~^|\\€", True),
        ("Ça va? Ñ ü ß Δ", True),
        (WELSH, False),
        (URDU, False),
        ("Thanks 👍", False),
        ("It’s fine", False),
        ("tab\there", False),
    ],
)
def test_gsm7_is_needed_for_every_character(text, expected):
    assert is_gsm7(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SegmentInfo("GSM-7", 0, 0, 160)),
        ("a" * 160, SegmentInfo("GSM-7", 160, 1, 160)),
        ("a" * 161, SegmentInfo("GSM-7", 161, 2, 153)),
        ("a" * 306, SegmentInfo("GSM-7", 306, 2, 153)),
        ("a" * 307, SegmentInfo("GSM-7", 307, 3, 153)),
        ("ŵ" * 70, SegmentInfo("UCS-2", 70, 1, 70)),
        ("ŵ" * 71, SegmentInfo("UCS-2", 71, 2, 67)),
        ("ŵ" * 134, SegmentInfo("UCS-2", 134, 2, 67)),
        ("ŵ" * 135, SegmentInfo("UCS-2", 135, 3, 67)),
    ],
)
def test_segment_boundaries(text, expected):
    assert segments(text) == expected


@pytest.mark.parametrize("char", sorted(GSM7_EXTENSION))
def test_extension_characters_cost_two_septets(char):
    assert segments("a" * 158 + char) == SegmentInfo("GSM-7", 160, 1, 160)
    assert segments("a" * 159 + char).segments == 2


def test_extension_character_is_not_split_across_two_segments():
    # 152 septets, then a 2-septet euro sign that cannot fit in the first segment's last one.
    info = segments("a" * 152 + "€" + "a" * 152)
    assert info.units == 306
    assert info.segments == 3


def test_emoji_counts_as_two_utf16_units():
    assert segments("👍").units == 2
    assert segments("👍" * 35) == SegmentInfo("UCS-2", 70, 1, 70)
    assert segments("a" + "👍" * 35).segments == 2


def test_emoji_pair_is_not_split_across_two_segments():
    info = segments("a" * 66 + "👍" + "a" * 66)
    assert info.units == 134
    assert info.segments == 3


def test_one_welsh_letter_makes_the_whole_message_ucs2():
    text = "a" * 69 + "ŷ"
    assert segments(text) == SegmentInfo("UCS-2", 70, 1, 70)
    assert segments("a" * 70 + "ŷ").segments == 2


def test_urdu_is_ucs2():
    info = segments(URDU)
    assert info.encoding == "UCS-2"
    assert info.units == len(URDU)
    assert info.segments == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It’s ‘fine’", "It's 'fine'"),
        ("“Quoted” „low“", '"Quoted" "low"'),
        ("9–5 — or −3 ‐ ‑", "9-5 - or -3 - -"),
        ("Wait…", "Wait..."),
        ("no\u00a0break\u2009thin\u202fnarrow\u3000wide\ttab", "no break thin narrow wide tab"),
        ("zero\u200bwidth\u2060joiner\ufeffbom\u00adsoft", "zerowidthjoinerbomsoft"),
        ("stray\u200cnon\u200djoiners", "straynonjoiners"),
    ],
)
def test_sanitise_replaces_what_a_reader_would_not_notice(text, expected):
    assert sanitise(text) == expected


@pytest.mark.parametrize(
    "text",
    [WELSH, URDU, "Crème brûlée, ½ price", "Thanks 👍", "Line one\nLine two", "£5 {ok} €"],
)
def test_sanitise_leaves_everything_else_alone(text):
    assert sanitise(text) == text


def test_sanitise_keeps_joiners_where_they_shape_urdu_or_emoji():
    family = "👨\u200d👩\u200d👧"
    urdu_with_zwnj = "می\u200cخواهم"
    assert sanitise(family) == family
    assert sanitise(urdu_with_zwnj) == urdu_with_zwnj


def test_sanitising_curly_quotes_turns_ucs2_into_gsm7():
    text = "We’d like your feedback on today’s appointment. Reply “STOP” to opt out."
    assert segments(text).encoding == "UCS-2"
    assert segments(text).segments == 2
    assert segments(sanitise(text)) == SegmentInfo("GSM-7", len(text), 1, 160)
