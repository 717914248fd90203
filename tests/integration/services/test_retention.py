"""Retention blanks named fields on schedule; the audit log cannot be changed."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DatabaseError

from feedback.extensions import db as _db
from feedback.models import Answer, AuditEvent, CommentAnalysis, Response, utcnow
from feedback.services import responses
from feedback.services.retention import apply_retention
from tests.factories import create_survey, question_ids


def respond(survey, *, days_ago: int, text: str):
    ids = question_ids(survey)
    return responses.submit(
        survey_version_id=survey.versions[0].id, channel="web", respondent_role="patient",
        locale="en", submitted_at=utcnow() - timedelta(days=days_ago),
        answers={ids["fft_rating"]: {"choice": "good"}, ids["fft_what_was_good"]: {"text": text}},
    )


def texts() -> list:
    _db.session.expire_all()
    return sorted(t for t in _db.session.scalars(select(Answer.text)) if t)


def test_retention_blanks_old_free_text_and_keeps_the_response(db, new_audit_events):
    survey = create_survey()
    old = respond(survey, days_ago=800, text="old comment")
    respond(survey, days_ago=10, text="new comment")
    counts = apply_retention(days={"free_text": 730})
    # The comment, and the redacted quote its analysis made from it.
    assert counts == {"free_text": 1, "free_text_quotes": 1}
    assert texts() == ["new comment"]
    quotes = sorted(q for q in _db.session.scalars(select(CommentAnalysis.redacted_text)) if q)
    assert quotes == ["new comment"]
    _db.session.expire_all()
    kept = _db.session.get(Response, old.id)
    ratings = [a.choice for a in kept.current_version.answers if a.choice]
    assert ratings == ["good"]  # the rating still counts in reports
    [event] = new_audit_events("retention_applied")
    assert event.details == {"blanked": {"free_text": 1, "free_text_quotes": 1},
                             "days": {"free_text": 730}}
    assert event.actor_email == "scheduled job"


def test_retention_is_safe_to_run_again(db):
    survey = create_survey()
    respond(survey, days_ago=800, text="old comment")
    apply_retention(days={"free_text": 730})
    assert apply_retention(days={"free_text": 730}) == {"free_text": 0, "free_text_quotes": 0}


def test_dry_run_counts_and_changes_nothing(db, new_audit_events):
    survey = create_survey()
    respond(survey, days_ago=800, text="old comment")
    assert apply_retention(days={"free_text": 730}, dry_run=True) == {
        "free_text": 1, "free_text_quotes": 1}
    assert texts() == ["old comment"]
    assert new_audit_events("retention_applied") == []


def test_a_rule_without_days_is_not_applied(db):
    survey = create_survey()
    respond(survey, days_ago=8000, text="old comment")
    assert apply_retention(days={}) == {}
    assert texts() == ["old comment"]


def test_retention_command_reports_what_it_blanked(runner):
    survey = create_survey()
    respond(survey, days_ago=800, text="old comment")
    dry_run = runner.invoke(args=["retention", "apply", "--dry-run"])
    assert "Would blank 1 free_text" in dry_run.output
    assert "Blanked 1 free_text" in runner.invoke(args=["retention", "apply"]).output


@pytest.mark.parametrize("statement", [
    lambda: update(AuditEvent).values(action="tampered"),
    lambda: delete(AuditEvent),
])
def test_the_database_refuses_to_change_the_audit_log(db, statement, new_audit_events):
    from feedback.services import audit

    audit.record("sign_in", actor_email="someone@nhs.test")
    _db.session.commit()
    with pytest.raises(DatabaseError, match="append-only"):
        _db.session.execute(statement())
        _db.session.commit()
    _db.session.rollback()
    assert new_audit_events()[0].action == "sign_in"


def test_phone_numbers_and_texts_go_after_the_conversation_ends(db):
    from feedback.models import Campaign, CampaignRecipient, Conversation, SmsMessage

    survey = create_survey()
    version = survey.versions[0]
    long_ago = utcnow() - timedelta(days=40)
    ended = Conversation(phone_number="+447700900111", phone_hash="a" * 64,
                         service_id=survey.service_id, survey_version_id=version.id,
                         locale="en", status="completed", started_at=long_ago,
                         expires_at=long_ago, ended_at=long_ago)
    still_open = Conversation(phone_number="+447700900222", phone_hash="b" * 64,
                              service_id=survey.service_id, survey_version_id=version.id,
                              locale="en", started_at=long_ago, expires_at=utcnow())
    _db.session.add_all([ended, still_open])
    _db.session.flush()
    campaign = Campaign(service_id=survey.service_id, survey_id=survey.id, name="C")
    _db.session.add(campaign)
    _db.session.flush()
    _db.session.add_all([
        CampaignRecipient(campaign_id=campaign.id, phone_number="+447700900111",
                          phone_hash="a" * 64, locale="en", status="sent",
                          conversation_id=ended.id, created_at=long_ago),
        SmsMessage(direction="in", phone_hash="a" * 64, body="1", status="processed",
                   created_at=long_ago),
    ])
    _db.session.commit()
    counts = apply_retention(days={"phone_numbers": 30, "sms_bodies": 30})
    assert counts == {"phone_numbers": 2, "sms_bodies": 1}
    _db.session.expire_all()
    numbers = set(_db.session.scalars(select(Conversation.phone_number)))
    assert numbers == {None, "+447700900222"}  # the open conversation still needs its number
    assert _db.session.scalars(select(CampaignRecipient.phone_number)).one() is None
