"""The audit log: an append-only record of staff actions that matter."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import AuditEvent, User


class Actions:
    """Every action the log records, so that filters and tests can name them."""

    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_OUT = "sign_out"
    SESSION_EXPIRED = "session_expired"
    SECOND_FACTOR_ENROLLED = "second_factor_enrolled"
    SECOND_FACTOR_FAILED = "second_factor_failed"
    RECOVERY_CODE_USED = "recovery_code_used"
    INVITED = "user_invited"
    INVITATION_ACCEPTED = "invitation_accepted"
    ROLE_CHANGED = "role_changed"
    SERVICES_ASSIGNED = "services_assigned"
    DEACTIVATED = "user_deactivated"
    REACTIVATED = "user_reactivated"
    SERVICE_CREATED = "service_created"
    SERVICE_UPDATED = "service_updated"
    SURVEY_CREATED = "survey_created"
    SURVEY_UPDATED = "survey_updated"
    RETENTION_APPLIED = "retention_applied"
    CAMPAIGN_CREATED = "campaign_created"
    FORMS_PRINTED = "forms_printed"
    BATCH_OPENED = "batch_opened"
    SHEET_KEYED = "sheet_keyed"
    SHEET_CHECKED = "sheet_checked"
    DISAGREEMENT_RESOLVED = "disagreement_resolved"
    BATCH_FINALISED = "batch_finalised"
    ASSISTED_ENTRY = "assisted_entry"
    API_TOKEN_CREATED = "api_token_created"
    API_TOKEN_REVOKED = "api_token_revoked"
    VIEWED_UNREDACTED = "viewed_unredacted"
    EXPORTED = "exported"
    DELETED = "deleted"
    CORRECTED = "corrected"
    SAFEGUARDING_REVIEWED = "safeguarding_reviewed"
    SAFEGUARDING_PERMISSION_CHANGED = "safeguarding_permission_changed"

    @classmethod
    def all(cls) -> list[str]:
        return sorted(v for k, v in vars(cls).items() if k.isupper())


def record(action: str, *, actor: User | None = None, target=None, details: dict | None = None,
           actor_email: str | None = None) -> AuditEvent:
    """Add an event to the current transaction; the caller's commit writes it with the action."""
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor else None,
        actor_email=actor.email if actor else actor_email,
        target_type=type(target).__name__.lower() if target is not None else None,
        target_id=str(target.id) if target is not None else None,
        details=details or {},
    )
    db.session.add(event)
    return event


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    actor_email: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_events(filters: AuditFilter, *, page: int = 1, per_page: int = 50):
    """Newest first. Returns (events, has_more)."""
    query = select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.actor_email:
        query = query.where(AuditEvent.actor_email.ilike(f"%{filters.actor_email.strip()}%"))
    if filters.since:
        query = query.where(AuditEvent.occurred_at >= filters.since)
    if filters.until:
        query = query.where(AuditEvent.occurred_at < filters.until)
    rows = db.session.scalars(query.offset((page - 1) * per_page).limit(per_page + 1)).all()
    return rows[:per_page], len(rows) > per_page
