"""The SMS conversation step: answers in every language, keywords, re-prompts."""

import pytest

from sms.conversation import Keywords, Option, Question, State, normalise, parse_answer, step

KEYWORDS = Keywords.load()
FFT = Question(1, "fft_rating", tuple(
    Option(value, {"en": en, "cy": cy}) for value, en, cy in [
        ("very_good", "Very good", "Da iawn"), ("good", "Good", "Da"),
        ("neither", "Neither good nor poor", "Ddim yn dda nac yn wael"), ("poor", "Poor", "Gwael"),
        ("very_poor", "Very poor", "Gwael iawn"), ("dont_know", "Don't know", "Ddim yn gwybod"),
    ]))
DEVICES = Question(2, "multiple_choice", (
    Option("smartphone", {"en": "A smartphone"}), Option("tablet", {"en": "A tablet"}),
    Option("none", {"en": "None of these"}, exclusive=True),
))
DATA_COST = Question(3, "yes_no", (Option("yes", {"en": "Yes"}), Option("no", {"en": "No"})))
COMMENT = Question(4, "free_text")
QUESTIONS = (FFT, DEVICES, DATA_COST, COMMENT)


@pytest.mark.parametrize(("text", "expected"), [
    ("1", "very_good"), (" 2. ", "good"), ("٣", "neither"), ("۴", "poor"),  # Arabic, Urdu digits
    ("very good", "very_good"), ("VERY GOOD!", "very_good"), ("da iawn", "very_good"),
    ("Don't know", "dont_know"), ("7", None), ("0", None), ("brilliant", None), ("", None),
])
def test_fft_answers_are_read_from_digits_and_words(text, expected):
    answer = parse_answer(FFT, text, "cy", KEYWORDS)
    assert (answer or {}).get("choice") == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("1 2", ["smartphone", "tablet"]), ("2,1", ["smartphone", "tablet"]), ("1", ["smartphone"]),
    ("a tablet", ["tablet"]), ("3", ["none"]), ("1 3", None), ("1 9", None), ("1 and 2", None),
])
def test_multiple_choice_takes_all_the_numbers(text, expected):
    answer = parse_answer(DEVICES, text, "en", KEYWORDS)
    assert (answer or {}).get("choices") == expected


@pytest.mark.parametrize(("text", "locale", "expected"), [
    ("yes", "en", "yes"), ("Y", "en", "yes"), ("2", "en", "no"), ("tak", "pl", "yes"),
    ("nie", "pl", "no"), ("nu", "ro", "no"), ("ہاں", "ur", "yes"), ("oes", "cy", "yes"),
    ("tak", "en", None),
])
def test_yes_no_accepts_common_words_in_the_conversation_language(text, locale, expected):
    answer = parse_answer(DATA_COST, text, locale, KEYWORDS)
    assert (answer or {}).get("choice") == expected


def test_free_text_takes_the_whole_message_as_written():
    assert parse_answer(COMMENT, "  The video froze. Twice!  ", "en", KEYWORDS) == {
        "text": "The video froze. Twice!"}


def test_a_whole_survey_by_text():
    state = State(locale="en")
    for text in ("1", "1 2", "no", "Kind nurse"):
        result = step(state, text, QUESTIONS, KEYWORDS)
        state = result.state
    assert result.finished and result.messages[0].kind == "thanks"
    assert state.answers == {
        "1": {"choice": "very_good"}, "2": {"choices": ["smartphone", "tablet"]},
        "3": {"choice": "no"}, "4": {"text": "Kind nurse"},
    }


@pytest.mark.parametrize("word", ["STOP", "stop", "Unsubscribe", "stopio", "KONIEC", "بند"])
def test_stop_wins_over_the_running_survey_in_any_language(word):
    locale = {"stopio": "cy", "KONIEC": "pl", "بند": "ur"}.get(word, "en")
    result = step(State(locale=locale, position=3), word, QUESTIONS, KEYWORDS)
    assert result.stopped and result.messages[0].kind == "stopped"
    assert result.state.position == 3


def test_english_keywords_work_in_every_language():
    assert step(State(locale="ur"), "STOP", QUESTIONS, KEYWORDS).stopped
    assert step(State(locale="pl"), "help", QUESTIONS, KEYWORDS).messages[0].kind == "help"


def test_another_languages_words_do_not_count():
    result = step(State(locale="en"), "KONIEC", QUESTIONS, KEYWORDS)
    assert not result.stopped and result.messages[0].kind == "reprompt"


def test_help_answers_and_leaves_the_survey_where_it_was():
    state = State(locale="en", position=1, reprompts=1)
    result = step(state, "HELP", QUESTIONS, KEYWORDS)
    assert result.state == state and [m.kind for m in result.messages] == ["help"]


def test_unreadable_answers_are_reprompted_twice_then_recorded_as_unreadable():
    state = State(locale="en")
    kinds = []
    for _ in range(3):
        result = step(state, "banana", QUESTIONS, KEYWORDS)
        state = result.state
        kinds.append(result.messages[0].kind)
    assert kinds == ["reprompt", "reprompt", "question"]
    assert state.answers["1"] == {"status": "unreadable"} and state.position == 1


def test_skip_moves_on():
    result = step(State(locale="pl"), "pomiń", QUESTIONS, KEYWORDS)
    assert result.state.answers["1"] == {"status": "skipped"}
    assert result.messages == (result.messages[0],) and result.messages[0].question == 1


def test_a_language_name_switches_language_and_repeats_the_question():
    result = step(State(locale="en", position=2, reprompts=1), "Cymraeg", QUESTIONS, KEYWORDS)
    assert result.state.locale == "cy" and result.state.reprompts == 0
    assert result.messages[0].kind == "question" and result.messages[0].question == 2


def test_start_opts_back_in_only_when_opted_out():
    opted_out = step(State(locale="en", position=2), "START", QUESTIONS, KEYWORDS, opted_out=True)
    assert opted_out.opted_in and [m.kind for m in opted_out.messages] == ["opted_in", "question"]
    # YES mid-survey is an answer, not an opt-in.
    answer = step(State(locale="en", position=2), "YES", QUESTIONS, KEYWORDS)
    assert not answer.opted_in and answer.state.answers["3"] == {"choice": "yes"}


def test_a_picture_without_words_is_asked_for_again_in_words():
    result = step(State(locale="en"), "", QUESTIONS, KEYWORDS, num_media=1)
    assert result.messages[0].kind == "media_only"


def test_normalise_folds_case_accents_and_digits():
    assert normalise("  ROMÂNĂ! ") == "romana"
    assert normalise("٢") == "2"
