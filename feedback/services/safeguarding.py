"""The safeguarding review queue: comments that may disclose risk, for named people to review.

Only staff given the safeguarding permission see it: administrators for every service,
service leads for their own. Reading a comment in full is audited each time.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    Answer,
    ResponseVersion,
    Role,
    SafeguardingFlag,
    SafeguardingOutcome,
    SafeguardingStatus,
    User,
    utcnow,
)
from ..text import clean_free_text
from . import audit, commit
from .audit import Actions

NOTE_MAX_LENGTH = 2000


class ReviewError(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors  # field → code: "required", "invalid", "too_long", "already"


def may_review(user: User) -> bool:
    return (user.is_authenticated and user.can_review_safeguarding
            and user.role in (Role.ADMIN, Role.SERVICE_LEAD))


def _visible(user: User):
    query = select(SafeguardingFlag)
    if user.role != Role.ADMIN:
        query = query.where(SafeguardingFlag.service_id.in_([s.id for s in user.services]))
    return query


def waiting(user: User) -> list[SafeguardingFlag]:
    """Flags no one has reviewed, the longest-waiting first."""
    return list(db.session.scalars(
        _visible(user).where(SafeguardingFlag.status == SafeguardingStatus.WAITING)
        .options(selectinload(SafeguardingFlag.service))
        .order_by(SafeguardingFlag.flagged_at, SafeguardingFlag.id)))


def waiting_count(user: User) -> int:
    query = _visible(user).where(SafeguardingFlag.status == SafeguardingStatus.WAITING)
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def recently_reviewed(user: User, limit: int = 50) -> list[SafeguardingFlag]:
    return list(db.session.scalars(
        _visible(user).where(SafeguardingFlag.status == SafeguardingStatus.REVIEWED)
        .options(selectinload(SafeguardingFlag.service),
                 selectinload(SafeguardingFlag.reviewed_by))
        .order_by(SafeguardingFlag.reviewed_at.desc()).limit(limit)))


def get_flag(user: User, flag_id: int) -> SafeguardingFlag | None:
    """The flag, if this user may see it."""
    return db.session.scalar(_visible(user).where(SafeguardingFlag.id == flag_id))


def flag_exists(flag_id: int) -> bool:
    return db.session.get(SafeguardingFlag, flag_id) is not None


@dataclass(frozen=True)
class FlaggedComment:
    text: str | None  # None once retention has blanked it
    question_key: str


def read_comment(flag: SafeguardingFlag, *, reader: User) -> FlaggedComment:
    """The comment in full, as first written; the reading is audited."""
    text = db.session.scalar(
        select(Answer.text)
        .join(ResponseVersion, ResponseVersion.id == Answer.response_version_id)
        .where(ResponseVersion.response_id == flag.response_id,
               Answer.question_id == flag.question_id)
        .order_by(ResponseVersion.number.desc()).limit(1))
    audit.record(Actions.VIEWED_UNREDACTED, actor=reader, target=flag.response,
                 details={"safeguarding_flag": flag.id})
    commit()
    return FlaggedComment(text=text, question_key=flag.question.key)


def record_review(flag: SafeguardingFlag, *, reviewer: User, outcome: str, note: str) -> None:
    """Record what the reviewer did. A flag is reviewed once; a second attempt is refused."""
    errors = {}
    if outcome not in SafeguardingOutcome.__members__.values():
        errors["outcome"] = "required" if not outcome else "invalid"
    note = clean_free_text(note or "")
    if not note:
        errors["note"] = "required"
    elif len(note) > NOTE_MAX_LENGTH:
        errors["note"] = "too_long"
    if flag.status == SafeguardingStatus.REVIEWED:
        errors["flag"] = "already"
    if errors:
        raise ReviewError(errors)
    flag.status = SafeguardingStatus.REVIEWED
    flag.reviewed_at = utcnow()
    flag.reviewed_by_id = reviewer.id
    flag.outcome = outcome
    flag.note = note
    audit.record(Actions.SAFEGUARDING_REVIEWED, actor=reviewer, target=flag.response,
                 details={"safeguarding_flag": flag.id, "outcome": outcome})
    commit()


def waited(flag: SafeguardingFlag, now: datetime | None = None):
    """How long the flag waited (or has waited so far) for a review."""
    return (flag.reviewed_at or now or utcnow()) - flag.flagged_at
