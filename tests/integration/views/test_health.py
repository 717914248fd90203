"""/health reports the database and, when configured, Redis."""

import pytest
from sqlalchemy.exc import OperationalError

from feedback.extensions import db as _db


def test_health_is_ok_when_the_database_answers(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["jobs"] == "in-process"
    assert "redis" not in body["checks"]


def test_health_is_503_when_the_database_fails(client, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(_db.session, "execute", broken)
    response = client.get("/health")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"]["status"] == "unavailable"
    assert "Health check failed" in caplog.text


class _DeadRedis:
    def ping(self):
        raise ConnectionError("redis is down")


class _LiveRedis:
    def ping(self):
        return True


@pytest.mark.parametrize(("redis", "status"), [(_LiveRedis(), 200), (_DeadRedis(), 503)])
def test_health_checks_redis_when_it_is_configured(client, app, monkeypatch, redis, status):
    monkeypatch.setitem(app.extensions, "feedback.redis", redis)
    response = client.get("/health")
    assert response.status_code == status
    assert response.get_json()["jobs"] == "rq"
    assert "redis" in response.get_json()["checks"]


def test_health_is_not_cached(client):
    assert client.get("/health").headers["Cache-Control"] == "no-store"
