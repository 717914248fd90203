"""Error pages: translated HTML for people, with the status code machines expect."""

import logging

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

_PAGES = {
    400: (_l("Sorry, there is a problem with what was sent"),
          _l("Go back and try again. If you were part way through the survey, your answers so far "
             "are kept for 24 hours.")),
    404: (_l("Page not found"),
          _l("If you typed the web address, check it is correct. If you pasted the web address, "
             "check you copied the entire address.")),
    405: (_l("Sorry, that cannot be done on this page"),
          _l("Go back to the previous page and use the buttons on it.")),
    413: (_l("Sorry, what you sent was too large"),
          _l("Go back and shorten your answer.")),
    429: (_l("Sorry, there have been too many attempts"),
          _l("Wait a few minutes, then try again.")),
    500: (_l("Sorry, there is a problem with the service"),
          _l("Try again later. Your answers have not been sent.")),
}
_SESSION_EXPIRED = (
    _l("Sorry, your session has expired"),
    _l("For your security, we could not accept that form. Go back, reload the page and try "
       "again."),
)


def _render(status: int, heading, body):
    return render_template("errors/error.html", heading=heading, body=body), status


def register_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        log.warning("CSRF check failed on %s: %s", request.path, error.description)
        return _render(400, *_SESSION_EXPIRED)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.response is not None:  # a view built its own page, such as "survey closed"
            return error.response
        code = error.code or 500
        if code >= 500:
            log.error("HTTP %s on %s", code, request.path)
        heading, body = _PAGES.get(code, _PAGES[400] if code < 500 else _PAGES[500])
        response = _render(code, heading, body)
        if code == 405:
            return response[0], code, {"Allow": ", ".join(error.valid_methods or [])}
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        log.exception("Unhandled error on %s", request.path)
        return _render(500, *_PAGES[500])

    app.register_error_handler(InternalServerError, unexpected_error)
