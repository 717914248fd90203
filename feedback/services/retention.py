"""Data retention: blank named fields once they are older than the settings allow.

Responses stay as records; only the named fields go. Each run is written to the audit log
with what it blanked. Later features add their own rules to RULES.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..extensions import db
from ..models import Answer, Response, ResponseVersion, User, utcnow
from . import audit
from .audit import Actions


@dataclass(frozen=True)
class RetentionRule:
    name: str  # the key in the RETENTION_DAYS setting
    description: object  # what is removed, for the privacy notice and admin page
    column: object  # the column set to NULL
    # Ids of rows whose data is old enough, given the cut-off time.
    old_rows: object


def _free_text_answers(cutoff: datetime):
    return (
        select(Answer.id)
        .join(ResponseVersion, ResponseVersion.id == Answer.response_version_id)
        .join(Response, Response.id == ResponseVersion.response_id)
        .where(Response.submitted_at < cutoff, Answer.text.is_not(None))
    )


RULES = [
    RetentionRule(
        name="free_text",
        description=_l("what you typed in answer to the questions"),
        column=Answer.text,
        old_rows=_free_text_answers,
    ),
]


def rules_in_force(days: Mapping[str, int]) -> list[tuple[RetentionRule, int]]:
    return [(rule, days[rule.name]) for rule in RULES if days.get(rule.name)]


def apply_retention(*, days: Mapping[str, int], actor: User | None = None,
                    now: datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Blank every field older than its rule allows. Safe to run at any time, and again."""
    now = now or utcnow()
    counts = {}
    for rule, keep_days in rules_in_force(days):
        ids = rule.old_rows(now - timedelta(days=keep_days)).scalar_subquery()
        table = rule.column.table
        if dry_run:
            counts[rule.name] = len(db.session.execute(
                select(table.c.id).where(table.c.id.in_(ids))).all())
            continue
        result = db.session.execute(
            update(table).where(table.c.id.in_(ids)).values({rule.column.key: None})
            .execution_options(synchronize_session=False)
        )
        counts[rule.name] = result.rowcount
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
