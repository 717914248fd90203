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
