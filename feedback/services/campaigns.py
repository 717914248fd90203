"""SMS campaigns: recipients from a CSV or the API, invitations sent at decent hours."""

import csv
import io
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import case, func, select

from sms.phone import InvalidPhoneNumber, normalise_phone

from ..extensions import db
from ..models import (
    Campaign,
    CampaignRecipient,
    Conversation,
    ConversationStatus,
    RecipientStatus,
    RespondentRole,
    Service,
    SmsMessage,
    Survey,
    User,
    utcnow,
)
from . import audit, sms, surveys
from .audit import Actions

log = logging.getLogger(__name__)
UK = ZoneInfo("Europe/London")
MAX_ROWS = 5000  # per upload or API call
CAMPAIGN_NAME_MAX_LENGTH = 200  # Campaign.name's column
LANGUAGE_NAMES = {"english": "en", "welsh": "cy", "cymraeg": "cy", "polish": "pl",
                  "polski": "pl", "romanian": "ro", "romana": "ro", "română": "ro",
                  "urdu": "ur", "اردو": "ur"}


class CampaignError(ValueError):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class RecipientInput:
    phone: str
    language: str | None = None
    role: str | None = None
    appointment_date: str | None = None


@dataclass(frozen=True)
class AddReport:
    added: int
    skipped: list[tuple[int, str]]  # (row number, reason)


def read_csv(data: bytes) -> list[RecipientInput]:
    """Rows of a CSV with a phone column, and optional language, role and appointment_date."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CampaignError("not_utf8") from error
    reader = csv.DictReader(io.StringIO(text))
    headers = {(h or "").strip().lower() for h in reader.fieldnames or []}
    if "phone" not in headers:
        raise CampaignError("no_phone_column")
    rows = []
    for row in reader:
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()
               if isinstance(v, str)}
        rows.append(RecipientInput(phone=row.get("phone", ""), language=row.get("language"),
                                   role=row.get("role"),
                                   appointment_date=row.get("appointment_date")))
        if len(rows) > MAX_ROWS:
            raise CampaignError("too_many_rows")
    if not rows:
        raise CampaignError("empty")
    return rows


def _language(value: str | None, survey: Survey) -> str | None:
    if not value:
        return "en"
    value = value.strip().lower()
    code = value if value in current_app.config["LANGUAGES"] else LANGUAGE_NAMES.get(value)
    return code if code in (survey.languages or ["en"]) else None


def _role(value: str | None) -> str | None:
    value = (value or "patient").strip().lower()
    return value if value in RespondentRole.__members__.values() else None


def _appointment(value: str | None) -> date | None | bool:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return False


def create_campaign(*, service: Service, name: str, created_by: User | None) -> Campaign:
    open_survey = surveys.get_open_survey(service)
    if open_survey is None:
        raise CampaignError("no_open_survey")
    campaign = Campaign(service_id=service.id, survey_id=open_survey.survey.id,
                        name=name.strip()[:200] or service.name, created_by_id=getattr(
                            created_by, "id", None))
    db.session.add(campaign)
    db.session.flush()
    audit.record(Actions.CAMPAIGN_CREATED, actor=created_by, target=campaign,
                 actor_email=None if created_by else "integration API",
                 details={"service": service.slug})
    return campaign


def add_recipients(campaign: Campaign, rows: list[RecipientInput]) -> AddReport:
    """Check every row; add the good ones, and say why each other one was skipped."""
    skipped: list[tuple[int, str]] = []
    seen = set(db.session.scalars(select(CampaignRecipient.phone_hash).where(
        CampaignRecipient.campaign_id == campaign.id)))
    added = 0
    for number, row in enumerate(rows, start=1):
        reason, recipient = _recipient(campaign, row, seen)
        if reason:
            skipped.append((number, reason))
            continue
        seen.add(recipient.phone_hash)
        db.session.add(recipient)
        added += 1
    return AddReport(added=added, skipped=skipped)


def _recipient(campaign: Campaign, row: RecipientInput, seen: set[str]):
    try:
        phone = normalise_phone(row.phone)
    except InvalidPhoneNumber as error:
        return f"phone_{error.reason}", None
    hashed = sms.phone_hash(phone)
    if hashed in seen:
        return "duplicate", None
    if sms.is_opted_out(hashed):
        return "opted_out", None
    language = _language(row.language, campaign.survey)
    if language is None:
        return "unknown_language", None
    role = _role(row.role)
    if role is None:
        return "unknown_role", None
    appointment = _appointment(row.appointment_date)
    if appointment is False:
        return "bad_date", None
    return None, CampaignRecipient(
        campaign_id=campaign.id, phone_number=phone, phone_hash=hashed, locale=language,
        respondent_role=role, appointment_on=appointment, send_after=utcnow())


def start_campaign(*, service: Service, name: str, rows: list[RecipientInput],
                   created_by: User | None) -> tuple[Campaign, AddReport]:
    """Create a campaign with its recipients, in one transaction."""
    try:
        campaign = create_campaign(service=service, name=name, created_by=created_by)
        report = add_recipients(campaign, rows)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return campaign, report


def default_campaign_name(now: datetime | None = None) -> str:
    """One campaign a day for an appointment system that names none, by the UK date."""
    moment = (now or utcnow()).replace(tzinfo=ZoneInfo("UTC")).astimezone(UK)
    return f"Appointment system {moment:%Y-%m-%d}"


def add_from_api(*, service: Service, campaign_name: str | None, rows: list[RecipientInput],
                 token_id: int | None = None) -> tuple[Campaign, AddReport]:
    """Add recipients to the service's campaign of that name, then ask for sending.

    The campaign is reused if it exists and invites to the survey open now, and is created if
    not. Everything is saved in one transaction, and sending is asked for after it commits.

    :param token_id: the API token that called, named in the log.
    :raise CampaignError: no_open_survey, when the service has no survey open.
    """
    from .. import jobs

    name = (campaign_name or "").strip()[:CAMPAIGN_NAME_MAX_LENGTH] or default_campaign_name()
    try:
        # One call at a time per service, so two calls on the same morning cannot both create
        # the day's campaign, nor both add the same number to it.
        service_id = service.id
        db.session.execute(select(Service.id).where(Service.id == service_id).with_for_update())
        open_survey = surveys.get_open_survey(service)
        if open_survey is None:
            raise CampaignError("no_open_survey")
        campaign = db.session.scalar(
            select(Campaign).where(Campaign.service_id == service_id, Campaign.name == name,
                                   Campaign.survey_id == open_survey.survey.id)
            .order_by(Campaign.id).limit(1))
        if campaign is None:
            campaign = create_campaign(service=service, name=name, created_by=None)
        report = add_recipients(campaign, rows)
        campaign_id = campaign.id
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info("API token %s added %d recipients to campaign %s (%d skipped)", token_id,
             report.added, campaign_id, len(report.skipped),
             extra={"api_token_id": token_id, "campaign_id": campaign_id})
    if report.added:
        jobs.enqueue(jobs.send_invitations)
    return campaign, report


# --- sending --------------------------------------------------------------------------------


def in_quiet_hours(moment: datetime) -> bool:
    start, end = current_app.config["SMS_QUIET_HOURS"]
    hour = moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(UK).hour
    return hour >= start or hour < end


def next_morning(moment: datetime) -> datetime:
    """The end of the quiet hours after `moment`, as naive UTC like every stored time."""
    _, end = current_app.config["SMS_QUIET_HOURS"]
    local = moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(UK)
    day = local.date() if local.hour < end else local.date() + timedelta(days=1)
    morning = datetime.combine(day, time(end), tzinfo=UK)
    return morning.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def invite_now(*, service: Service, phone: str, language: str) -> list[int]:
    """Invite one number straight away, quiet hours or not: for the development phone page."""
    campaign, report = start_campaign(
        service=service, name="Pretend phone", created_by=None,
        rows=[RecipientInput(phone=phone, language=language)])
    if report.skipped:
        raise CampaignError(report.skipped[0][1])
    texts = invite_due(limit=1, quiet_hours=False)
    sms.send_queued(texts)
    return texts


def invite_due(*, now: datetime | None = None, limit: int = 100,
               quiet_hours: bool = True) -> list[int]:
    """Open conversations for recipients whose time has come. Returns the texts to send."""
    now = now or utcnow()
    due = db.session.scalars(
        select(CampaignRecipient).where(CampaignRecipient.status == RecipientStatus.PENDING,
                                        CampaignRecipient.send_after <= now)
        .order_by(CampaignRecipient.send_after, CampaignRecipient.id).limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if due and quiet_hours and in_quiet_hours(now):
        morning = next_morning(now)
        for recipient in due:
            recipient.send_after = morning
        db.session.commit()
        return []
    outbox: list[SmsMessage] = []
    for recipient in due:
        outbox.extend(_invite(recipient, now))
    db.session.commit()
    return [m.id for m in outbox]


def _invite(recipient: CampaignRecipient, now: datetime) -> list[SmsMessage]:
    if recipient.phone_number is None:
        recipient.status, recipient.skip_reason = RecipientStatus.SKIPPED, "erased"
        return []
    if sms.is_opted_out(recipient.phone_hash):
        recipient.status, recipient.skip_reason = RecipientStatus.SKIPPED, "opted_out"
        return []
    busy = db.session.scalar(select(Conversation.id).where(
        Conversation.phone_hash == recipient.phone_hash,
        Conversation.status == ConversationStatus.OPEN))
    if busy:
        recipient.status, recipient.skip_reason = RecipientStatus.SKIPPED, "in_conversation"
        return []
    survey = recipient.campaign.survey
    open_survey = surveys.get_open_survey(survey.service, now)
    if open_survey is None or open_survey.survey.id != survey.id:
        recipient.status, recipient.skip_reason = RecipientStatus.SKIPPED, "survey_closed"
        return []
    conversation = Conversation(
        phone_number=recipient.phone_number, phone_hash=recipient.phone_hash,
        service_id=survey.service_id, survey_version_id=open_survey.version.id,
        locale=recipient.locale, respondent_role=recipient.respondent_role,
        expires_at=now + current_app.config["SMS_CONVERSATION_LIFETIME"],
    )
    db.session.add(conversation)
    db.session.flush()
    recipient.conversation_id = conversation.id
    recipient.status = RecipientStatus.SENT
    return [
        sms._queue(conversation, kind, hashed=conversation.phone_hash, locale=conversation.locale,
                   service_name=survey.service.name, version=open_survey.version, index=index,
                   recipient_id=recipient.id)
        for kind, index in (("invitation", None), ("question", 0))
    ]


def list_campaigns(service_id: int) -> list[Campaign]:
    return list(db.session.scalars(select(Campaign).where(Campaign.service_id == service_id)
                                   .order_by(Campaign.created_at.desc())))


def get_campaign(campaign_id: int) -> Campaign | None:
    return db.session.get(Campaign, campaign_id)


def counts(campaign_id: int) -> dict[str, int]:
    """Where each invitation of one campaign has got to; from SQL, never by loading rows."""
    return _counts(CampaignRecipient.campaign_id == campaign_id)


def service_counts(service_id: int, *, since: datetime | None = None,
                   until: datetime | None = None) -> dict[str, int]:
    """The same, over every campaign of a service (people added between since and until):
    the SMS channel's reach."""
    condition = CampaignRecipient.campaign_id.in_(
        select(Campaign.id).where(Campaign.service_id == service_id))
    if since is not None:
        condition = condition & (CampaignRecipient.created_at >= since)
    if until is not None:
        condition = condition & (CampaignRecipient.created_at < until)
    return _counts(condition)


def _counts(recipient_filter) -> dict[str, int]:
    recipients = dict(db.session.execute(
        select(CampaignRecipient.status, func.count())
        .where(recipient_filter)
        .group_by(CampaignRecipient.status)).all())
    skipped = dict(db.session.execute(
        select(CampaignRecipient.skip_reason, func.count())
        .where(recipient_filter, CampaignRecipient.status == RecipientStatus.SKIPPED)
        .group_by(CampaignRecipient.skip_reason)).all())
    invitations = dict(db.session.execute(
        select(SmsMessage.status, func.count())
        .join(CampaignRecipient, CampaignRecipient.id == SmsMessage.recipient_id)
        .where(recipient_filter, SmsMessage.kind == "invitation")
        .group_by(SmsMessage.status)).all())
    conversations = db.session.execute(
        select(
            func.count(),
            func.sum(case((Conversation.position > 0, 1), else_=0)),
            func.sum(case((Conversation.status == ConversationStatus.COMPLETED, 1), else_=0)),
            func.sum(case((Conversation.status == ConversationStatus.EXPIRED, 1), else_=0)),
            func.sum(case((Conversation.status == ConversationStatus.STOPPED, 1), else_=0)),
        )
        .join(CampaignRecipient, CampaignRecipient.conversation_id == Conversation.id)
        .where(recipient_filter)).one()
    return {
        "recipients": sum(recipients.values()),
        "waiting": recipients.get(RecipientStatus.PENDING, 0),
        "sent": recipients.get(RecipientStatus.SENT, 0),
        "delivered": invitations.get("delivered", 0),
        "failed": invitations.get("failed", 0) + invitations.get("undelivered", 0),
        "answered": int(conversations[1] or 0),
        "completed": int(conversations[2] or 0),
        "expired": int(conversations[3] or 0),
        "opted_out": int(conversations[4] or 0) + skipped.get("opted_out", 0),
        "skipped": recipients.get(RecipientStatus.SKIPPED, 0),
    }


def start_campaign_from_csv(*, service: Service, name: str, data: bytes,
                            created_by: User | None) -> tuple[Campaign, AddReport]:
    """Create a campaign from an uploaded CSV, then ask for its invitations to be sent.

    :raise CampaignError: "sms_off" when texts cannot be sent, a `read_csv` code for a file
        that cannot be read, or "no_open_survey".
    """
    from .. import jobs

    # Refused up front: recipients would otherwise wait, unsent, until long after their visit.
    if not sms.is_enabled():
        raise CampaignError("sms_off")
    if not data.strip():
        raise CampaignError("empty")  # not "no_phone_column": there is nothing in it at all
    campaign, report = start_campaign(service=service, name=name, rows=read_csv(data),
                                      created_by=created_by)
    if report.added:
        jobs.enqueue(jobs.send_invitations)  # after the commit; quiet hours are respected there
    return campaign, report
