"""Tests for the built-in sentiment scorer: words of the field, negation, contrast, questions."""

import tomllib

import pytest

from feedback.analysis.sentiment import (
    DEFAULT_PATH,
    MIXED,
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    Lexicon,
    SentenceSentiment,
    Sentiment,
    SentimentWordsError,
    question_kind,
    rating_value,
    score_sentence,
    score_text,
    three_class,
)

IMPROVE_Q = "How could we improve?"
GOOD_Q = "What was good?"


@pytest.mark.parametrize("text", [
    "The paramedics were lovely and so kind.",
    "Very helpful, caring and professional staff.",
    "Arrived on time and the driver was courteous.",
    "They went above and beyond for my mum.",
    "Couldn't fault the service, thank you.",
    "The nurse wasn't rude at all.",
])
def test_praise_is_positive_when_no_question_or_rating_is_given(text):
    assert score_text(text).label == POSITIVE


@pytest.mark.parametrize("text", [
    "The call handler was not helpful.",
    "Nobody called back.",
    "No one rang me back after the first call.",
    "I couldn't get through for two hours.",
    "My appointment was cancelled twice.",
    "Waited 6 hours for an ambulance.",
    "Rude and dismissive receptionist.",
    "The transport never turned up.",
])
def test_complaints_are_negative_when_no_question_or_rating_is_given(text):
    assert score_text(text).label == NEGATIVE


@pytest.mark.parametrize("plain, negated", [
    ("The advice was helpful.", "The advice was not helpful."),
    ("The staff were friendly.", "The staff weren't friendly."),
    ("He was rude.", "He wasn't rude."),
    ("It was a good experience.", "It wasnt a good experience."),
])
def test_negation_turns_the_sentence_round_when_a_negator_precedes_the_word(plain, negated):
    before, after = score_sentence(plain).score, score_sentence(negated).score
    assert before * after < 0, (before, after)
    assert abs(after) < abs(before)  # "not rude" is weaker praise than "kind"


def test_contrast_is_mixed_when_both_clauses_are_clearly_felt():
    result = score_text("kind staff but the video kept freezing")
    assert result.label == MIXED
    assert result.level == 3
    assert result.sentences[0].label == MIXED


def test_clause_after_but_outweighs_the_clause_before_it():
    good_then_bad = score_sentence("The crew were great but the wait was far too long").score
    bad_then_good = score_sentence("The wait was far too long but the crew were great").score
    assert good_then_bad < bad_then_good


def test_although_clause_counts_less_than_the_main_clause():
    result = score_sentence("Although we waited a while, the crew were wonderful and kind")
    assert result.score > 0


def test_nothing_to_improve_is_very_positive():
    result = score_text("Nothing", question=IMPROVE_Q)
    assert (result.label, result.level) == (POSITIVE, 1)


@pytest.mark.parametrize("text", [
    "Nothing.", "none", "N/A", "Can't think of anything", "Nothing really, thank you",
    "Not a thing", "Nothing at all",
])
def test_a_none_answer_to_the_improve_question_is_positive(text):
    assert score_text(text, question="fft_what_could_improve").label == POSITIVE


def test_nothing_was_good_is_negative():
    result = score_text("Nothing", question=GOOD_Q)
    assert result.label == NEGATIVE
    assert result.level >= 4


def test_everything_means_opposite_things_to_the_two_questions():
    assert score_text("Everything", question=GOOD_Q).label == POSITIVE
    assert score_text("Everything", question=IMPROVE_Q).label == NEGATIVE


def test_a_suggestion_to_the_improve_question_is_negative_even_with_a_praise_word():
    assert score_text("Be more helpful on the phone", question=IMPROVE_Q).label == NEGATIVE
    assert score_text("Answer the phone quicker", question=IMPROVE_Q).label == NEGATIVE


def test_nothing_then_praise_is_positive_when_it_answers_the_improve_question():
    assert score_text("Nothing, they were fab!", question=IMPROVE_Q).label == POSITIVE


def test_rating_decides_when_the_text_carries_no_sentiment():
    text = "The ambulance took me to the hospital."
    assert score_text(text, rating="very_good").label == POSITIVE
    assert score_text(text, rating="very_poor").label == NEGATIVE
    assert score_text(text).label == NEUTRAL


def test_rating_moves_the_score_but_does_not_override_strong_text():
    text = "Absolutely disgusting, rude staff and I waited five hours."
    unrated = score_text(text)
    rated = score_text(text, rating="very_good")
    assert rated.score > unrated.score
    assert rated.label == NEGATIVE


def test_dont_know_rating_is_no_evidence():
    text = "The driver was lovely."
    assert score_text(text, rating="dont_know") == score_text(text)
    assert score_text(text, rating=7) == score_text(text)


@pytest.mark.parametrize("text, question, rating", [
    ("", None, None),
    ("   ", IMPROVE_Q, "very_good"),
    ("Lovely. Awful. Fine! Terrible?", GOOD_Q, 5),
    ("x" * 3000, None, 1),
    ("Brilliant brilliant brilliant excellent perfect", None, "very_good"),
    ("Disgusting appalling shocking awful terrible", None, "very_poor"),
])
def test_score_level_and_labels_stay_in_range(text, question, rating):
    result = score_text(text, question=question, rating=rating)
    assert isinstance(result, Sentiment)
    assert -1.0 <= result.score <= 1.0
    assert result.level in (1, 2, 3, 4, 5)
    assert result.label in (POSITIVE, NEUTRAL, MIXED, NEGATIVE)
    assert result.source == "built-in"
    for sentence in result.sentences:
        assert isinstance(sentence, SentenceSentiment)
        assert -1.0 <= sentence.score <= 1.0


@pytest.mark.parametrize("text, rating", [
    ("Brilliant, excellent, perfect care.", "very_good"),
    ("Good service.", None),
    ("The ambulance came.", None),
    ("Slow and disappointing.", None),
    ("Appalling, disgusting, rude.", "very_poor"),
])
def test_label_agrees_with_level(text, rating):
    result = score_text(text, rating=rating)
    expected = {1: POSITIVE, 2: POSITIVE, 4: NEGATIVE, 5: NEGATIVE}.get(result.level)
    assert result.label == expected or (result.level == 3 and result.label in (NEUTRAL, MIXED))


def test_strong_praise_is_level_one_and_strong_complaint_level_five():
    assert score_text("Brilliant, excellent, perfect care.", rating="very_good").level == 1
    assert score_text("Appalling, disgusting, rude.", rating="very_poor").level == 5


def test_sentences_are_scored_one_by_one():
    result = score_text("The driver was lovely. The ambulance was filthy.")
    assert [s.label for s in result.sentences] == [POSITIVE, NEGATIVE]
    assert result.sentences[0].text == "The driver was lovely."


@pytest.mark.parametrize("question, kind", [
    ("fft_what_could_improve", "improve"),
    ("fft_what_was_good", "good"),
    ("How could we improve?", "improve"),
    ("What could we do better?", "improve"),
    ("What was good?", "good"),
    ("FFT Why?", "why"),
    ("Please describe any things that you were particularly satisfied and/or dissatisfied with",
     None),
    ("fft_rating", None),
    ("home_internet", None),
    ("", None),
    (None, None),
])
def test_question_kind_reads_keys_and_question_text(question, kind):
    assert question_kind(question) == kind


@pytest.mark.parametrize("rating, value", [
    ("very_good", 1), ("good", 2), ("neither", 3), ("poor", 4), ("very_poor", 5),
    ("dont_know", None), (1, 1), (5, 5), (6, None), (7, None), ("3", 3), ("7", None),
    ("", None), (None, None), ("banana", None), (0, None), (True, None),
])
def test_rating_value_reads_app_options_and_fft_numbers(rating, value):
    assert rating_value(rating) == value


def test_three_class_counts_mixed_as_neutral():
    assert three_class(MIXED) == NEUTRAL
    assert [three_class(level) for level in (1, 2, 3, 4, 5)] == [
        POSITIVE, POSITIVE, NEUTRAL, NEGATIVE, NEGATIVE]


def test_word_list_parses_and_every_weight_is_in_range():
    data = tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    weights = [*data["words"].values(), *data["phrases"].values()]
    assert all(-1.0 <= weight <= 1.0 for weight in weights)
    assert Lexicon.from_dict(data).version == data["version"]


def test_word_list_with_a_broken_pattern_is_refused(tmp_path):
    broken = tmp_path / "words.toml"
    broken.write_text(DEFAULT_PATH.read_text(encoding="utf-8").replace(
        "[phrases]", "[phrases]\n'(unclosed' = -0.5", 1), encoding="utf-8")
    with pytest.raises(SentimentWordsError):
        Lexicon.load(broken)
    with pytest.raises(SentimentWordsError):
        Lexicon.load(tmp_path / "missing.toml")
