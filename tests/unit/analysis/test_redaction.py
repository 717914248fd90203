"""Redacting personal data from comments, and leaving clinical detail alone."""

import pytest

from feedback.analysis.redaction import Redacted, nhs_number_is_valid, redact


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("9434765919", True),
        ("943 476 5919", True),
        ("943-476-5919", True),
        ("4010232137", True),
        ("9434765918", False),  # wrong check digit
        ("4010232138", False),
        ("1000000010", False),  # check digit would be 10, which no NHS number has
        ("943476591", False),  # nine digits
        ("94347659190", False),
    ],
)
def test_nhs_number_check_digit(number, valid):
    assert nhs_number_is_valid(number) is valid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NHS numbers
        ("My NHS number is 943 476 5919", "My NHS number is [NHS NUMBER]"),
        ("nhs no 9434765919.", "nhs no [NHS NUMBER]."),
        ("ref 943-476-5919", "ref [NHS NUMBER]"),
        # Phones
        ("Call 07700 900123", "Call [PHONE]"),
        ("Call 07700900123", "Call [PHONE]"),
        ("Call +44 7700 900 123", "Call [PHONE]"),
        ("Call +44 (0)7700 900123", "Call [PHONE]"),
        ("Call (020) 7946 0018", "Call [PHONE]"),
        ("Call 0161-496-0000", "Call [PHONE]"),
        ("Call 0113 496 0000 please", "Call [PHONE] please"),
        ("Rang 07700 900123 20 times", "Rang [PHONE] 20 times"),
        # Emails
        ("email jo.bloggs+nhs@example.co.uk", "email [EMAIL]"),
        ("Email: A.Patel@nhs.net.", "Email: [EMAIL]."),
        # Postcodes
        ("I live at SW1A 1AA", "I live at [POSTCODE]"),
        ("postcode m1 1ae", "postcode [POSTCODE]"),
        ("sw1a1aa is mine", "[POSTCODE] is mine"),
        ("CF10 3AT, Cardiff", "[POSTCODE], Cardiff"),
        # Dates of birth
        ("DOB 01/02/1980", "DOB [DATE OF BIRTH]"),
        ("date of birth: 3rd March 1975", "date of birth: [DATE OF BIRTH]"),
        ("born on 12 May 2001", "born on [DATE OF BIRTH]"),
        ("d.o.b. 1980-02-01", "d.o.b. [DATE OF BIRTH]"),
        ("My D.O.B is 1.2.80", "My D.O.B is [DATE OF BIRTH]"),
        ("Born March 3, 1975", "Born [DATE OF BIRTH]"),
        # Names
        ("Dr Patel was great", "Dr [NAME] was great"),
        ("dr patel explained", "dr [NAME] explained"),
        ("Dr. Sarah Jones and Mrs. Jones too", "Dr. [NAME] and Mrs. [NAME] too"),
        ("nurse Sarah was kind", "nurse [NAME] was kind"),
        ("Sister O'Neill helped", "Sister [NAME] helped"),
        ("Prof Nowak-Smith", "Prof [NAME]"),
        ("My name is John Smith", "My name is [NAME]"),
        ("my name is john smith", "my name is [NAME]"),
        ("I am called Anna", "I am called [NAME]"),
        ("a nurse called Bethan", "a nurse called [NAME]"),
        ("Thanks to Sarah Jones and the team", "Thanks to [NAME] and the team"),
        ("thank you to Tom Evans!", "thank you to [NAME]!"),
        ("Fy enw i yw Dafydd", "Fy enw i yw [NAME]"),
        ("Nazywam się Agata", "Nazywam się [NAME]"),
        ("Mă numesc Ioana", "Mă numesc [NAME]"),
        ("میرا نام احمد ہے", "میرا نام [NAME] ہے"),
        # Cues in capitals, after punctuation, with letters lower-casing treats apart
        ("(Dr Patel) was kind", "(Dr [NAME]) was kind"),
        ("I was seen by DR PATEL", "I was seen by DR [NAME]"),
        ("MY NAME IS İLKER", "MY NAME IS [NAME]"),
        ("MĂ NUMESC Ion", "MĂ NUMESC [NAME]"),
        ("the nurse, Sister Jones, helped", "the nurse, Sister [NAME], helped"),
        ("my nurse was called Anna", "my nurse was called [NAME]"),
        # Digits of any script count, as \d counts them
        ("NHS no ٩٤٣٤٧٦٥٩١٩ thanks", "NHS no [NHS NUMBER] thanks"),
    ],
)
def test_redacts(text, expected):
    assert redact(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "Seen at 10:30 and again at 10.30am",
        "Took 5mg, then 2.5 ml, then 500 mg",
        "Parking cost £12.50 or £3",
        "Back in 2023, and in 2019 too",
        "I rang NHS 111 and then 999",
        "I was on ward 5 then Ward 12",
        "the nurse was kind",
        "Nurse Was kind",  # a capitalised common word is no name
        "The doctor said to wait",
        "thanks to the A&E team",
        "I called the surgery",
        "I called 111",
        "On 01/02/2024 I had bloods",  # a date with no birth cue
        "Appointment on 3rd March 1975",
        "ref 943 476 5918",  # fails the check digit and is no phone
        "Waited 45 minutes, 2 hours in total",
        "Blood pressure 120/80",
        "B12 injection at 2pm",
    ],
)
def test_leaves_alone(text):
    result = redact(text)
    assert result.text == text
    assert result.found == ()


def test_invalid_nhs_number_that_looks_like_a_phone_is_a_phone():
    # 0123 456 7891 fails the NHS check but is an 11-digit 01 landline.
    assert redact("0123 456 7891").text == "[PHONE]"
    assert redact("012 345 6780").text == "[PHONE]"  # ten digits, bad NHS check


def test_found_spans_point_into_the_original_text():
    text = "Dr Patel, 07700 900123, jo@example.com, SW1A 1AA, NHS 943 476 5919, DOB 1/2/1980"
    result = redact(text)
    assert isinstance(result, Redacted)
    assert [(label, text[start:end]) for label, start, end in result.found] == [
        ("NAME", "Patel"),
        ("PHONE", "07700 900123"),
        ("EMAIL", "jo@example.com"),
        ("POSTCODE", "SW1A 1AA"),
        ("NHS NUMBER", "943 476 5919"),
        ("DATE OF BIRTH", "1/2/1980"),
    ]
    assert result.text == (
        "Dr [NAME], [PHONE], [EMAIL], [POSTCODE], NHS [NHS NUMBER], DOB [DATE OF BIRTH]"
    )


@pytest.mark.parametrize(
    "text",
    [
        "email dr.patel@nhs.net",  # a title inside an email
        "mr.jones@example.com",
        "call 07700 900123 dob 01/02/1980",
    ],
)
def test_labels_never_overlap(text):
    spans = redact(text).found
    for (_, _, end), (_, start, _) in zip(spans, spans[1:], strict=False):
        assert end <= start


def test_email_wins_over_a_title_inside_it():
    assert redact("email dr.patel@nhs.net").text == "email [EMAIL]"


def test_redacting_twice_changes_nothing_more():
    once = redact("Dr Patel on 07700 900123").text
    assert redact(once).text == once
