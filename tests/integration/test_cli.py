"""Flask CLI commands: the question bank, demo data and translations."""

from sqlalchemy import func, select

from feedback.extensions import db as _db
from feedback.models import (
    Question,
    Response,
    ResponseAnalysis,
    SafeguardingFlag,
    Service,
    User,
)


def test_bank_sync_changes_nothing_when_the_bank_is_loaded(runner):
    result = runner.invoke(args=["bank", "sync"])
    assert result.exit_code == 0
    assert "0 added, 0 revised" in result.output


def test_bank_sync_adds_a_revision_when_a_question_changes(runner, tmp_path, monkeypatch):
    from feedback.services import question_bank

    changed = question_bank.BANK_FILE.read_text().replace(
        "Do you have internet access at home?", "Do you have the internet at home?"
    )
    bank_file = tmp_path / "bank.toml"
    bank_file.write_text(changed)
    counts = question_bank.sync_question_bank(bank_file)
    assert counts["revised"] == 1
    revisions = _db.session.scalars(
        select(Question.revision).where(Question.key == "home_internet")
    ).all()
    assert sorted(revisions) == [1, 2]
    # Put the session's bank back the way the other tests expect it.
    _db.session.execute(Question.__table__.delete().where(Question.revision == 2))
    _db.session.commit()


def test_demo_load_runs_once(runner):
    first = runner.invoke(args=["demo", "load", "--responses", "40"])
    assert first.exit_code == 0, first.output
    # The 40 asked for, and one that may disclose risk, for the safeguarding queue.
    assert "4 services, 41 responses" in first.output
    second = runner.invoke(args=["demo", "load"])
    assert "already loaded" in second.output
    count = _db.session.scalar(select(func.count()).select_from(Response))
    assert count == 41
    # Every response is analysed as it is loaded, and the lead can review the flagged one.
    analysed = _db.session.scalar(select(func.count()).select_from(ResponseAnalysis))
    assert analysed == 41
    flags = _db.session.scalars(select(SafeguardingFlag)).all()
    assert len(flags) == 1 and flags[0].categories == ["abuse_or_neglect"]
    lead = _db.session.scalar(select(User).where(User.email == "lead@demo.invalid"))
    assert lead.can_review_safeguarding
    channels = set(_db.session.scalars(select(Response.channel)))
    assert len(channels) > 1
    assert _db.session.scalar(select(func.count()).select_from(Service)) == 4
    assert "lead@demo.invalid" in first.output


def test_demo_code_is_only_for_demo_accounts(runner):
    from tests.factories import create_user

    runner.invoke(args=["demo", "load", "--responses", "5"])
    code = runner.invoke(args=["demo", "code", "lead@demo.invalid"])
    assert code.exit_code == 0 and code.output.strip().isdigit()
    create_user(email="real@nhs.test", totp_secret="JBSWY3DPEHPK3PXP")
    refused = runner.invoke(args=["demo", "code", "real@nhs.test"])
    assert refused.exit_code != 0


def test_periodic_jobs_can_be_run_once_from_the_command_line(runner):
    result = runner.invoke(args=["jobs", "run-periodic"])
    assert result.exit_code == 0
