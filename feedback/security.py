"""Staff sign-in state, access guards, inactivity expiry and security headers."""

from datetime import UTC, datetime

from flask import Flask, abort, current_app, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user

from .extensions import login_manager
from .models import Role
from .views import access_guard

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",  # no inline script, ever
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
])
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


def require_roles(*roles: str):
    """A blueprint guard: signed in, and in one of these roles (administrators always are)."""
    allowed = {Role.ADMIN, *roles}

    @access_guard
    def guard():
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role not in allowed:
            abort(403)
        return None

    guard.__name__ = f"require_{'_or_'.join(sorted(allowed))}"
    guard.allowed_roles = frozenset(allowed)
    return guard


def _load_user(session_id: str):
    from .services.users import get_user

    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = get_user(int(user_id))
    # A bumped session version (deactivation, role change) ends every existing session.
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def _now() -> float:
    return datetime.now(UTC).timestamp()


def _expire_idle_staff_sessions():
    # Static files never touch the session, so shared caches may keep them (no Vary: Cookie).
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    idle_limit = current_app.config["STAFF_IDLE_TIMEOUT"].total_seconds()
    last_seen = session.get("staff_last_seen", 0)
    if _now() - last_seen > idle_limit:
        from .services.users import record_sign_out

        user = current_user._get_current_object()
        logout_user()
        session.clear()
        record_sign_out(user, expired=True)
        return redirect(url_for("auth.sign_in", expired=1))
    session["staff_last_seen"] = _now()
    return None


def _add_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config["HSTS_ENABLED"]:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint != "static" and current_user.is_authenticated:
        # Staff pages can show personal data: keep them out of every cache.
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = _l("Sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user)
    app.before_request(_expire_idle_staff_sessions)
    app.after_request(_add_security_headers)
