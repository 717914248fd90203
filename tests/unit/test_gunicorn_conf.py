"""The shipped gunicorn settings keep client addresses out of the access log."""

import runpy
from pathlib import Path

SETTINGS = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))


def test_access_log_leaves_out_the_client_address_and_query_string():
    log_format = SETTINGS["access_log_format"]
    for field in ("%(h)s", "%({x-forwarded-for}i)s", "%(r)s", "%(q)s"):
        assert field not in log_format
    assert "%(U)s" in log_format  # the path without its query string


def test_timeout_is_shorter_than_twilios_webhook_wait():
    assert SETTINGS["timeout"] < 15
