"""Database models: services, the question bank, surveys and their versions, responses."""

import enum
from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class ServiceKind(enum.StrEnum):
    VIDEO_CONSULTATION = "video_consultation"
    PORTAL = "portal"
    ONLINE_BOOKING = "online_booking"
    REMOTE_MONITORING = "remote_monitoring"
    APP = "app"
    OTHER = "other"


class QuestionKind(enum.StrEnum):
    FFT_RATING = "fft_rating"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    YES_NO = "yes_no"
    FREE_TEXT = "free_text"


class Channel(enum.StrEnum):
    WEB = "web"
    SMS = "sms"
    PAPER = "paper"
    ASSISTED = "assisted"


class RespondentRole(enum.StrEnum):
    PATIENT = "patient"
    CARER = "carer"
    STAFF = "staff"


class AssistanceMode(enum.StrEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"


class AnswerStatus(enum.StrEnum):
    ANSWERED = "answered"
    SKIPPED = "skipped"  # left out on purpose: an optional web question or SKIP by SMS
    BLANK = "blank"  # nothing marked on a paper form
    UNREADABLE = "unreadable"  # marked on paper, but no one can tell what


def _enum_check(column: str, values: type[enum.StrEnum]) -> CheckConstraint:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_valid")


class Service(db.Model):
    """A digital health service that people give feedback on."""

    __tablename__ = "services"
    __table_args__ = (_enum_check("kind", ServiceKind),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # {locale: text}; English is always present and is the fallback.
    description: Mapped[dict] = mapped_column(JSON, default=dict)
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    surveys: Mapped[list["Survey"]] = relationship(back_populates="service")


class Question(db.Model):
    """A question in the bank. Immutable once used: a change is a new revision of the same key."""

    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("key", "revision", name="uq_questions_key_revision"),
        _enum_check("kind", QuestionKind),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(default=1)
    kind: Mapped[str] = mapped_column(String(32))
    # The bank's grouping: fft, inclusion or equality.
    module: Mapped[str] = mapped_column(String(32))
    # Inclusion-framework domain the question measures, for later reporting.
    domain: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[dict] = mapped_column(JSON)  # {locale: question text}
    hint: Mapped[dict] = mapped_column(JSON, default=dict)  # {locale: hint}
    # [{"value": "very_good", "label": {locale: text}, "exclusive": bool}]
    options: Mapped[list] = mapped_column(JSON, default=list)
    max_length: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Survey(db.Model):
    """A survey of one service, open between two dates, in a set of languages."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    languages: Mapped[list] = mapped_column(JSON)
    opens_at: Mapped[datetime] = mapped_column(default=utcnow)
    closes_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    service: Mapped[Service] = relationship(back_populates="surveys")
    versions: Mapped[list["SurveyVersion"]] = relationship(
        back_populates="survey", order_by="SurveyVersion.number"
    )


class SurveyVersion(db.Model):
    """A frozen question set. Responses point at the version they answered."""

    __tablename__ = "survey_versions"
    __table_args__ = (UniqueConstraint("survey_id", "number", name="uq_survey_versions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    number: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]

    survey: Mapped[Survey] = relationship(back_populates="versions")
    questions: Mapped[list["SurveyQuestion"]] = relationship(
        back_populates="survey_version", order_by="SurveyQuestion.position"
    )


class SurveyQuestion(db.Model):
    __tablename__ = "survey_questions"
    __table_args__ = (
        UniqueConstraint("survey_version_id", "position", name="uq_survey_questions_position"),
        UniqueConstraint("survey_version_id", "question_id", name="uq_survey_questions_question"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    position: Mapped[int]
    required: Mapped[bool] = mapped_column(default=False)

    survey_version: Mapped[SurveyVersion] = relationship(back_populates="questions")
    question: Mapped[Question] = relationship()


class Response(db.Model):
    """One person's submitted answers. Never edited: a correction adds a ResponseVersion."""

    __tablename__ = "responses"
    __table_args__ = (
        _enum_check("channel", Channel),
        _enum_check("respondent_role", RespondentRole),
        CheckConstraint(
            "assistance_mode IS NULL OR assistance_mode IN ('in_person', 'phone')",
            name="assistance_mode_valid",
        ),
        Index("ix_responses_service_submitted", "service_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    respondent_role: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(16))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who helped, for assisted and paper entry.
    assisted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assistance_mode: Mapped[str | None] = mapped_column(String(16))
    # Set by the channel so that a repeated submit finds the first response, not a second one.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # False when the person stopped part-way (an SMS survey that expired or was stopped).
    is_complete: Mapped[bool] = mapped_column(default=True, server_default=sql("true"))
    # Paper sheets wait here until their batch is checked and final; reports leave them out.
    held_back: Mapped[bool] = mapped_column(default=False, server_default=sql("false"))
    paper_batch_id: Mapped[int | None] = mapped_column(ForeignKey("paper_batches.id"),
                                                       index=True)
    sheet_reference: Mapped[str | None] = mapped_column(String(16), unique=True)

    service: Mapped[Service] = relationship()
    survey_version: Mapped[SurveyVersion] = relationship()
    versions: Mapped[list["ResponseVersion"]] = relationship(
        back_populates="response", order_by="ResponseVersion.number"
    )

    @property
    def current_version(self) -> "ResponseVersion":
        return self.versions[-1]


class ResponseVersion(db.Model):
    """A complete set of answers; version 1 as submitted, later ones as corrected, with why."""

    __tablename__ = "response_versions"
    __table_args__ = (
        UniqueConstraint("response_id", "number", name="uq_response_versions_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    response: Mapped[Response] = relationship(back_populates="versions")
    answers: Mapped[list["Answer"]] = relationship(back_populates="response_version")


class Answer(db.Model):
    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("response_version_id", "question_id", name="uq_answers_question"),
        _enum_check("status", AnswerStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_version_id: Mapped[int] = mapped_column(ForeignKey("response_versions.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=AnswerStatus.ANSWERED)
    # One of the question's option values (FFT rating, single choice, yes/no).
    choice: Mapped[str | None] = mapped_column(String(64))
    choices: Mapped[list | None] = mapped_column(JSON)  # option values, for multiple choice
    text: Mapped[str | None] = mapped_column(Text)  # free text as written

    response_version: Mapped[ResponseVersion] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()


class SurveyDraft(db.Model):
    """A web survey in progress, so long answers need not ride in the cookie. Purged when stale."""

    __tablename__ = "survey_drafts"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"))
    respondent_role: Mapped[str | None] = mapped_column(String(16))
    answers: Mapped[dict] = mapped_column(JSON, default=dict)  # {str(question_id): answer}
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    survey_version: Mapped[SurveyVersion] = relationship()


# --- staff ------------------------------------------------------------------------------------


class Role(enum.StrEnum):
    ADMIN = "admin"  # everything
    SERVICE_LEAD = "service_lead"  # reports and campaigns for their own services
    VOLUNTEER = "volunteer"  # paper and assisted entry only


service_leads = db.Table(
    "service_leads",
    db.Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    db.Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
)


class User(db.Model):
    """A member of staff or a volunteer. Patients never have accounts."""

    __tablename__ = "users"
    __table_args__ = (_enum_check("role", Role),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    # None until the invited person sets a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Bumped to end every session of the account (deactivation, password or role change).
    session_version: Mapped[int] = mapped_column(default=1)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None]
    # The last one-time-code time step used, so a code cannot be replayed.
    totp_last_step: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_signed_in_at: Mapped[datetime | None]
    # Given by an admin to the named people who review comments that may disclose risk.
    can_review_safeguarding: Mapped[bool] = mapped_column(default=False,
                                                          server_default=sql("false"))

    services: Mapped[list[Service]] = relationship(secondary=service_leads, order_by=Service.name)

    # Flask-Login's interface. The id carries the session version, so bumping it signs out.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def needs_second_factor(self) -> bool:
        return self.role in (Role.ADMIN, Role.SERVICE_LEAD)


class Invitation(db.Model):
    """A one-time link for a new member of staff to set their password."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256; never the token
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class RecoveryCode(db.Model):
    """A single-use code that stands in for a lost authenticator."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None]


class AuditEvent(db.Model):
    """An append-only record of a staff action. Database triggers refuse updates and deletes."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_action_occurred", "action", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Who, kept as text too, so the record reads the same if the account is renamed.
    actor_id: Mapped[int | None] = mapped_column(index=True)
    actor_email: Mapped[str | None] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict)


# --- SMS -------------------------------------------------------------------------------------
# Phone numbers live only here, on campaign recipients and conversations, and are erased on
# schedule. Everything else finds a number by its keyed hash (phone_hash).


class ConversationStatus(enum.StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    EXPIRED = "expired"  # no reply in time: partial answers kept, marked incomplete
    STOPPED = "stopped"  # the texter sent STOP


class RecipientStatus(enum.StrEnum):
    PENDING = "pending"  # waiting to be sent, perhaps until quiet hours end
    SENT = "sent"  # invitation handed to Twilio
    SKIPPED = "skipped"  # not sent: see skip_reason
    FAILED = "failed"  # Twilio refused it for good


class Campaign(db.Model):
    """A batch of SMS invitations to one service's survey, from a CSV upload or the API."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    name: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    service: Mapped[Service] = relationship()
    survey: Mapped[Survey] = relationship()


class CampaignRecipient(db.Model):
    __tablename__ = "campaign_recipients"
    __table_args__ = (
        UniqueConstraint("campaign_id", "phone_hash", name="uq_campaign_recipients_phone"),
        Index("ix_campaign_recipients_due", "status", "send_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    phone_number: Mapped[str | None] = mapped_column(String(20))  # E.164; erased on schedule
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    locale: Mapped[str] = mapped_column(String(16))
    respondent_role: Mapped[str] = mapped_column(String(16), default="patient")
    appointment_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default=RecipientStatus.PENDING)
    skip_reason: Mapped[str | None] = mapped_column(String(32))
    send_after: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    campaign: Mapped[Campaign] = relationship()


class Conversation(db.Model):
    """One person's SMS survey: where they are, and what they have answered so far."""

    __tablename__ = "conversations"
    __table_args__ = (
        # One open conversation per number.
        Index("uq_conversations_open_phone", "phone_hash", unique=True,
              sqlite_where=sql("status = 'open'"), postgresql_where=sql("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_number: Mapped[str | None] = mapped_column(String(20))  # erased on schedule
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"))
    locale: Mapped[str] = mapped_column(String(16))
    respondent_role: Mapped[str] = mapped_column(String(16), default="patient")
    status: Mapped[str] = mapped_column(String(16), default=ConversationStatus.OPEN)
    position: Mapped[int] = mapped_column(default=0)
    reprompts: Mapped[int] = mapped_column(default=0)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None] = mapped_column(index=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"))

    service: Mapped[Service] = relationship()
    survey_version: Mapped[SurveyVersion] = relationship()


class SmsMessage(db.Model):
    """Every text in and out. Inbound ones are unique by Twilio's MessageSid."""

    __tablename__ = "sms_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(8))  # "in" or "out"
    message_sid: Mapped[str | None] = mapped_column(String(34), unique=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"),
                                                        index=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_recipients.id"),
                                                     index=True)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    body: Mapped[str | None] = mapped_column(Text)  # erased on schedule
    num_media: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str | None] = mapped_column(String(32))  # for outbound: invitation, question...
    status: Mapped[str] = mapped_column(String(16))  # received/processed; pending/sent/delivered...
    error_code: Mapped[int | None]
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    processed_at: Mapped[datetime | None]


class OptOut(db.Model):
    """A number that said STOP, kept only as a keyed hash that no retention or erasure removes."""

    __tablename__ = "sms_opt_outs"

    phone_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    opted_out_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(16))  # keyword, twilio_21610, admin


class ApiToken(db.Model):
    """A per-service token for the integration API. Only a hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # shown to admins to tell tokens apart
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    service: Mapped[Service] = relationship()


# --- paper ----------------------------------------------------------------------------------


class PrintRun(db.Model):
    """A numbered run of printed forms for a clinic: sheets first_number..first_number+count-1."""

    __tablename__ = "print_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"))
    locale: Mapped[str] = mapped_column(String(16))
    large_print: Mapped[bool] = mapped_column(default=False)
    site: Mapped[str] = mapped_column(String(200))
    first_number: Mapped[int] = mapped_column(unique=True)
    sheet_count: Mapped[int]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    service: Mapped[Service] = relationship()
    survey_version: Mapped[SurveyVersion] = relationship()


class PaperBatch(db.Model):
    """Sheets received together, keyed by volunteers, checked, then made final."""

    __tablename__ = "paper_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    site: Mapped[str] = mapped_column(String(200))
    received_on: Mapped[date]
    expected_sheets: Mapped[int]
    # Share of sheets keyed again, blind, by a second volunteer (0.1 = one in ten).
    check_share: Mapped[float] = mapped_column(default=0.1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finalised_at: Mapped[datetime | None]

    service: Mapped[Service] = relationship()


class PaperEntry(db.Model):
    """One keying of one sheet: the first, or the blind check by someone else."""

    __tablename__ = "paper_entries"
    __table_args__ = (
        UniqueConstraint("reference", "kind", name="uq_paper_entries_reference_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("paper_batches.id"), index=True)
    reference: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "first" or "check"
    respondent_role: Mapped[str] = mapped_column(String(16))
    answers: Mapped[dict] = mapped_column(JSON)  # as keyed, {str(question id): answer}
    keyed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    keyed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Disagreement(db.Model):
    """A question the two keyings of a sheet answered differently, until someone decides."""

    __tablename__ = "paper_disagreements"
    __table_args__ = (
        UniqueConstraint("reference", "question_id", name="uq_paper_disagreements_question"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("paper_batches.id"), index=True)
    reference: Mapped[str] = mapped_column(String(16))
    # None for the "who is answering" field, which is not a bank question.
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"))
    first_answer: Mapped[dict] = mapped_column(JSON)
    check_answer: Mapped[dict] = mapped_column(JSON)
    first_keyed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    resolved_answer: Mapped[dict | None] = mapped_column(JSON)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    question: Mapped[Question | None] = relationship()


# --- analysis ---------------------------------------------------------------------------------
# Results of feedback.analysis for each response, replaced whole when it is analysed again.


class RiskLevel(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    UNKNOWN = "unknown"  # too few inclusion answers to say


class SentimentLabel(enum.StrEnum):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    MIXED = "mixed"
    NEGATIVE = "negative"


class ResponseAnalysis(db.Model):
    """What the analysers made of one response's current version, and which analysers did it."""

    __tablename__ = "response_analyses"
    __table_args__ = (
        _enum_check("risk_level", RiskLevel),
        Index("ix_response_analyses_service_submitted_on", "service_id", "submitted_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), unique=True)
    response_version_id: Mapped[int] = mapped_column(ForeignKey("response_versions.id"))
    # Copied from the response so reports and rollups filter without reading answers:
    # the service, the UK date it was given, and the FFT rating of the version analysed.
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    submitted_on: Mapped[date | None]
    fft_rating: Mapped[str | None] = mapped_column(String(16))
    analyser_version: Mapped[str] = mapped_column(String(64), index=True)
    analysed_at: Mapped[datetime] = mapped_column(default=utcnow)
    risk_level: Mapped[str] = mapped_column(String(16), index=True)
    risk_score: Mapped[float] = mapped_column(default=0.0)
    weights_version: Mapped[str] = mapped_column(String(32))

    response: Mapped[Response] = relationship()
    risk_reasons: Mapped[list["RiskReason"]] = relationship(
        back_populates="response_analysis", cascade="all, delete-orphan",
        order_by=lambda: (RiskReason.points.desc(), RiskReason.code))
    comments: Mapped[list["CommentAnalysis"]] = relationship(
        back_populates="response_analysis", cascade="all, delete-orphan",
        order_by="CommentAnalysis.id")


class RiskReason(db.Model):
    """One reason a respondent may be at risk of digital exclusion, as rows so reports can count
    the barriers most reported with plain SQL."""

    __tablename__ = "risk_reasons"
    __table_args__ = (
        UniqueConstraint("response_analysis_id", "code", name="uq_risk_reasons_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_analysis_id: Mapped[int] = mapped_column(
        ForeignKey("response_analyses.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64), index=True)  # e.g. access.no_home_internet
    domain: Mapped[str] = mapped_column(String(32))
    points: Mapped[float]

    response_analysis: Mapped[ResponseAnalysis] = relationship(back_populates="risk_reasons")


class CommentAnalysis(db.Model):
    """One free-text answer: its language, sentiment, themes and redacted text."""

    __tablename__ = "comment_analyses"
    __table_args__ = (
        _enum_check("sentiment_label", SentimentLabel),
        UniqueConstraint("response_analysis_id", "question_id",
                         name="uq_comment_analyses_question"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_analysis_id: Mapped[int] = mapped_column(
        ForeignKey("response_analyses.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    language: Mapped[str | None] = mapped_column(String(8))
    # False when the comment is not in English: not scored rather than scored wrongly.
    scored: Mapped[bool] = mapped_column(default=True)
    sentiment_label: Mapped[str | None] = mapped_column(String(16), index=True)
    sentiment_score: Mapped[float | None]
    sentiment_level: Mapped[int | None]  # 1 very positive … 5 very negative
    # The text as it may be quoted, and its sentences with their scores; blanked on schedule
    # with the free text they came from.
    redacted_text: Mapped[str | None] = mapped_column(Text)
    sentences: Mapped[list | None] = mapped_column(JSON)
    personal_data: Mapped[list] = mapped_column(JSON, default=list)  # kinds found: ["NAME"]

    response_analysis: Mapped[ResponseAnalysis] = relationship(back_populates="comments")
    question: Mapped[Question] = relationship()
    themes: Mapped[list["CommentTheme"]] = relationship(
        back_populates="comment", cascade="all, delete-orphan", order_by="CommentTheme.theme")


class CommentTheme(db.Model):
    """A theme a comment touches, with the sentiment of the sentences that carry it."""

    __tablename__ = "comment_themes"
    __table_args__ = (
        UniqueConstraint("comment_id", "theme", name="uq_comment_themes_theme"),
        _enum_check("sentiment_label", SentimentLabel),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comment_analyses.id", ondelete="CASCADE"), index=True)
    theme: Mapped[str] = mapped_column(String(32), index=True)
    sentiment_label: Mapped[str | None] = mapped_column(String(16))
    sentiment_score: Mapped[float | None]

    comment: Mapped[CommentAnalysis] = relationship(back_populates="themes")


class SafeguardingStatus(enum.StrEnum):
    WAITING = "waiting"
    REVIEWED = "reviewed"


class SafeguardingOutcome(enum.StrEnum):
    REFERRED = "referred"  # passed to the safeguarding team or a clinician
    CONTACTED = "contacted"  # the person was contacted (possible only if they left details)
    ALREADY_KNOWN = "already_known"  # the service already knew and is acting
    NO_RISK = "no_risk"  # read in full: not a disclosure of risk


class SafeguardingFlag(db.Model):
    """A comment that may disclose risk, waiting for a named person to review it.

    Kept when the response is analysed again, so a review is never lost or repeated.
    """

    __tablename__ = "safeguarding_flags"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id", name="uq_safeguarding_flags_question"),
        _enum_check("status", SafeguardingStatus),
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('referred', 'contacted', 'already_known', 'no_risk')",
            name="outcome_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    categories: Mapped[list] = mapped_column(JSON)  # self_harm, abuse_or_neglect, urgent_medical
    detector_version: Mapped[str] = mapped_column(String(64))
    flagged_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=SafeguardingStatus.WAITING,
                                        index=True)
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)  # what the reviewer did, in their words

    response: Mapped[Response] = relationship()
    question: Mapped[Question] = relationship()
    service: Mapped[Service] = relationship()
    reviewed_by: Mapped[User | None] = relationship()


# --- report rollups ---------------------------------------------------------------------------
# Counts per service and UK day, kept up to date as responses are analysed, so that reports sum
# a few thousand rows however many responses there are. Rebuilt for a service and day as a
# whole (services/rollups.py), never incremented, so a repeat or a race cannot drift them.
# Paper sheets held back until their batch is final are left out. "" stands for "none".


class ResponseRollup(db.Model):
    __tablename__ = "rollup_responses"
    __table_args__ = (
        # The all-services comparison reads a date range across every service.
        Index("ix_rollup_responses_day", "day",
              postgresql_include=["respondent_role", "fft_rating", "responses"]),
    )

    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"),
                                            primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    respondent_role: Mapped[str] = mapped_column(String(16), primary_key=True)
    locale: Mapped[str] = mapped_column(String(16), primary_key=True)
    fft_rating: Mapped[str] = mapped_column(String(16), primary_key=True)  # "" if none given
    risk_level: Mapped[str] = mapped_column(String(16), primary_key=True)
    responses: Mapped[int]


class BarrierRollup(db.Model):
    __tablename__ = "rollup_barriers"

    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"),
                                            primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    domain: Mapped[str] = mapped_column(String(32))
    respondents: Mapped[int]


class CommentRollup(db.Model):
    __tablename__ = "rollup_comments"
    __table_args__ = (
        # The sentiment trend reads one service's "every comment" rows over twelve months.
        Index("ix_rollup_comments_service_theme_day", "service_id", "theme", "day",
              postgresql_include=["sentiment_label", "comments"]),
    )

    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"),
                                            primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    respondent_role: Mapped[str] = mapped_column(String(16), primary_key=True)
    fft_rating: Mapped[str] = mapped_column(String(16), primary_key=True)  # "" if none given
    theme: Mapped[str] = mapped_column(String(32), primary_key=True)  # "" counts every comment
    sentiment_label: Mapped[str] = mapped_column(String(16), primary_key=True)  # "" not scored
    comments: Mapped[int]


# --- exports -----------------------------------------------------------------------------------


class ExportKind(enum.StrEnum):
    CSV = "csv"  # one row a response
    XLSX = "xlsx"  # the report's tables, suppressed
    PDF = "pdf"  # the report, with quotes
    PDF_NO_TEXT = "pdf_no_text"  # the report with every comment left out, to share widely
    FFT_RETURN = "fft_return"  # the monthly return to NHS England, one month only


class ExportStatus(enum.StrEnum):
    WAITING = "waiting"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ExportJob(db.Model):
    """A file asked for by a member of staff, made by a job, downloadable until it expires.

    The file is kept in the database, not on disk: every web process and worker reaches the
    same database, and none of them need share a disk. Exports run to a few megabytes.
    """

    __tablename__ = "export_jobs"
    __table_args__ = (
        _enum_check("kind", ExportKind),
        _enum_check("status", ExportStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"),
                                            index=True)
    period: Mapped[str] = mapped_column(String(16))  # a period slug: 2026-11, 2026-W48, 2026-Q4
    kind: Mapped[str] = mapped_column(String(16))
    # The language of the labels in the file: the job has no request to take it from.
    locale: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=ExportStatus.WAITING, index=True)
    rows_done: Mapped[int] = mapped_column(default=0)
    rows_total: Mapped[int | None]  # None until the job has counted them
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    filename: Mapped[str | None] = mapped_column(String(200))
    mimetype: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None]  # bytes
    # Deferred, so that status pages and sweeps never load the file itself.
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    service: Mapped[Service] = relationship()
    requested_by: Mapped[User | None] = relationship()
