"""responses.submit: the one way every channel stores a response."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from feedback.extensions import db as _db
from feedback.models import Response, ResponseVersion, SurveyDraft, utcnow
from feedback.services import responses
from tests.factories import create_survey, create_user, question_ids


@pytest.fixture
def survey(db):
    return create_survey()


def submit(survey, answers=None, **overrides):
    ids = question_ids(survey)
    kwargs = {
        "survey_version_id": survey.versions[0].id,
        "channel": "paper",
        "respondent_role": "patient",
        "locale": "en",
        "answers": answers if answers is not None else {ids["fft_rating"]: {"choice": "poor"}},
    }
    return responses.submit(**{**kwargs, **overrides})


def count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def test_submit_marks_unanswered_optional_questions_as_skipped(survey):
    response = submit(survey)
    statuses = {a.question.key: a.status for a in response.current_version.answers}
    assert statuses["fft_rating"] == "answered"
    assert statuses["own_device"] == "skipped"


def test_submit_with_the_same_key_returns_the_first_response(survey):
    first = submit(survey, idempotency_key="sheet-A1")
    second = submit(survey, idempotency_key="sheet-A1", channel="sms")
    assert first.id == second.id
    assert count(Response) == 1


def test_submit_recovers_the_winner_when_a_concurrent_duplicate_commits_first(survey, monkeypatch):
    winner = submit(survey, idempotency_key="race")
    # The loser's read happened before the winner's commit: simulate by hiding it once.
    real_lookup = responses.get_response_by_idempotency_key
    calls = []

    def stale_then_real(key):
        calls.append(key)
        return None if len(calls) == 1 else real_lookup(key)

    monkeypatch.setattr(responses, "get_response_by_idempotency_key", stale_then_real)
    assert submit(survey, idempotency_key="race").id == winner.id
    assert count(Response) == 1


@pytest.mark.parametrize(
    ("overrides", "error_key"),
    [
        ({"channel": "fax"}, "channel"),
        ({"respondent_role": "manager"}, "respondent_role"),
        ({"channel": "assisted"}, "assistance_mode"),
        ({"assistance_mode": "telepathy"}, "assistance_mode"),
        ({"survey_version_id": 999_999}, "survey_version"),
    ],
)
def test_submit_stores_nothing_when_the_header_is_invalid(survey, overrides, error_key):
    with pytest.raises(responses.InvalidResponse) as raised:
        submit(survey, **overrides)
    assert error_key in raised.value.errors
    assert count(Response) == 0


def test_submit_stores_nothing_when_any_answer_is_invalid(survey):
    ids = question_ids(survey)
    answers = {
        ids["fft_rating"]: {"choice": "good"},
        ids["own_device"]: {"choices": ["smartphone", "jetpack"]},
        999_999: {"choice": "x"},
        "not-a-number": {"choice": "x"},
    }
    with pytest.raises(responses.InvalidResponse) as raised:
        submit(survey, answers=answers)
    assert raised.value.errors == {
        ids["own_device"]: "unknown_choice", "999999": "unknown_question",
        "not-a-number": "unknown_question",
    }
    assert count(Response) == 0 and count(ResponseVersion) == 0


def test_paper_blank_and_unreadable_are_kept_even_for_the_required_question(survey):
    ids = question_ids(survey)
    response = submit(survey, answers={ids["fft_rating"]: {"status": "unreadable"}})
    answer = next(a for a in response.current_version.answers if a.question_id == ids["fft_rating"])
    assert answer.status == "unreadable" and answer.choice is None


def test_a_failure_at_commit_leaves_nothing_half_saved(survey):
    def fail():
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        submit(survey, _before_commit=fail)
    assert count(Response) == 0 and count(ResponseVersion) == 0


def test_correction_adds_a_version_and_keeps_the_original(survey, new_audit_events):
    ids = question_ids(survey)
    volunteer = create_user(role="volunteer")
    response = submit(survey)
    version = responses.correct_response(
        response_id=response.id,
        answers={ids["fft_rating"]: {"choice": "good"}},
        reason="Keyed as Poor; the sheet says Good",
        corrected_by=volunteer,
    )
    _db.session.expire_all()
    versions = _db.session.get(Response, response.id).versions
    assert [v.number for v in versions] == [1, 2]
    original = {a.question_id: a.choice for a in versions[0].answers}
    assert original[ids["fft_rating"]] == "poor"
    assert version.reason.startswith("Keyed as Poor") and version.created_by_id == volunteer.id
    [event] = new_audit_events("corrected")
    assert event.actor_id == volunteer.id and event.details["version"] == 2


def test_correction_needs_a_reason(survey):
    response = submit(survey)
    with pytest.raises(responses.InvalidResponse):
        responses.correct_response(response_id=response.id, answers={}, reason="  ",
                                   corrected_by=create_user())
    assert count(ResponseVersion) == 1


def test_purge_deletes_only_drafts_older_than_the_lifetime(survey):
    old = responses.start_draft(survey_version_id=survey.versions[0].id)
    fresh = responses.start_draft(survey_version_id=survey.versions[0].id)
    _db.session.get(SurveyDraft, old).updated_at = utcnow() - timedelta(hours=25)
    _db.session.commit()
    assert responses.purge_stale_drafts(max_age=timedelta(hours=24)) == 1
    assert responses.purge_stale_drafts(max_age=timedelta(hours=24)) == 0
    assert _db.session.get(SurveyDraft, fresh) is not None
