"""Plain factory functions for test data."""

from datetime import timedelta

from werkzeug.security import generate_password_hash

from feedback.extensions import db
from feedback.models import User, utcnow
from feedback.services import surveys

PASSWORD = "correct horse battery staple"
# Hashing at full strength makes every sign-in in the suite slow; the format is the same.
_PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")

DEFAULT_QUESTIONS = [
    "fft_rating", "fft_what_was_good", "fft_what_could_improve", "own_device", "age_band",
]


def create_service(*, slug="video-appointments", name="Video appointments",
                   kind="video_consultation", description=None):
    return surveys.create_service(
        slug=slug, name=name, kind=kind,
        description=description or {"en": "Seeing a clinician by video.",
                                     "cy": "Gweld clinigwr drwy fideo."},
    )


def create_survey(*, service=None, question_keys=None, opens_at=None, closes_at=None,
                  languages=("en", "cy", "pl", "ro", "ur")):
    service = service or create_service()
    return surveys.create_survey(
        service_id=service.id,
        name=f"{service.name} feedback",
        languages=list(languages),
        question_keys=list(question_keys or DEFAULT_QUESTIONS),
        opens_at=opens_at or utcnow() - timedelta(days=1),
        closes_at=closes_at,
    )


def question_ids(survey) -> dict[str, int]:
    """{bank key: question id} for the survey's first version."""
    return {sq.question.key: sq.question_id for sq in survey.versions[0].questions}


def create_user(*, email="lead@nhs.test", name="Sam Lead", role="service_lead", services=(),
                password=PASSWORD, active=True, totp_secret=None, confirmed=True):
    """A member of staff who can sign in. With totp_secret, their authenticator is set up."""
    user = User(
        email=email, name=name, role=role, is_active=active,
        password_hash=_PASSWORD_HASH if password == PASSWORD else generate_password_hash(password),
        totp_secret=totp_secret, totp_confirmed_at=utcnow() if totp_secret and confirmed else None,
    )
    user.services = list(services)
    db.session.add(user)
    db.session.commit()
    return user
