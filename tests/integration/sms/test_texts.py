"""Every text the service sends exists in every language, and costs at most two segments."""

import pytest

from feedback.config import Config
from feedback.services import sms_texts
from sms.encoding import segments
from tests.factories import create_survey

# A long real service name, so the budget holds for names people actually use.
SERVICE_NAME = "Blood pressure monitoring at home"


@pytest.fixture
def questions(db):
    survey = create_survey(question_keys=["fft_rating", "fft_what_was_good", "own_device"])
    return [sq.question for sq in survey.versions[0].questions]


@pytest.mark.parametrize("locale", Config.LANGUAGES)
@pytest.mark.parametrize("kind", sms_texts.BUILT_IN_KINDS)
def test_built_in_texts_fit_in_two_segments(app, questions, locale, kind):
    with app.test_request_context():
        text = sms_texts.render(kind, locale=locale, service_name=SERVICE_NAME,
                                questions=questions)
    info = segments(text)
    assert info.segments <= 2, f"{kind} in {locale}: {info} {text!r}"


@pytest.mark.parametrize("locale", [code for code in Config.LANGUAGES if code != "en"])
@pytest.mark.parametrize("kind", sms_texts.BUILT_IN_KINDS)
def test_built_in_texts_are_translated(app, questions, locale, kind):
    with app.test_request_context():
        english = sms_texts.render(kind, locale="en", service_name=SERVICE_NAME,
                                   questions=questions)
        translated = sms_texts.render(kind, locale=locale, service_name=SERVICE_NAME,
                                      questions=questions)
    assert translated != english


def test_question_texts_name_the_answers_by_number(app, questions):
    with app.test_request_context():
        text = sms_texts.render("question", locale="en", service_name=SERVICE_NAME,
                                questions=questions, question_index=0)
    assert text.startswith("1/3 Overall, how was your experience of our service?")
    assert "1 Very good" in text and "6 Don't know" in text
