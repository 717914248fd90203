"""Analysing stored responses: after every channel's submit, once, again after corrections."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from feedback import jobs
from feedback.extensions import db as _db
from feedback.models import (
    CommentAnalysis,
    CommentTheme,
    Response,
    ResponseAnalysis,
    RiskReason,
    SafeguardingFlag,
    utcnow,
)
from feedback.services import analysis, responses
from feedback.services.retention import apply_retention
from tests.factories import create_survey, create_user, question_ids

QUESTIONS = [
    "fft_rating", "fft_what_was_good", "fft_what_could_improve", "home_internet", "own_device",
    "data_cost", "needs_help_online", "english_confidence", "trust_online", "who_helped",
]


@pytest.fixture
def survey(db):
    return create_survey(question_keys=QUESTIONS)


def submit(survey, *, good=None, improve=None, rating="good", channel="web", locale="en",
           excluded=False, **overrides):
    ids = question_ids(survey)
    answers = {ids["fft_rating"]: {"choice": rating}}
    if good is not None:
        answers[ids["fft_what_was_good"]] = {"text": good}
    if improve is not None:
        answers[ids["fft_what_could_improve"]] = {"text": improve}
    if excluded:
        answers.update({
            ids["home_internet"]: {"choice": "no"},
            ids["own_device"]: {"choices": ["basic_phone"]},
            ids["data_cost"]: {"choice": "yes"},
            ids["needs_help_online"]: {"choice": "always"},
            ids["english_confidence"]: {"choice": "not_well"},
            ids["trust_online"]: {"choice": "not_at_all"},
        })
    return responses.submit(
        survey_version_id=survey.versions[0].id, channel=channel, respondent_role="patient",
        locale=locale, answers=answers, enforce_required=False, **overrides)


def stored(response) -> ResponseAnalysis | None:
    _db.session.expire_all()
    return _db.session.scalar(
        select(ResponseAnalysis).where(ResponseAnalysis.response_id == response.id))


def count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def test_a_submitted_response_is_analysed_straight_after_its_commit(survey):
    response = submit(survey, good="The nurse was lovely and kind.",
                      improve="The video kept freezing and I couldn't log in to the app.")
    result = stored(response)
    assert result is not None
    assert result.analyser_version == analysis.current_version()
    assert result.response_version_id == response.current_version.id
    comments = {c.question.key: c for c in result.comments}
    assert comments["fft_what_was_good"].sentiment_label == "positive"
    assert comments["fft_what_could_improve"].sentiment_label in ("negative", "mixed")
    themes = {t.theme for t in comments["fft_what_could_improve"].themes}
    assert {"technical", "access_login"} <= themes
    assert comments["fft_what_was_good"].language == "en"


def test_quotes_are_stored_redacted_and_say_what_was_found(survey):
    response = submit(survey, improve="Dr Patel never rang me back on 07700 900123.")
    comment = stored(response).comments[0]
    assert "Patel" not in comment.redacted_text
    assert "07700" not in comment.redacted_text
    assert "[NAME]" in comment.redacted_text and "[PHONE]" in comment.redacted_text
    assert set(comment.personal_data) == {"NAME", "PHONE"}
    assert all("Patel" not in s["text"] for s in comment.sentences)


def test_comments_not_in_english_are_marked_not_scored(survey):
    response = submit(survey, locale="pl",
                      improve="Nie mogłem się zalogować do aplikacji, bardzo długo czekałem.")
    comment = stored(response).comments[0]
    assert comment.language == "pl"
    assert comment.scored is False
    assert comment.sentiment_label is None and comment.sentiment_score is None


def test_exclusion_risk_and_its_reasons_are_stored(survey):
    response = submit(survey, excluded=True, channel="assisted", assistance_mode="phone",
                      assisted_by_id=create_user(role="volunteer", email="v@nhs.test").id)
    result = stored(response)
    assert result.risk_level == "high"
    codes = [r.code for r in result.risk_reasons]
    assert codes and all("." in code for code in codes)
    points = [r.points for r in result.risk_reasons]
    assert points == sorted(points, reverse=True)
    assert result.weights_version


def test_a_respondent_who_answered_no_inclusion_questions_is_unknown(survey):
    assert stored(submit(survey)).risk_level == "unknown"


def test_analysing_again_changes_nothing(survey):
    response = submit(survey, improve="Waited two hours and nobody called back.",
                      excluded=True)
    before = (count(ResponseAnalysis), count(CommentAnalysis), count(CommentTheme),
              count(RiskReason))
    first_id = stored(response).id
    analysis.analyse_response(response.id)
    analysis.analyse_response(response.id, force=True)
    jobs.analyse_response(response.id)
    after = (count(ResponseAnalysis), count(CommentAnalysis), count(CommentTheme),
             count(RiskReason))
    assert after == before
    assert stored(response).id == first_id


def test_a_correction_is_analysed_again(survey):
    response = submit(survey, improve="It was fine.")
    ids = question_ids(survey)
    admin = create_user(role="admin", email="admin@nhs.test")
    responses.correct_response(
        response_id=response.id, reason="Keyed wrongly",
        answers={ids["fft_rating"]: {"choice": "poor"},
                 ids["fft_what_could_improve"]: {"text": "The app crashed every time."}},
        corrected_by=admin, enforce_required=False)
    result = stored(response)
    assert result.response_version_id == _db.session.get(Response, response.id).current_version.id
    assert result.comments[0].sentiment_label == "negative"


def test_a_comment_that_may_disclose_risk_is_queued_once(survey):
    response = submit(survey, improve="Some days I want to end my life.")
    analysis.analyse_response(response.id, force=True)
    flags = _db.session.scalars(select(SafeguardingFlag)).all()
    assert len(flags) == 1
    assert flags[0].categories == ["self_harm"]
    assert flags[0].service_id == response.service_id
    assert flags[0].status == "waiting"


def test_everyday_comments_are_not_queued(survey):
    submit(survey, improve="I was dying to tell you how good the app is, killer feature.")
    assert count(SafeguardingFlag) == 0


def test_the_sweep_analyses_responses_whose_job_was_lost(survey):
    lost = submit(survey, improve="Lovely staff.", submitted_at=utcnow() - timedelta(hours=1))
    _db.session.execute(ResponseAnalysis.__table__.delete())
    _db.session.commit()
    assert analysis.unanalysed() == [lost.id]
    assert jobs.analysis_sweep() == 1
    assert stored(lost) is not None
    assert analysis.unanalysed() == []


def test_the_sweep_leaves_just_submitted_responses_to_their_own_job(survey):
    response = submit(survey, improve="Lovely staff.")
    _db.session.execute(ResponseAnalysis.__table__.delete())
    _db.session.commit()
    assert jobs.analysis_sweep() == 0
    assert analysis.unanalysed() == [response.id]


def test_rerun_finds_results_from_older_analysers(survey):
    current = submit(survey, improve="Lovely staff.")
    older = submit(survey, improve="Rude receptionist.")
    stored(older).analyser_version = "0/old"
    _db.session.commit()
    assert analysis.to_rerun() == [older.id]
    assert list(analysis.rerun(analysis.to_rerun())) == [older.id]
    assert analysis.to_rerun() == []
    assert analysis.to_rerun(everything=True) == [current.id, older.id]
    assert analysis.to_rerun(service_id=current.service_id + 1000, everything=True) == []


def test_blanked_free_text_keeps_the_analysis_it_had(survey):
    response = submit(survey, improve="The video kept freezing.",
                      submitted_at=utcnow() - timedelta(days=800))
    label = stored(response).comments[0].sentiment_label
    apply_retention(days={"free_text": 730})
    analysis.analyse_response(response.id, force=True)
    comment = stored(response).comments[0]
    assert comment.sentiment_label == label
    assert comment.redacted_text is None  # blanked with the text it came from


def test_a_missing_response_is_logged_not_raised(db, caplog):
    assert analysis.analyse_response(999999) is None
    assert "999999" in caplog.text
