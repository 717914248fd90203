"""Business logic. Each public function owns its transaction: one commit, rollback on error."""

from collections.abc import Callable

from ..extensions import db

_AFTER_COMMIT = "feedback.after_commit"


def after_commit(job: Callable, *args) -> None:
    """Enqueue `job(*args)` once the current transaction is committed by `commit()`.

    Jobs must never see work that might still roll back; one whose commit fails is dropped.
    """
    db.session.info.setdefault(_AFTER_COMMIT, []).append((job, args))


def commit() -> None:
    """Commit the session, rolling back (and re-raising) if the commit fails; then enqueue the
    jobs that were waiting for it."""
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        db.session.info.pop(_AFTER_COMMIT, None)
        raise
    from ..jobs import enqueue

    for job, args in db.session.info.pop(_AFTER_COMMIT, []):
        enqueue(job, *args)
