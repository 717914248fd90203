"""flask users: the first administrator, and invitations from the command line."""

from sqlalchemy import select

from feedback.extensions import db as _db
from feedback.models import User
from tests.factories import create_service


def test_create_admin_makes_an_administrator_who_must_enrol_a_second_factor(runner):
    result = runner.invoke(args=["users", "create-admin", "--email", "First@NHS.test",
                                 "--name", "First Admin"],
                           input="violet tractor lantern\nviolet tractor lantern\n")
    assert result.exit_code == 0, result.output
    user = _db.session.scalar(select(User).where(User.email == "first@nhs.test"))
    assert user.role == "admin" and user.totp_confirmed_at is None


def test_create_admin_refuses_a_weak_password(runner):
    result = runner.invoke(args=["users", "create-admin", "--email", "a@nhs.test",
                                 "--name", "A"], input="password1234\npassword1234\n")
    assert result.exit_code != 0
    assert "too easy to guess" in result.output


def test_invite_prints_a_one_time_link(runner):
    service = create_service()
    result = runner.invoke(args=["users", "invite", "--email", "lead@nhs.test", "--name", "Lee",
                                 "--role", "service_lead", "--service", service.slug])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:5000/invitations/" in result.output
    user = _db.session.scalar(select(User).where(User.email == "lead@nhs.test"))
    assert [s.slug for s in user.services] == [service.slug]


def test_invite_names_an_unknown_service(runner):
    result = runner.invoke(args=["users", "invite", "--email", "x@nhs.test", "--name", "X",
                                 "--role", "service_lead", "--service", "nope"])
    assert result.exit_code != 0 and "Unknown service: nope" in result.output
