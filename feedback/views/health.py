"""/health: is the database reachable, and Redis when one is configured."""

import logging
import time

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from ..extensions import csrf, db
from ..jobs import get_redis
from . import allow_anonymous

bp = Blueprint("health", __name__)
bp.before_request(allow_anonymous)
csrf.exempt(bp)
log = logging.getLogger(__name__)


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        check()
        status = "ok"
    except Exception as error:  # any failure means unhealthy; the log says which
        log.warning("Health check failed: %s", error.__class__.__name__)
        status = "unavailable"
    return {"status": status, "ms": round((time.perf_counter() - started) * 1000, 1)}


@bp.get("/health")
def health():
    checks = {"database": _timed(lambda: db.session.execute(text("SELECT 1")))}
    db.session.rollback()
    redis = get_redis()
    if redis is not None:
        checks["redis"] = _timed(redis.ping)
    healthy = all(c["status"] == "ok" for c in checks.values())
    body = {
        "status": "ok" if healthy else "unavailable",
        "checks": checks,
        "jobs": "rq" if redis is not None else "in-process",
        "environment": "testing" if current_app.testing else None,
    }
    response = jsonify({k: v for k, v in body.items() if v is not None})
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
