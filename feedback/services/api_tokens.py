"""Integration API tokens: one service each, stored only as a hash, created, rotated, revoked."""

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import ApiToken, Service, User, utcnow
from . import audit, commit
from .audit import Actions

log = logging.getLogger(__name__)
PREFIX = "fbk_"  # says what the secret is, so secret scanners and people can tell
PREFIX_SHOWN = 8  # characters after PREFIX kept in the clear, to tell tokens apart
NAME_MAX_LENGTH = 200  # ApiToken.name's column
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
