"""Fixtures shared by every test folder: the app on a migrated database, clients, pages."""

import os
import secrets
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from bs4 import BeautifulSoup
from flask import g
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import delete

from feedback import create_app
from feedback.config import TestConfig
from feedback.extensions import db as _db
from feedback.services.question_bank import sync_question_bank

# Tables whose rows are kept between tests: set up once per session, or (the audit log)
# append-only by database trigger. Tests find their own audit events with `new_audit_events`.
KEPT_TABLES = {"alembic_version", "questions", "audit_events"}


def _postgres_database(admin_url: str):
    """Create a fresh database beside the one named, for this session only."""
    name = f"feedback_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(admin)
    return name, admin, urlunsplit(parts._replace(path=f"/{name}"))


def _drop_postgres_database(admin: str, name: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith("postgres"):
        # No skip: a missing PostgreSQL must fail the run.
        name, admin, test_url = _postgres_database(url)
        yield test_url
        _drop_postgres_database(admin, name)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(database_url):
    app = create_app(TestConfig(database_url=database_url))
    with app.app_context():
        # The schema comes from the migrations, as in production; never create_all().
        upgrade()
        sync_question_bank()
        _db.session.remove()
    return app


@pytest.fixture
def db(app):
    """The database, emptied of everything but the question bank after each test."""
    with app.app_context():
        yield _db
        _db.session.rollback()
        for table in reversed(_db.metadata.sorted_tables):
            if table.name not in KEPT_TABLES:
                _db.session.execute(delete(table))
        _db.session.commit()
        _db.session.remove()


@pytest.fixture
def second_app(app, db, monkeypatch):
    """Build another app on the same database with a changed config (e.g. limits switched on).

    The rate limiter is one object: binding it to a second app switches it for the first
    too, so its state is put back after the test.
    """
    from feedback.extensions import limiter

    monkeypatch.setattr(limiter, "enabled", limiter.enabled)

    def build(config_class):
        return create_app(config_class(database_url=app.config["SQLALCHEMY_DATABASE_URI"]))

    return build


@pytest.fixture
def new_audit_events(db):
    """A function listing the audit events recorded since the test began, oldest first."""
    from sqlalchemy import func, select

    from feedback.models import AuditEvent

    start = db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))

    def events(action: str | None = None) -> list:
        query = select(AuditEvent).where(AuditEvent.id > start).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return list(db.session.scalars(query))

    return events


class FreshRequestClient(FlaskClient):
    """Each request starts as a new one would, though the test's app context stays pushed.

    Flask reuses an app context that is already pushed, so without this `g` (which holds
    the signed-in user and the CSRF token) would leak from one request into the next.
    """

    def open(self, *args, **kwargs):
        for name in list(g):
            g.pop(name)
        _db.session.expire_all()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app, db):
    app.test_client_class = FreshRequestClient
    return app.test_client()


@pytest.fixture
def runner(app, db):
    return app.test_cli_runner()


def sign_in_as(client, user) -> None:
    """Put a signed-in session in the client's cookie, as the sign-in pages would (None: out)."""
    with client.session_transaction() as session:
        session.clear()
        if user is not None:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
            session["staff_last_seen"] = time.time()


def parse(response, status: int = 200) -> BeautifulSoup:
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture
def page():
    """`page(response, status)` asserts the status and returns the parsed HTML."""
    return parse
