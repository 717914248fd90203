"""Configuration: safe defaults for development, nothing defaulted in production."""

import pytest

from feedback.config import DevelopmentConfig, ProductionConfig, _database_url


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL"])
def test_production_refuses_to_start_when_a_setting_is_missing(monkeypatch, missing):
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.setenv(name, "x://set")
    monkeypatch.setenv(missing, "")
    with pytest.raises(RuntimeError, match=missing):
        ProductionConfig()


def test_production_uses_redis_for_rate_limits_and_secure_cookies(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgres://db.example/feedback")
    monkeypatch.setenv("REDIS_URL", "redis://cache.example:6379/0")
    config = ProductionConfig()
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://db.example/feedback"
    assert config.RATELIMIT_STORAGE_URI == "redis://cache.example:6379/0"
    assert config.SESSION_COOKIE_SECURE is True
    assert config.PERIODIC_JOBS_IN_PROCESS is False


def test_development_needs_no_settings(monkeypatch, tmp_path):
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("feedback.config.INSTANCE_DIR", tmp_path)
    config = DevelopmentConfig()
    assert config.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")
    assert config.REDIS_URL is None
    assert len(config.SECRET_KEY) > 40
    assert DevelopmentConfig().SECRET_KEY == config.SECRET_KEY  # kept, not regenerated


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_name_the_driver(given, expected):
    assert _database_url(given) == expected


def test_behind_a_trusted_proxy_the_client_address_comes_from_x_forwarded_for():
    from flask import request

    from feedback import create_app
    from feedback.config import TestConfig

    for proxies, expected in ((0, "127.0.0.1"), (1, "203.0.113.9")):
        config = TestConfig()
        config.TRUSTED_PROXY_COUNT = proxies
        app = create_app(config)
        seen = {}

        @app.get("/__address")
        def address(seen=seen):
            seen["address"] = request.remote_addr
            return ""

        app.test_client().get("/__address", headers={"X-Forwarded-For": "203.0.113.9"},
                              environ_base={"REMOTE_ADDR": "127.0.0.1"})
        assert seen["address"] == expected
