"""Integration API tokens, one service each and stored only as a hash, and what they may do."""

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..extensions import db
from ..models import ApiToken, Campaign, Service, User, utcnow
from . import audit, campaigns, commit, surveys
from .audit import Actions
from .campaigns import AddReport, CampaignError, RecipientInput

log = logging.getLogger(__name__)
UK = ZoneInfo("Europe/London")
PREFIX = "fbk_"  # says what the secret is, so secret scanners and people can tell
PREFIX_SHOWN = 8  # characters after PREFIX kept in the clear, to tell tokens apart
NAME_MAX_LENGTH = 200  # ApiToken.name's column
CAMPAIGN_NAME_MAX_LENGTH = 200  # Campaign.name's column
# last_used_at is for admins deciding what to revoke; to the minute is enough, and it saves a
# write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenError(ValueError):
    """A token change that cannot be made; `code` says why."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()




def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ApiTokenError("name_required")
    if len(name) > NAME_MAX_LENGTH:
        raise ApiTokenError("name_too_long")
    return name


def list_tokens(service_id: int) -> list[ApiToken]:
    """Tokens in use first, then revoked ones; newest first within each."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.service_id == service_id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(),
                  ApiToken.id.desc())))


def get_token(token_id: int) -> ApiToken | None:
    return db.session.get(ApiToken, token_id)


def _new_token(service_id: int, name: str, created_by: User | None) -> tuple[ApiToken, str]:
    plaintext = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(service_id=service_id, name=name, token_hash=_hash(plaintext),
                     prefix=plaintext[len(PREFIX):len(PREFIX) + PREFIX_SHOWN],
                     created_by_id=created_by.id if created_by else None)
    db.session.add(token)
    db.session.flush()
    return token, plaintext


def _lock_in_use(token: ApiToken) -> None:
    """Lock the token's row, so that two admins at once cannot both rotate or revoke it."""
    db.session.refresh(token, with_for_update=True)
    if token.revoked_at is not None:
        db.session.rollback()
        raise ApiTokenError("revoked")


def _details(token: ApiToken, **extra) -> dict:
    return {"service_id": token.service_id, "name": token.name, "prefix": token.prefix, **extra}


def create_token(service: Service, name: str, created_by: User | None) -> tuple[ApiToken, str]:
    """A new token for the service. Returns it with its plaintext, which is never stored.

    :raise ApiTokenError: name_required or name_too_long.
    """
    token, plaintext = _new_token(service.id, _clean_name(name), created_by)
    audit.record(Actions.API_TOKEN_CREATED, actor=created_by, target=token,
                 details=_details(token))
    commit()
    return token, plaintext


def rotate_token(token: ApiToken, by: User | None) -> tuple[ApiToken, str]:
    """Revoke a token and create its replacement, with the same name, in one transaction.

    :raise ApiTokenError: revoked, when the token was revoked already.
    """
    _lock_in_use(token)
    token.revoked_at = utcnow()
    audit.record(Actions.API_TOKEN_REVOKED, actor=by, target=token,
                 details=_details(token, rotated=True))
    new, plaintext = _new_token(token.service_id, token.name, by)
    audit.record(Actions.API_TOKEN_CREATED, actor=by, target=new,
                 details=_details(new, replaces=token.id))
    commit()
    return new, plaintext


def revoke_token(token: ApiToken, by: User | None) -> None:
    """Stop a token working, at once and for good.

    :raise ApiTokenError: revoked, when the token was revoked already.
    """
    _lock_in_use(token)
    token.revoked_at = utcnow()
    audit.record(Actions.API_TOKEN_REVOKED, actor=by, target=token, details=_details(token))
    commit()


def authenticate(plaintext: str | None, now: datetime | None = None) -> ApiToken | None:
    """The token in use with this plaintext, or None for an unknown or revoked one."""
    if not plaintext or not plaintext.startswith(PREFIX) or len(plaintext) > 200:
        return None
    hashed = _hash(plaintext)
    # Looked up by its hash, so the database compares hashes, never the secret; comparing
    # again in constant time costs nothing.
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hashed))
    if token is None or not hmac.compare_digest(token.token_hash, hashed):
        return None
    if token.revoked_at is not None:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        commit()
    return token


# --- what a token does ------------------------------------------------------------------------


def default_campaign_name(now: datetime | None = None) -> str:
    """One campaign a day for an appointment system that names none, by the UK date."""
    moment = (now or utcnow()).replace(tzinfo=ZoneInfo("UTC")).astimezone(UK)
    return f"Appointment system {moment:%Y-%m-%d}"


def add_recipients(token: ApiToken, *, campaign_name: str | None,
                   rows: list[RecipientInput]) -> tuple[Campaign, AddReport]:
    """Add recipients to the token's service's campaign of that name, then ask for sending.

    The campaign is reused if it exists and invites to the survey open now, and is created if
    not. Everything is saved in one transaction, and sending is asked for after it commits.

    :raise CampaignError: no_open_survey, when the service has no survey open.
    """
    from .. import jobs

    service = token.service
    name = (campaign_name or "").strip()[:CAMPAIGN_NAME_MAX_LENGTH] or default_campaign_name()
    try:
        # One call at a time per service, so two calls on the same morning cannot both create
        # the day's campaign, nor both add the same number to it.
        db.session.execute(select(Service.id).where(Service.id == service.id).with_for_update())
        open_survey = surveys.get_open_survey(service)
        if open_survey is None:
            raise CampaignError("no_open_survey")
        campaign = db.session.scalar(
            select(Campaign).where(Campaign.service_id == service.id, Campaign.name == name,
                                   Campaign.survey_id == open_survey.survey.id)
            .order_by(Campaign.id).limit(1))
        if campaign is None:
            campaign = campaigns.create_campaign(service=service, name=name, created_by=None)
        report = campaigns.add_recipients(campaign, rows)
        token_id, campaign_id = token.id, campaign.id
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
