"""Data retention: blank named fields once they are older than the settings allow.

Responses stay as records; only the named fields go. Each run is written to the audit log
with what it blanked. Later features add their own rules to RULES.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import null, select, update

from ..extensions import db
from ..models import (
    Answer,
    CampaignRecipient,
    CommentAnalysis,
    Conversation,
    Response,
    ResponseAnalysis,
    ResponseVersion,
    SmsMessage,
    User,
    utcnow,
)
from . import audit
from .audit import Actions


@dataclass(frozen=True)
class RetentionRule:
    name: str  # the key in the RETENTION_DAYS setting
    description: object  # what is removed, for the privacy notice and admin page
    column: object  # the column set to NULL
    # Ids of rows whose data is old enough, given the cut-off time.
    old_rows: object
    # The key its count goes under in the run's report; None: counted by a sibling rule.
    count_as: str | None = "same as name"

    @property
    def counted_under(self) -> str | None:
        return self.name if self.count_as == "same as name" else self.count_as


def _free_text_answers(cutoff: datetime):
    return (
        select(Answer.id)
        .join(ResponseVersion, ResponseVersion.id == Answer.response_version_id)
        .join(Response, Response.id == ResponseVersion.response_id)
        .where(Response.submitted_at < cutoff, Answer.text.is_not(None))
    )


def _old_comment_analyses(column):
    def old_rows(cutoff: datetime):
        return (
            select(CommentAnalysis.id)
            .join(ResponseAnalysis, ResponseAnalysis.id == CommentAnalysis.response_analysis_id)
            .join(Response, Response.id == ResponseAnalysis.response_id)
            .where(Response.submitted_at < cutoff, column.is_not(None))
        )
    return old_rows


def _ended_conversations(cutoff: datetime):
    return select(Conversation.id).where(Conversation.ended_at < cutoff,
                                         Conversation.phone_number.is_not(None))


def _finished_recipients(cutoff: datetime):
    # Invitations that were skipped, or whose conversation has ended.
    ended = select(Conversation.id).where(Conversation.ended_at < cutoff)
    return select(CampaignRecipient.id).where(
        CampaignRecipient.phone_number.is_not(None),
        ((CampaignRecipient.status == "skipped") & (CampaignRecipient.created_at < cutoff))
        | CampaignRecipient.conversation_id.in_(ended),
    )


def _old_texts(cutoff: datetime):
    return select(SmsMessage.id).where(SmsMessage.created_at < cutoff,
                                       SmsMessage.body.is_not(None))


RULES = [
    RetentionRule(
        name="free_text",
        description=_l("what you typed in answer to the questions"),
        column=Answer.text,
        old_rows=_free_text_answers,
    ),
    # Quotes made from the free text go with it, redacted or not.
    RetentionRule(name="free_text", description=None, column=CommentAnalysis.redacted_text,
                  old_rows=_old_comment_analyses(CommentAnalysis.redacted_text),
                  count_as="free_text_quotes"),
    RetentionRule(name="free_text", description=None, column=CommentAnalysis.sentences,
                  old_rows=_old_comment_analyses(CommentAnalysis.sentences), count_as=None),
    RetentionRule(
        name="phone_numbers",
        description=_l("your mobile number, if we texted you the survey (counted from the end "
                       "of the text conversation)"),
        column=Conversation.phone_number,
        old_rows=_ended_conversations,
    ),
    RetentionRule(
        name="phone_numbers",
        description=None,  # the same promise as above, for the invitation list
        column=CampaignRecipient.phone_number,
        old_rows=_finished_recipients,
    ),
    RetentionRule(
        name="sms_bodies",
        description=_l("the text messages themselves (your answers are kept in the survey "
                       "response)"),
        column=SmsMessage.body,
        old_rows=_old_texts,
    ),
]


def rules_in_force(days: Mapping[str, int]) -> list[tuple[RetentionRule, int]]:
    """The rules that apply, each described once, for the privacy notice and admin page."""
    return [(rule, days[rule.name]) for rule in RULES
            if days.get(rule.name) and rule.description is not None]


def apply_retention(*, days: Mapping[str, int], actor: User | None = None,
                    now: datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Blank every field older than its rule allows. Safe to run at any time, and again."""
    now = now or utcnow()
    counts: dict[str, int] = {}
    for rule in RULES:
        keep_days = days.get(rule.name)
        if not keep_days:
            continue
        ids = rule.old_rows(now - timedelta(days=keep_days)).scalar_subquery()
        table = rule.column.table
        if dry_run:
            found = len(db.session.execute(select(table.c.id).where(table.c.id.in_(ids))).all())
        else:
            found = db.session.execute(
                update(table).where(table.c.id.in_(ids)).values({rule.column.key: null()})
                .execution_options(synchronize_session=False)
            ).rowcount
        if rule.counted_under:
            counts[rule.counted_under] = counts.get(rule.counted_under, 0) + found
    if not dry_run:
        audit.record(Actions.RETENTION_APPLIED, actor=actor,
                     actor_email=None if actor else "scheduled job",
                     details={"blanked": counts, "days": dict(days)})
        try:
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    return counts
