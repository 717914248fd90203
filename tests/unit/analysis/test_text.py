"""Sentence splitting and word tokens for comments in every service language."""

import pytest

from feedback.analysis.text import sentences, words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Great staff. Long wait! Why?", ["Great staff.", "Long wait!", "Why?"]),
        ("Waited 2.5 hours. Then left.", ["Waited 2.5 hours.", "Then left."]),
        ("Seen at 10.30. Fine.", ["Seen at 10.30.", "Fine."]),
        ("Dr. Patel and Mrs. Jones helped. Thanks", ["Dr. Patel and Mrs. Jones helped.", "Thanks"]),
        ("Bloods e.g. FBC, i.e. routine. Ok", ["Bloods e.g. FBC, i.e. routine.", "Ok"]),
        ("Took approx. 3 hours. Bad", ["Took approx. 3 hours.", "Bad"]),
        ("Forms, letters etc. were lost. Sad", ["Forms, letters etc. were lost.", "Sad"]),
        ("Seen by J. Smith today. Good", ["Seen by J. Smith today.", "Good"]),
        ("I waited... and waited. Then... Nothing.", ["I waited... and waited.", "Then...",
                                                     "Nothing."]),
        ("Slow… Rude staff", ["Slow…", "Rude staff"]),
        ("She said \"Great!\" and left.", ["She said \"Great!\" and left."]),
        ("Really?! Yes.", ["Really?!", "Yes."]),
        ("بہت اچھا۔ شکریہ؟ ٹھیک", ["بہت اچھا۔", "شکریہ؟", "ٹھیک"]),
        ("Parking\nWaiting room", ["Parking", "Waiting room"]),
        ("the nurse was\nvery kind", ["the nurse was very kind"]),
        ("- good staff\n* long wait\n• rude", ["good staff", "long wait", "rude"]),
        ("1. Parking\n2) Signs\n\nOverall fine", ["Parking", "Signs", "Overall fine"]),
        ("  padded.   ", ["padded."]),
        ("", []),
        ("   \n\n ", []),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_sentences(text, expected):
    assert sentences(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I don't know, couldn't wait", ["i", "don't", "know", "couldn't", "wait"]),
        ("Curly don’t", ["curly", "don't"]),
        ("A well-being check-up", ["a", "well-being", "check-up"]),
        ("Roedd y nyrs yn garedig iawn, i'r ŵyr", ["roedd", "y", "nyrs", "yn", "garedig",
                                                  "iawn", "i'r", "ŵyr"]),
        ("Ŷd a dŵr", ["ŷd", "a", "dŵr"]),
        ("Dziękuję, ŁÓDŹ żółć", ["dziękuję", "łódź", "żółć"]),
        ("Mulțumesc, s-a făcut într-o zi", ["mulțumesc", "s-a", "făcut", "într-o", "zi"]),
        ("میرا نام احمد ہے", ["میرا", "نام", "احمد", "ہے"]),
        ("NHS 111 - call", ["nhs", "111", "call"]),
        ("'quoted' -dash- !!!", ["quoted", "dash"]),
        ("🙂👍", []),
    ],
)
def test_words(text, expected):
    assert words(text) == expected


def test_words_compose_decomposed_accents():
    assert words("dw\u0302r") == ["dŵr"]
