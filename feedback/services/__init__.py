"""Business logic. Each public function owns its transaction: one commit, rollback on error."""

from ..extensions import db


def commit() -> None:
    """Commit the session, rolling back (and re-raising) if the commit fails."""
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
