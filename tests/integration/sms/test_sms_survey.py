"""The SMS survey end to end: a campaign, invitations through the real twilio client to the
stand-in, signed replies from the stand-in to the running app, and stored responses."""

import os
from datetime import datetime, timedelta

import pytest
from redis import Redis
from sqlalchemy import func, select

from feedback import jobs
from feedback.extensions import db as _db
from feedback.models import (
    CampaignRecipient,
    Conversation,
    OptOut,
    Response,
    SmsMessage,
    utcnow,
)
from feedback.services import campaigns, sms
from tests.factories import create_service, create_survey, create_user

ALICE = "+447700900111"
BRYN = "+447700900222"
QUESTIONS = ["fft_rating", "fft_what_could_improve", "data_cost"]




@pytest.fixture
def survey(db):
    service = create_service(name="Video appointments")
    return create_survey(service=service, question_keys=QUESTIONS, languages=("en", "cy"))


def start(survey, *people):
    campaign, report = campaigns.start_campaign(
        service=survey.service, name="Clinic 12 May",
        rows=[campaigns.RecipientInput(phone=p, language=lang) for p, lang in people],
        created_by=None)
    assert report.skipped == []
    jobs.send_invitations()
    return campaign


def texts_to(standin, number) -> list[str]:
    return [m.body for m in standin.messages(to=number)]


def reply(standin, number, body, **kwargs):
    status, _ = standin.send_inbound(from_number=number, body=body, **kwargs)
    assert status == 200
    _db.session.rollback()  # see what the app committed


def stored() -> list[Response]:
    _db.session.rollback()
    return list(_db.session.scalars(select(Response).order_by(Response.id)))


def test_a_whole_sms_survey_in_english_and_welsh_inline(live, survey):
    start(survey, (ALICE, "en"), (BRYN, "cy"))
    assert texts_to(live, ALICE)[0].startswith("NHS: Video appointments would like")
    assert texts_to(live, ALICE)[1].startswith("1/3 Overall, how was your experience")
    welsh_question = texts_to(live, BRYN)[1]
    assert welsh_question.startswith("1/3") and "Overall" not in welsh_question

    for body in ("1", "The video froze twice", "no"):
        reply(live, ALICE, body)
    for body in ("da iawn", "Dim byd", "oes"):
        reply(live, BRYN, body)

    alice, bryn = stored()
    assert (alice.channel, alice.locale, alice.is_complete) == ("sms", "en", True)
    assert bryn.locale == "cy"
    answers = {a.question.key: (a.choice or a.text) for a in alice.current_version.answers}
    assert answers == {"fft_rating": "very_good", "fft_what_could_improve": "The video froze twice",
                       "data_cost": "no"}
    bryn_answers = {a.question.key: a.choice for a in bryn.current_version.answers}
    assert bryn_answers["fft_rating"] == "very_good" and bryn_answers["data_cost"] == "yes"
    assert texts_to(live, ALICE)[-1].startswith("Thank you")
    # No phone number reaches the response.
    assert ALICE not in repr(alice.__dict__) and ALICE not in repr(
        [(a.text, a.choice) for a in alice.current_version.answers])


def test_a_whole_sms_survey_through_redis_and_a_real_worker(live, survey, app, monkeypatch):
    connection = Redis.from_url(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    connection.flushdb()
    monkeypatch.setitem(app.extensions, "feedback.redis", connection)
    try:
        start(survey, (ALICE, "en"))
        for body in ("2", "SKIP", "yes"):
            before = len(texts_to(live, ALICE))
            reply(live, ALICE, body)
            assert len(texts_to(live, ALICE)) == before  # nothing sent until the worker runs
            _db.session.remove()
            assert jobs.make_worker(jobs.QueueNames.all()).work(burst=True)
            assert len(texts_to(live, ALICE)) == before + 1
            live.wait_idle()
        [response] = stored()
        kinds = [a.status for a in response.current_version.answers]
        assert sorted(kinds) == ["answered", "answered", "skipped"]
    finally:
        connection.flushdb()


def test_twilio_repeating_a_message_counts_it_once(live, survey):
    start(survey, (ALICE, "en"))
    for _ in range(3):
        reply(live, ALICE, "1", message_sid="SM" + "a" * 32)
    conversation = _db.session.scalars(select(Conversation)).one()
    assert conversation.position == 1
    assert _db.session.scalar(select(func.count()).select_from(SmsMessage).where(
        SmsMessage.direction == "in")) == 1


def test_stop_mid_survey_keeps_the_answers_and_stops_every_later_text(live, survey):
    start(survey, (ALICE, "en"))
    reply(live, ALICE, "4")
    reply(live, ALICE, "stop")
    [response] = stored()
    assert response.is_complete is False
    # Twilio itself confirms an English STOP and refuses our own text (error 21610).
    confirmation = _db.session.scalars(select(SmsMessage).where(
        SmsMessage.kind == "stopped")).one()
    assert (confirmation.status, confirmation.error_code) == ("failed", 21610)
    assert _db.session.get(OptOut, sms.phone_hash(ALICE)) is not None
    # A new campaign does not text her.
    campaign, report = campaigns.start_campaign(
        service=survey.service, name="Again", rows=[campaigns.RecipientInput(phone=ALICE)],
        created_by=None)
    assert report.skipped == [(1, "opted_out")]


def test_a_welsh_stop_word_stops_the_survey_and_is_confirmed_by_us(live, survey):
    start(survey, (BRYN, "cy"))
    reply(live, BRYN, "STOPIO")
    assert _db.session.get(OptOut, sms.phone_hash(BRYN)) is not None
    confirmation = texts_to(live, BRYN)[-1]
    assert "START" in confirmation and not confirmation.startswith("You will")  # in Welsh
    reply(live, BRYN, "START")
    assert _db.session.get(OptOut, sms.phone_hash(BRYN)) is None


def test_help_wins_and_points_to_urgent_help(live, survey):
    start(survey, (ALICE, "en"))
    reply(live, ALICE, "HELP")
    help_text = texts_to(live, ALICE)[-1]
    for words in ("999", "111", "PALS", "Not monitored"):
        assert words in help_text


def test_an_unreadable_reply_is_asked_again(live, survey):
    start(survey, (ALICE, "en"))
    reply(live, ALICE, "meh")
    assert texts_to(live, ALICE)[-1].startswith("Sorry, we could not read that.")


def test_unknown_numbers_get_no_reply(live, survey):
    reply(live, "+447700900999", "hello")
    assert texts_to(live, "+447700900999") == []


def test_quiet_hours_hold_invitations_until_nine(live, survey, app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_QUIET_HOURS", (20, 9))
    campaign, _ = campaigns.start_campaign(
        service=survey.service, name="Evening clinic",
        rows=[campaigns.RecipientInput(phone=ALICE)], created_by=None)
    late_evening = datetime(utcnow().year + 1, 1, 15, 21, 30)  # 21:30 GMT
    assert campaigns.invite_due(now=late_evening) == []
    recipient = _db.session.scalars(select(CampaignRecipient)).one()
    assert recipient.send_after == datetime(late_evening.year, 1, 16, 9, 0)
    assert campaigns.invite_due(now=datetime(late_evening.year, 1, 16, 8, 59)) == []
    assert len(campaigns.invite_due(now=datetime(late_evening.year, 1, 16, 9, 0))) == 2
    summer_night = datetime(2026, 7, 15, 22, 0)  # 23:00 BST
    assert campaigns.next_morning(summer_night) == datetime(2026, 7, 16, 8, 0)  # 09:00 BST


def test_a_twilio_outage_is_retried_and_the_text_still_goes(live, survey):
    live.fail_next(503, times=1)
    start(survey, (ALICE, "en"))
    assert len(texts_to(live, ALICE)) == 2
    _db.session.rollback()
    invitation = _db.session.scalars(select(SmsMessage).where(
        SmsMessage.kind == "invitation")).one()
    assert invitation.attempts == 2 and invitation.status in ("queued", "sent", "delivered")


def test_a_text_that_keeps_failing_stays_pending_for_the_sweep(live, survey):
    live.fail_next(429, times=10)
    start(survey, (ALICE, "en"))
    _db.session.rollback()
    pending = _db.session.scalars(select(SmsMessage).where(SmsMessage.status == "pending")).all()
    assert pending and all(text.error_code == 20429 or text.attempts >= 1 for text in pending)
    live.reset()
    for text in pending:
        jobs.deliver_text(text.id)
    assert len(texts_to(live, ALICE)) == 2


def test_conversations_expire_with_partial_answers_kept(live, survey, app):
    start(survey, (ALICE, "en"))
    reply(live, ALICE, "5")
    later = utcnow() + app.config["SMS_CONVERSATION_LIFETIME"] + timedelta(minutes=1)
    assert sms.expire_conversations(now=later) == 1
    [response] = stored()
    assert response.is_complete is False
    reply(live, ALICE, "1")
    assert texts_to(live, ALICE)[-1].startswith("This survey has closed")


def test_erasing_a_number_keeps_its_opt_out(live, survey, new_audit_events):
    start(survey, (ALICE, "en"))
    reply(live, ALICE, "STOP")
    admin = create_user(email="admin@nhs.test", role="admin")
    counts = sms.erase_number(ALICE, erased_by=admin)
    assert counts["conversations"] == 1 and counts["texts"] >= 3
    _db.session.rollback()
    assert _db.session.scalar(select(func.count()).select_from(Conversation).where(
        Conversation.phone_number.is_not(None))) == 0
    assert _db.session.get(OptOut, sms.phone_hash(ALICE)) is not None
    _, report = campaigns.start_campaign(
        service=survey.service, name="After erasure",
        rows=[campaigns.RecipientInput(phone=ALICE)], created_by=None)
    assert report.skipped == [(1, "opted_out")]
    assert new_audit_events("deleted")[0].details["conversations"] == 1


def test_delivery_status_callbacks_reach_the_app(live, survey):
    live.set_delivery(ALICE, "undelivered", 30003)
    start(survey, (ALICE, "en"))
    live.wait_idle()
    _db.session.rollback()
    statuses = set(_db.session.scalars(select(SmsMessage.status).where(
        SmsMessage.direction == "out")))
    assert statuses == {"undelivered"}
    campaign = _db.session.scalars(select(CampaignRecipient.campaign_id)).first()
    assert campaigns.counts(campaign)["failed"] == 1


@pytest.mark.parametrize(("row", "reason"), [
    ("020 7183 8750", "phone_not_mobile"), ("banana", "phone_not_a_number"),
    ("", "phone_empty"),
])
def test_bad_numbers_are_skipped_with_a_reason(live, survey, row, reason):
    _, report = campaigns.start_campaign(
        service=survey.service, name="Bad", created_by=None,
        rows=[campaigns.RecipientInput(phone=ALICE), campaigns.RecipientInput(phone=row),
              campaigns.RecipientInput(phone="07700 900111")])
    assert report.added == 1
    assert report.skipped == [(2, reason), (3, "duplicate")]


def test_invitations_are_throttled_to_the_configured_rate(live, survey, app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_SEND_RATE", 4.0)
    pauses = []
    monkeypatch.setattr(jobs, "_pause", pauses.append)
    campaigns.start_campaign(service=survey.service, name="Busy clinic", created_by=None,
                             rows=[campaigns.RecipientInput(phone=f"+44770090{n:04d}")
                                   for n in range(100, 106)])
    assert jobs.send_invitations() == 12  # an invitation and a first question each
    assert pauses == [0.25] * 12


def test_a_status_that_arrives_before_the_send_is_stored_is_kept(live, survey, monkeypatch):
    from sms.client import SentMessage
    from sms.payloads import StatusUpdate

    sid = "SM" + "e" * 32
    sms.record_status(StatusUpdate(message_sid=sid, status="delivered", error_code=None,
                                   to_number=ALICE))
    monkeypatch.setattr(sms, "send_sms", lambda *a, **k: SentMessage(sid, "queued", 1))
    campaigns.start_campaign(service=survey.service, name="Race", created_by=None,
                             rows=[campaigns.RecipientInput(phone=ALICE)])
    text_ids = campaigns.invite_due()
    assert sms.deliver(text_ids[0]) == "delivered"
    _db.session.rollback()
    rows = _db.session.scalars(select(SmsMessage).where(SmsMessage.message_sid == sid)).all()
    assert [(r.direction, r.status) for r in rows] == [("out", "delivered")]
