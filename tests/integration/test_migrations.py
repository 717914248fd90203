"""Migrations are the only source of the schema, numbered in one line."""

import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from feedback.extensions import db as _db

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def revisions() -> list[tuple[str, str | None]]:
    found = []
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        source = path.read_text()
        revision = re.search(r"^revision = '(\w+)'", source, re.M).group(1)
        down = re.search(r"^down_revision = '?(\w+)'?", source, re.M).group(1)
        found.append((path.name, revision, None if down == "None" else down))
    return found


def test_migrations_are_numbered_in_one_line_with_the_head_recorded():
    found = revisions()
    for index, (name, revision, down) in enumerate(found, start=1):
        assert name.startswith(f"{index:04d}_"), name
        assert revision == f"{index:04d}"
        assert down == (None if index == 1 else f"{index - 1:04d}")
    head = (MIGRATIONS / ".current-alembic-head").read_text().strip()
    assert head == found[-1][1]


def test_models_match_the_migrated_schema(app, db):
    with _db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), _db.metadata)
    assert diff == []


def test_migrations_downgrade_to_nothing_and_upgrade_again(app, db):
    downgrade(revision="base")
    upgrade()
    from feedback.services.question_bank import sync_question_bank

    sync_question_bank()  # the session's bank, dropped with the tables


def test_migrations_keep_existing_responses(app, db):
    """Upgrading a database that already holds feedback keeps every row."""
    from sqlalchemy import text

    downgrade(revision="0001")
    statements = [
        "INSERT INTO services (id, slug, name, description, kind, created_at) "
        "VALUES (90, 'old', 'Old', '{}', 'app', '2026-01-01')",
        "INSERT INTO questions (id, key, revision, kind, module, text, hint, options, created_at)"
        " VALUES (90, 'q', 1, 'yes_no', 'inclusion', '{}', '{}', '[]', '2026-01-01')",
        "INSERT INTO surveys (id, service_id, name, languages, opens_at, created_at) "
        "VALUES (90, 90, 'S', '[]', '2026-01-01', '2026-01-01')",
        "INSERT INTO survey_versions (id, survey_id, number, created_at) "
        "VALUES (90, 90, 1, '2026-01-01')",
        "INSERT INTO responses (id, service_id, survey_version_id, channel, respondent_role, "
        "locale, submitted_at) VALUES (90, 90, 90, 'paper', 'patient', 'en', '2026-01-02')",
        "INSERT INTO response_versions (id, response_id, number, created_at) "
        "VALUES (90, 90, 1, '2026-01-02')",
        "INSERT INTO answers (id, response_version_id, question_id, status, choice) "
        "VALUES (90, 90, 90, 'answered', 'yes')",
    ]
    for statement in statements:
        _db.session.execute(text(statement))
    _db.session.commit()
    upgrade()
    assert _db.session.execute(text("SELECT choice FROM answers WHERE id = 90")).scalar() == "yes"
    assert _db.session.execute(text("SELECT is_complete FROM responses WHERE id = 90")).scalar()
    for table in ("answers", "response_versions", "responses", "survey_versions", "surveys",
                  "questions", "services"):
        _db.session.execute(text(f"DELETE FROM {table} WHERE id = 90"))
    _db.session.commit()
