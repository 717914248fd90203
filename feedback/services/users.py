"""Staff accounts: invitations, passwords, second factors, roles and deactivation."""

import hashlib
import re
import secrets
from datetime import timedelta

import pyotp
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from ..extensions import db
from ..models import Invitation, RecoveryCode, Role, Service, User, utcnow
from . import audit, commit
from .audit import Actions

MIN_PASSWORD_LENGTH = 12  # NCSC: length over complexity rules
RECOVERY_CODE_COUNT = 10
TOTP_ISSUER = "NHS feedback"
# Checked when no account matches, so a missing account takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password-for-timing")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class UserError(ValueError):
    """A request about an account that cannot be done; `code` says why."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def is_valid_email(email: str) -> bool:
    return len(email) <= 254 and bool(_EMAIL.match(email))


def password_problems(password: str, *, user_inputs: list[str] = ()) -> list[str]:
    """Reasons a password is refused: too short, or common or easily guessed."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return ["too_short"]
    # zxcvbn checks against 30,000 common passwords, names and words, and patterns.
    if zxcvbn(password[:100], user_inputs=list(user_inputs))["score"] < 3:
        return ["guessable"]
    return []


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.is_active.desc(), User.name)))




def create_admin(*, email: str, name: str, password: str) -> User:
    """The first account, from the command line. It enrols a second factor at first sign-in."""
    email = normalise_email(email)
    if not is_valid_email(email):
        raise UserError("invalid_email")
    if get_user_by_email(email):
        raise UserError("email_taken")
    problems = password_problems(password, user_inputs=[email, name])
    if problems:
        raise UserError(problems[0])
    user = User(email=email, name=name.strip(), role=Role.ADMIN,
                password_hash=generate_password_hash(password))
    db.session.add(user)
    db.session.flush()
    audit.record(Actions.INVITED, target=user, details={"role": user.role, "via": "command line"},
                 actor_email="command line")
    commit()
    return user


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_user(*, email: str, name: str, role: str, service_ids: list[int],
                invited_by: User | None, lifetime: timedelta) -> tuple[User, str]:
    """Create an account with no password and a one-time link to set one. Returns the token."""
    email = normalise_email(email)
    if not is_valid_email(email):
        raise UserError("invalid_email")
    if role not in Role.__members__.values():
        raise UserError("invalid_role")
    if get_user_by_email(email):
        raise UserError("email_taken")
    user = User(email=email, name=name.strip(), role=role)
    user.services = _services(service_ids) if role == Role.SERVICE_LEAD else []
    db.session.add(user)
    db.session.flush()
    token = _new_invitation(user, invited_by, lifetime)
    audit.record(Actions.INVITED, actor=invited_by, target=user,
                 actor_email=None if invited_by else "command line",
                 details={"role": role, "services": [s.slug for s in user.services]})
    commit()
    return user, token


def reissue_invitation(user: User, *, invited_by: User, lifetime: timedelta) -> str:
    """A new link for someone whose link expired or was lost; older links stop working."""
    if user.password_hash is not None:
        raise UserError("already_accepted")
    for invitation in db.session.scalars(select(Invitation).where(
            Invitation.user_id == user.id, Invitation.used_at.is_(None))):
        invitation.used_at = utcnow()
    token = _new_invitation(user, invited_by, lifetime)
    audit.record(Actions.INVITED, actor=invited_by, target=user, details={"reissued": True})
    commit()
    return token


def _new_invitation(user: User, invited_by: User | None, lifetime: timedelta) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(Invitation(
        user_id=user.id, token_hash=_hash_token(token), expires_at=utcnow() + lifetime,
        created_by_id=invited_by.id if invited_by else None,
    ))
    return token


def get_invitation(token: str) -> Invitation | None:
    """The invitation behind a link, if it is unused and unexpired."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == _hash_token(token or ""))
    )
    if invitation is None or invitation.used_at or invitation.expires_at < utcnow():
        return None
    if not invitation.user.is_active:
        return None
    return invitation


def accept_invitation(token: str, password: str) -> User:
    invitation = get_invitation(token)
    if invitation is None:
        raise UserError("invalid_invitation")
    user = invitation.user
    problems = password_problems(password, user_inputs=[user.email, user.name])
    if problems:
        raise UserError(problems[0])
    user.password_hash = generate_password_hash(password)
    invitation.used_at = utcnow()
    audit.record(Actions.INVITATION_ACCEPTED, actor=user, target=user)
    commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active account with this email and password, or None (and a failure on record)."""
    user = get_user_by_email(email)
    if user is None or user.password_hash is None:
        check_password_hash(_DUMMY_HASH, password or "")
        user = None
    elif not check_password_hash(user.password_hash, password or ""):
        user = None
    if user is None or not user.is_active:
        audit.record(Actions.SIGN_IN_FAILED, actor_email=normalise_email(email)[:254],
                     details={"reason": "deactivated" if user else "wrong email or password"})
        commit()
        return None
    return user


def record_sign_in(user: User) -> None:
    user.last_signed_in_at = utcnow()
    audit.record(Actions.SIGN_IN, actor=user, target=user)
    commit()


def record_sign_out(user: User, *, expired: bool = False) -> None:
    audit.record(Actions.SESSION_EXPIRED if expired else Actions.SIGN_OUT, actor=user, target=user)
    commit()


# --- second factor --------------------------------------------------------------------------


def start_totp_enrolment(user: User) -> str:
    """The otpauth:// URI for the authenticator app, making an unconfirmed secret if needed.

    The secret stays the same until confirmed, so a reload or a mistyped code does not
    invalidate what the person has already scanned.
    """
    if user.totp_secret is None:
        user.totp_secret = pyotp.random_base32()
        commit()
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def _verify_totp(user: User, code: str) -> bool:
    code = re.sub(r"\s", "", code or "")
    if not user.totp_secret or not code.isdigit():
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now = utcnow().timestamp()
    # One step either side allows for a phone clock that is a little out.
    for offset in (-1, 0, 1):
        step = int(now // totp.interval) + offset
        if secrets.compare_digest(totp.at(step * totp.interval), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False  # already used: a replayed code
            user.totp_last_step = step
            return True
    return False


def confirm_totp_enrolment(user: User, code: str) -> list[str]:
    """Confirm the authenticator with a first code. Returns recovery codes, shown once."""
    if not _verify_totp(user, code):
        audit.record(Actions.SECOND_FACTOR_FAILED, actor=user, target=user,
                     details={"during": "enrolment"})
        commit()
        raise UserError("wrong_code")
    user.totp_confirmed_at = utcnow()
    codes = _new_recovery_codes(user)
    audit.record(Actions.SECOND_FACTOR_ENROLLED, actor=user, target=user)
    commit()
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5)  # 40 bits each, single use, slow to check
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=generate_password_hash(raw)))
    return codes


def verify_second_factor(user: User, code: str) -> bool:
    """A code from the authenticator, or an unused recovery code."""
    if _verify_totp(user, code):
        commit()
        return True
    raw = re.sub(r"[\s-]", "", code or "").lower()
    if len(raw) == 10:
        for recovery in db.session.scalars(select(RecoveryCode).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))):
            if check_password_hash(recovery.code_hash, raw):
                recovery.used_at = utcnow()
                remaining = sum(1 for r in _unused_codes(user)) - 1
                audit.record(Actions.RECOVERY_CODE_USED, actor=user, target=user,
                             details={"remaining": remaining})
                commit()
                return True
    audit.record(Actions.SECOND_FACTOR_FAILED, actor=user, target=user)
    commit()
    return False


def _unused_codes(user: User):
    return db.session.scalars(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))


def running_low_on_recovery_codes(user: User, *, threshold: int = 3) -> int | None:
    """How many recovery codes are left, when the person has had some and few remain."""
    total = len(db.session.scalars(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id)).all())
    remaining = len(list(_unused_codes(user)))
    return remaining if total and remaining <= threshold else None


# --- roles and deactivation -----------------------------------------------------------------


def _services(service_ids: list[int]) -> list[Service]:
    if not service_ids:
        return []
    services = list(db.session.scalars(select(Service).where(Service.id.in_(service_ids))))
    if len(services) != len(set(service_ids)):
        raise UserError("unknown_service")
    return services


def update_access(user: User, *, role: str, service_ids: list[int], changed_by: User,
                  can_review_safeguarding: bool | None = None) -> None:
    """Change a role and, for service leads, their services; a role change ends the person's
    sessions. The safeguarding permission is for administrators and service leads only."""
    if role not in Role.__members__.values():
        raise UserError("invalid_role")
    if user.id == changed_by.id and role != user.role:
        raise UserError("own_role")
    services = _services(service_ids) if role == Role.SERVICE_LEAD else []
    if role != user.role:
        audit.record(Actions.ROLE_CHANGED, actor=changed_by, target=user,
                     details={"from": user.role, "to": role})
        user.role = role
        user.session_version += 1
        if role in (Role.ADMIN, Role.SERVICE_LEAD) and user.totp_confirmed_at is None:
            user.totp_secret = None  # enrols at next sign-in
    old = sorted(s.slug for s in user.services)
    new = sorted(s.slug for s in services)
    if old != new:
        audit.record(Actions.SERVICES_ASSIGNED, actor=changed_by, target=user,
                     details={"from": old, "to": new})
        user.services = services
    if can_review_safeguarding is None:
        can_review_safeguarding = user.can_review_safeguarding
    can_review_safeguarding = can_review_safeguarding and role in (Role.ADMIN, Role.SERVICE_LEAD)
    if can_review_safeguarding != user.can_review_safeguarding:
        audit.record(Actions.SAFEGUARDING_PERMISSION_CHANGED, actor=changed_by, target=user,
                     details={"can_review": can_review_safeguarding})
        user.can_review_safeguarding = can_review_safeguarding
    commit()


def set_active(user: User, *, active: bool, changed_by: User) -> None:
    """Deactivate (ending every session at once) or reactivate an account."""
    if user.id == changed_by.id:
        raise UserError("own_account")
    if user.is_active == active:
        return
    user.is_active = active
    user.session_version += 1
    audit.record(Actions.REACTIVATED if active else Actions.DEACTIVATED,
                 actor=changed_by, target=user)
    commit()
