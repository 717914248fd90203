"""The question bank file: the FFT exactly as NHS England sets it, and every kind valid."""

from feedback.models import QuestionKind
from feedback.services.question_bank import read_bank


def bank() -> dict[str, dict]:
    return {q["key"]: q for q in read_bank()}


def test_fft_question_and_answers_are_word_for_word():
    fft = bank()["fft_rating"]
    assert fft["kind"] == QuestionKind.FFT_RATING
    assert fft["text"]["en"] == "Overall, how was your experience of our service?"
    assert [o["label"]["en"] for o in fft["options"]] == [
        "Very good", "Good", "Neither good nor poor", "Poor", "Very poor", "Don't know",
    ]


def test_fft_comes_with_free_text_follow_ups():
    follow_ups = [q for q in bank().values() if q["module"] == "fft" and q["kind"] == "free_text"]
    assert len(follow_ups) >= 1


def test_inclusion_module_covers_the_framework_domains():
    domains = {q["domain"] for q in bank().values() if q["module"] == "inclusion"}
    assert {"access", "accessibility", "skills", "trust", "language", "preference",
            "help"} <= domains


def test_equality_questions_all_offer_prefer_not_to_say():
    for question in bank().values():
        if question["module"] == "equality":
            assert "prefer_not_to_say" in [o["value"] for o in question["options"]]


def test_choice_questions_have_unique_option_values():
    for question in bank().values():
        values = [o["value"] for o in question["options"]]
        assert len(values) == len(set(values)), question["key"]
        if question["kind"] == QuestionKind.FREE_TEXT:
            assert values == []
        else:
            assert len(values) >= 2
