"""Blueprints, one per audience; each module attaches its access guard where it makes `bp`."""

from collections.abc import Callable

from flask import Blueprint, Flask


def access_guard(func: Callable) -> Callable:
    """Mark a before_request function as a blueprint's access rule (checked by a test)."""
    func.is_access_guard = True
    return func


@access_guard
def allow_anonymous() -> None:
    """The public pages: anyone may answer a survey, and nobody signs in to do so."""
    return None


def register_views(app: Flask) -> None:
    from . import health, survey

    blueprints: list[Blueprint] = [survey.bp, health.bp]
    for bp in blueprints:
        app.register_blueprint(bp)
