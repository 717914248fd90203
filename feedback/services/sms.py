"""The SMS channel: inbound texts, conversations, outbound texts, opt-outs and erasure.

Every inbound text is stored (unique by MessageSid) before anything else happens, then
processed exactly once by a job. Replies are queued as rows and sent by jobs after the
commit, so a Twilio outage delays a text but never loses it.
"""

import hashlib
import hmac
import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from sms import conversation as flow
from sms.client import SmsSendError, TwilioSettings, build_client, send_sms
from sms.payloads import InboundMessage, StatusUpdate

from ..extensions import db
from ..models import (
    CampaignRecipient,
    Channel,
    Conversation,
    ConversationStatus,
    OptOut,
    SmsMessage,
    SurveyVersion,
    User,
    utcnow,
)
from . import audit, commit, responses, sms_texts
from .audit import Actions

log = logging.getLogger(__name__)
_KEYWORDS: flow.Keywords | None = None
FINAL_STATUSES = {"delivered", "undelivered", "failed", "read", "canceled"}


def keywords() -> flow.Keywords:
    global _KEYWORDS
    if _KEYWORDS is None:
        _KEYWORDS = flow.Keywords.load()
    return _KEYWORDS


def phone_hash(e164: str) -> str:
    """A keyed hash of a number: finds it again, and cannot be turned back into it."""
    key = current_app.config["PHONE_HASH_KEY"].encode()
    return hmac.new(key, e164.encode(), hashlib.sha256).hexdigest()


def is_enabled() -> bool:
    return bool(current_app.config.get("TWILIO_ACCOUNT_SID"))


def twilio_settings() -> TwilioSettings:
    config = current_app.config
    return TwilioSettings(
        account_sid=config["TWILIO_ACCOUNT_SID"],
        auth_token=config["TWILIO_AUTH_TOKEN"],
        from_number=config.get("TWILIO_FROM_NUMBER"),
        messaging_service_sid=config.get("TWILIO_MESSAGING_SERVICE_SID"),
        api_base_url=config.get("TWILIO_API_BASE_URL"),
    )


def _client():
    client = current_app.extensions.get("feedback.twilio")
    if client is None:
        client = current_app.extensions["feedback.twilio"] = build_client(twilio_settings())
    return client




def is_opted_out(hashed: str) -> bool:
    return db.session.get(OptOut, hashed) is not None


def _opt_out(hashed: str, source: str) -> None:
    if db.session.get(OptOut, hashed) is None:
        db.session.add(OptOut(phone_hash=hashed, source=source))


# --- inbound --------------------------------------------------------------------------------


def record_inbound(message: InboundMessage) -> SmsMessage | None:
    """Store an inbound text, once. Returns it, or None when Twilio is repeating itself."""
    row = SmsMessage(
        direction="in", message_sid=message.message_sid, phone_hash=phone_hash(message.from_number),
        body=message.body, num_media=message.num_media, status="received",
    )
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        log.info("Repeated inbound %s ignored", message.message_sid)
        return None
    return row


def receive(message: InboundMessage) -> bool:
    """Store an inbound text and ask for it to be processed. False for a repeat."""
    from .. import jobs

    row = record_inbound(message)
    if row is not None:
        jobs.enqueue(jobs.handle_inbound_text, row.id)
    return row is not None


def send_queued(text_ids: list[int]) -> None:
    from .. import jobs

    for text_id in text_ids:
        jobs.enqueue(jobs.deliver_text, text_id)


def record_status(update: StatusUpdate) -> bool:
    """Apply a delivery status to the outbound text it is about. False if not sent yet.

    Twilio can call back before our send has stored the sid, and two callbacks can race:
    the status is then kept on a placeholder row that the send adopts, and a clash with
    the send storing the sid at that moment is simply tried again.
    """
    for _ in range(5):
        try:
            return _apply_status(update)
        except _CLASHES:
            db.session.rollback()
    raise RuntimeError(f"status for {update.message_sid} kept clashing")


# What two writers touching the same text at once can raise; each is safe to try again.
# (SQLite in WAL mode refuses a write from a transaction whose snapshot is out of date.)
_CLASHES = (IntegrityError, StaleDataError, OperationalError)


def _apply_status(update: StatusUpdate) -> bool:
    row = db.session.scalar(select(SmsMessage).where(SmsMessage.message_sid == update.message_sid)
                            .with_for_update())
    if row is None:
        db.session.add(SmsMessage(direction="status", message_sid=update.message_sid,
                                  phone_hash="", status=update.status,
                                  error_code=update.error_code))
        db.session.commit()
        return False
    # Callbacks can arrive out of order: a final status is never replaced by an earlier one.
    if row.status not in FINAL_STATUSES or update.status in FINAL_STATUSES:
        row.status = update.status
    if update.error_code:
        row.error_code = update.error_code
        if update.error_code == 21610 and row.direction == "out":
            _opt_out(row.phone_hash, "twilio_21610")
    db.session.commit()
    return row.direction == "out"


def _questions(version: SurveyVersion):
    return [sq.question for sq in version.questions]


def _flow_questions(version: SurveyVersion) -> tuple[flow.Question, ...]:
    return tuple(
        flow.Question(
            id=q.id, kind=q.kind,
            options=tuple(flow.Option(o["value"], o["label"], o.get("exclusive", False))
                          for o in q.options),
        )
        for q in _questions(version)
    )


def _queue(conversation: Conversation | None, kind: str, *, hashed: str, locale: str,
           service_name: str, version: SurveyVersion | None, index: int | None = None,
           recipient_id: int | None = None) -> SmsMessage:
    body = sms_texts.render(kind, locale=locale, service_name=service_name,
                            questions=_questions(version) if version else [],
                            question_index=index)
    row = SmsMessage(direction="out", conversation_id=conversation.id if conversation else None,
                     recipient_id=recipient_id, phone_hash=hashed, body=body, kind=kind,
                     status="pending")
    db.session.add(row)
    return row


def process_inbound(message_id: int) -> list[int]:
    """Act on one stored inbound text, exactly once. Returns the ids of texts to send."""
    message = db.session.get(SmsMessage, message_id)
    if message is None or message.processed_at is not None:
        return []
    conversation = db.session.scalar(
        select(Conversation).where(Conversation.phone_hash == message.phone_hash,
                                   Conversation.status == ConversationStatus.OPEN)
        .with_for_update()
    )
    if conversation is not None:
        message.conversation_id = conversation.id
        outbox = _continue_conversation(conversation, message)
    else:
        outbox = _without_conversation(message)
    message.processed_at = utcnow()
    message.status = "processed"
    commit()
    return [row.id for row in outbox]


def _without_conversation(message: SmsMessage) -> list[SmsMessage]:
    """STOP, START and HELP work without a survey; other texts get a reply only if we know them."""
    kw = keywords()
    last = db.session.scalar(
        select(Conversation).where(Conversation.phone_hash == message.phone_hash)
        .order_by(Conversation.started_at.desc()).limit(1)
    )
    locale = last.locale if last else "en"
    service_name = last.service.name if last else "NHS"
    version = last.survey_version if last else None
    text = message.body or ""
    if kw.matches("stop", text, locale):
        _opt_out(message.phone_hash, "keyword")
        kind = "stopped"
    elif kw.matches("start", text, locale) and is_opted_out(message.phone_hash):
        db.session.execute(delete(OptOut).where(OptOut.phone_hash == message.phone_hash))
        kind = "opted_in"
    elif kw.matches("help", text, locale):
        kind = "help"
    elif last is not None:
        kind = "closed"  # a reply after the survey ended or expired
    else:
        return []  # an unknown number: no reply, so no conversation with a stranger or a bot
    return [_queue(None, kind, hashed=message.phone_hash, locale=locale,
                   service_name=service_name, version=version)]


def _continue_conversation(conversation: Conversation, message: SmsMessage) -> list[SmsMessage]:
    version = conversation.survey_version
    state = flow.State(locale=conversation.locale, position=conversation.position,
                       reprompts=conversation.reprompts, answers=dict(conversation.answers))
    result = flow.step(state, message.body or "", _flow_questions(version), keywords(),
                       opted_out=is_opted_out(conversation.phone_hash),
                       num_media=message.num_media)
    conversation.locale = result.state.locale
    conversation.position = result.state.position
    conversation.reprompts = result.state.reprompts
    conversation.answers = dict(result.state.answers)
    conversation.last_activity_at = utcnow()
    conversation.expires_at = utcnow() + current_app.config["SMS_CONVERSATION_LIFETIME"]
    if result.opted_in:
        db.session.execute(delete(OptOut).where(OptOut.phone_hash == conversation.phone_hash))
    if result.stopped:
        _opt_out(conversation.phone_hash, "keyword")
        _end(conversation, ConversationStatus.STOPPED)
    elif result.finished:
        _end(conversation, ConversationStatus.COMPLETED)
    return [
        _queue(conversation, m.kind, hashed=conversation.phone_hash, locale=conversation.locale,
               service_name=conversation.service.name, version=version, index=m.question)
        for m in result.messages
    ]


def _end(conversation: Conversation, status: str) -> None:
    """Close a conversation; what was answered becomes a response (incomplete unless done)."""
    conversation.status = status
    conversation.ended_at = utcnow()
    if not conversation.answers:
        return
    db.session.flush()
    response = responses.submit(
        survey_version_id=conversation.survey_version_id, channel=Channel.SMS,
        respondent_role=conversation.respondent_role, locale=conversation.locale,
        answers=conversation.answers, idempotency_key=f"sms-conversation-{conversation.id}",
        enforce_required=False, is_complete=(status == ConversationStatus.COMPLETED),
        commit=False,
    )
    conversation.response_id = response.id


def expire_conversations(now: datetime | None = None) -> int:
    """End conversations past their time; their partial answers are kept as incomplete."""
    now = now or utcnow()
    expired = db.session.scalars(select(Conversation).where(
        Conversation.status == ConversationStatus.OPEN, Conversation.expires_at < now)).all()
    for conversation in expired:
        _end(conversation, ConversationStatus.EXPIRED)
    commit()
    return len(expired)


# --- outbound -------------------------------------------------------------------------------


def _number_for(row: SmsMessage) -> str | None:
    if row.conversation_id:
        return db.session.get(Conversation, row.conversation_id).phone_number
    if row.recipient_id:
        return db.session.get(CampaignRecipient, row.recipient_id).phone_number
    found = db.session.scalar(
        select(Conversation.phone_number).where(Conversation.phone_hash == row.phone_hash,
                                                Conversation.phone_number.is_not(None))
        .order_by(Conversation.started_at.desc()).limit(1))
    return found


# Texts that may still go to a number that has opted out: the confirmation of the opt-out.
_SENT_EVEN_WHEN_OPTED_OUT = {"stopped"}


def deliver(message_id: int) -> str:
    """Send one queued text through Twilio. Safe to call again; raises SmsSendError to retry."""
    row = db.session.get(SmsMessage, message_id)
    if row is None or row.status != "pending":
        return row.status if row else "missing"
    number = _number_for(row)
    if number is None:
        row.status = "failed"
        row.error_code = None
        commit()
        return row.status
    if is_opted_out(row.phone_hash) and row.kind not in _SENT_EVEN_WHEN_OPTED_OUT:
        row.status = "suppressed"
        commit()
        return row.status
    row.attempts += 1
    commit()  # the attempt is on record even if this process dies mid-send
    try:
        sent = send_sms(_client(), twilio_settings(), to=number, body=row.body,
                        status_callback=_status_callback_url())
    except SmsSendError as error:
        row.error_code = error.code
        if error.retryable:
            commit()
            raise
        if error.opted_out:
            _opt_out(row.phone_hash, "twilio_21610")
        row.status = "failed"
        commit()
        log.warning("Text %s refused by Twilio (code %s)", row.id, error.code)
        return row.status
    # Twilio has the text now: storing its sid must not fail, or a retry would send it twice.
    for _ in range(5):
        try:
            return _store_sent(message_id, sent)
        except _CLASHES:
            db.session.rollback()  # a status callback stored a placeholder at that moment
    raise RuntimeError(f"could not store the sid of text {message_id}")


def _store_sent(message_id: int, sent) -> str:
    row = db.session.get(SmsMessage, message_id)
    row.status = sent.status or "sent"
    early = db.session.scalar(select(SmsMessage).where(SmsMessage.message_sid == sent.sid,
                                                       SmsMessage.direction == "status")
                              .with_for_update())
    if early is not None:  # a status callback that beat us here
        row.status, row.error_code = early.status, early.error_code or row.error_code
        if early.error_code == 21610:
            _opt_out(row.phone_hash, "twilio_21610")
        db.session.delete(early)
        db.session.flush()
    row.message_sid = sent.sid
    db.session.commit()
    return row.status


def _status_callback_url() -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/sms/status"


def pending_messages(older_than: datetime) -> list[int]:
    return list(db.session.scalars(select(SmsMessage.id).where(
        SmsMessage.direction == "out", SmsMessage.status == "pending",
        SmsMessage.created_at < older_than).order_by(SmsMessage.id)))  # in the order sent


def unprocessed_inbound(older_than: datetime) -> list[int]:
    return list(db.session.scalars(select(SmsMessage.id).where(
        SmsMessage.direction == "in", SmsMessage.processed_at.is_(None),
        SmsMessage.created_at < older_than)))


# --- erasure --------------------------------------------------------------------------------


def erase_number(e164: str, *, erased_by: User) -> dict[str, int]:
    """Remove a number and its texts everywhere, on request. An opt-out stays, as a hash."""
    hashed = phone_hash(e164)
    counts = {
        "conversations": db.session.execute(
            update(Conversation).where(Conversation.phone_hash == hashed,
                                       Conversation.phone_number.is_not(None))
            .values(phone_number=None)).rowcount,
        "recipients": db.session.execute(
            update(CampaignRecipient).where(CampaignRecipient.phone_hash == hashed,
                                            CampaignRecipient.phone_number.is_not(None))
            .values(phone_number=None)).rowcount,
        "texts": db.session.execute(
            update(SmsMessage).where(SmsMessage.phone_hash == hashed,
                                     SmsMessage.body.is_not(None))
            .values(body=None)).rowcount,
    }
    # Open conversations cannot go on without the number.
    for conversation in db.session.scalars(select(Conversation).where(
            Conversation.phone_hash == hashed, Conversation.status == ConversationStatus.OPEN)):
        _end(conversation, ConversationStatus.STOPPED)
    audit.record(Actions.DELETED, actor=erased_by,
                 details={"what": "phone number and texts", "hash": hashed[:12], **counts})
    commit()
    return counts
