"""Configuration classes; `FEEDBACK_ENV` picks one, development when unset."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"


def _development_secret_key() -> str:
    """Generate a key once per checkout and keep it in instance/, so sessions survive restarts."""
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        INSTANCE_DIR.mkdir(exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise RuntimeError(f"{name} must be set when FEEDBACK_ENV=production")
    return value


def _database_url(url: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    ENV_NAME = "base"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI = ""
    # Each pooled connection is tested with a cheap round trip before use and replaced if it
    # died, so after PostgreSQL restarts, web processes and workers carry on by themselves
    # rather than fail the first request on each stale connection (tests/faults).
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Reverse proxies in front of the app (0: none). Set to 1 behind one nginx or load balancer.
    TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT") or 0)
    # None means jobs run in-process; a redis:// URL means RQ workers run them.
    REDIS_URL: str | None = None

    # Languages shipped complete. Urdu is written right to left.
    LANGUAGES = ("en", "cy", "pl", "ro", "ur")
    RTL_LANGUAGES = frozenset({"ur"})
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Europe/London"
    BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "translations")

    # Bytes in any request body, read before any view runs: the largest legitimate ones are a
    # campaign CSV (1 MB) and an API call (2 MB). Anything bigger is refused with 413.
    MAX_CONTENT_LENGTH = 3 * 1024 * 1024
    # Characters; long enough for a real complaint, short enough to bound storage and analysis.
    FREE_TEXT_MAX_LENGTH = 5000
    # An unfinished web survey is kept this long, then purged by a periodic job.
    SURVEY_DRAFT_LIFETIME = timedelta(hours=24)
    # Seconds between runs of the draft purge.
    PURGE_DRAFTS_INTERVAL = 15 * 60
    # Seconds between sweeps for responses whose analysis job was lost or failed.
    ANALYSIS_SWEEP_INTERVAL = 5 * 60

    # Anonymous survey posts per client address; counters live only as long as their window.
    SURVEY_POST_RATE_LIMIT = "120 per 10 minutes"
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # When the counters live in Redis and Redis is down, count in each process's memory until
    # it is back. Otherwise every limited post fails with a 500 before the view runs, and a
    # survey that would have been saved (its jobs swept up later) is refused instead.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True

    # Jobs run in the web process when there is no Redis; the periodic ones on a timer.
    PERIODIC_JOBS_IN_PROCESS = True

    # Compress HTML, CSS, JS and SVG for people on slow mobile connections.
    COMPRESS_MIMETYPES = [
        "text/html", "text/css", "application/javascript", "text/javascript",
        "image/svg+xml", "application/json",
    ]
    COMPRESS_ALGORITHM = ["zstd", "br", "gzip"]
    # Static files are sent as streams: the same choice, so a gzip-only client gets gzip.
    COMPRESS_ALGORITHM_STREAMING = ["zstd", "br", "gzip"]
    COMPRESS_MIN_SIZE = 500
    SEND_FILE_MAX_AGE_DEFAULT = timedelta(days=7)

    WTF_CSRF_TIME_LIMIT = None  # the CSRF token lives as long as the session
    # Signed-in staff are signed out after this long without a request.
    STAFF_IDLE_TIMEOUT = timedelta(minutes=30)
    # An invitation link works once, for this long.
    INVITATION_LIFETIME = timedelta(days=3)
    # Sign-in attempts that fail: per account and per client address. Counters expire.
    SIGN_IN_ACCOUNT_LIMIT = "5 per 15 minutes"
    SIGN_IN_ADDRESS_LIMIT = "30 per 15 minutes"
    # Where people reach the service, for links printed by commands (no request to ask).
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    # Calls to the integration API per token.
    API_RATE_LIMIT = "60 per minute"
    # Strict-Transport-Security, only where the service is reached over HTTPS.
    HSTS_ENABLED = False

    # Counts of 1 to 4 are shown as * (NHS England's FFT rule), and figures built on them hidden.
    SUPPRESS_BELOW = 5
    # Comments are quoted only from a group of at least this many (the GP Patient Survey's
    # rule for results, DOMAIN.md), so a quote cannot be tied to one of a few people.
    QUOTE_MIN_GROUP = 10

    # The trust's own sentiment model, written by `flask analysis train` (a skops file). None
    # means <instance path>/sentiment-model.skops; with no file there, the built-in scorer runs.
    SENTIMENT_MODEL_PATH: str | None = os.environ.get("SENTIMENT_MODEL_PATH") or None

    # Retention: days after which a field is blanked. The response stays.
    RETENTION_DAYS = {
        "free_text": 730,  # what people typed, kept two years for reports, then removed
        "phone_numbers": 30,  # after the SMS conversation ends (or the invitation was skipped)
        "sms_bodies": 30,  # the texts themselves; the answers live on in the response
    }

    # SMS. With no Twilio settings, SMS is off. The development default is the local stand-in.
    TWILIO_ACCOUNT_SID: str | None = None
    TWILIO_AUTH_TOKEN: str | None = None
    TWILIO_FROM_NUMBER: str | None = None
    TWILIO_MESSAGING_SERVICE_SID: str | None = None
    # Where the twilio library sends API calls; None is real Twilio.
    TWILIO_API_BASE_URL: str | None = None
    # Key for the keyed hash that identifies a number (opt-outs outlive erasure). Never rotate
    # it: a new key would forget every opt-out.
    PHONE_HASH_KEY: str | None = None
    # Hours an SMS survey waits for the next reply before it expires.
    SMS_CONVERSATION_LIFETIME = timedelta(hours=72)
    # No invitations from 20:00 to 09:00 UK time; they wait until the morning.
    SMS_QUIET_HOURS = (20, 9)
    # Invitations sent per second, at most.
    SMS_SEND_RATE = 1.0
    # Seconds between sweeps that send due invitations, expire conversations and retry.
    SMS_SWEEP_INTERVAL = 60
    # Seconds between retention runs.
    RETENTION_INTERVAL = 24 * 60 * 60
    # An export (CSV, XLSX, PDF, FFT return) can be downloaded for this long after it is made,
    # then its file is deleted: a file of responses should not outlive the need for it.
    EXPORT_LIFETIME = timedelta(hours=24)
    # Seconds between sweeps that delete expired exports and pick up lost or stuck ones.
    EXPORT_SWEEP_INTERVAL = 15 * 60
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    # Seconds a survey session survives without activity.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=24)


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = False  # the debugger stays off unless FLASK_DEBUG=1 is set by hand

    def __init__(self):
        from sms.standin import DEV_ACCOUNT_SID, DEV_AUTH_TOKEN, DEV_PHONE_NUMBER, DEV_PORT

        # The local Twilio stand-in that `make run` starts; real credentials replace it.
        self.TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID") or DEV_ACCOUNT_SID
        self.TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN") or DEV_AUTH_TOKEN
        self.TWILIO_FROM_NUMBER = os.environ.get("TWILIO_FROM_NUMBER") or DEV_PHONE_NUMBER
        self.TWILIO_API_BASE_URL = (
            None if os.environ.get("TWILIO_ACCOUNT_SID")
            else os.environ.get("TWILIO_API_BASE_URL", f"http://127.0.0.1:{DEV_PORT}")
        )
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or _development_secret_key()
        self.SQLALCHEMY_DATABASE_URI = _database_url(
            os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'feedback.sqlite3'}"
        )
        self.REDIS_URL = os.environ.get("REDIS_URL") or None
        if self.REDIS_URL:
            self.RATELIMIT_STORAGE_URI = self.REDIS_URL
        self.PHONE_HASH_KEY = os.environ.get("PHONE_HASH_KEY") or "dev:" + self.SECRET_KEY


class TestConfig(Config):
    __test__ = False  # a config, not a pytest test class
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-use"
    WTF_CSRF_ENABLED = True
    PERIODIC_JOBS_IN_PROCESS = False
    RATELIMIT_ENABLED = False
    SQLALCHEMY_ENGINE_OPTIONS = {}
    # Obviously wrong: a test that sends a text without starting the stand-in fails loudly.
    TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    TWILIO_AUTH_TOKEN = "test-auth-token"
    TWILIO_FROM_NUMBER = "+447700900000"
    TWILIO_API_BASE_URL = "http://127.0.0.1:9"
    PHONE_HASH_KEY = "test-phone-hash-key"
    SMS_SEND_RATE = 1000.0
    # Never a model someone trained on this machine: tests that need one make their own.
    SENTIMENT_MODEL_PATH = "/nonexistent/sentiment-model.skops"

    def __init__(self, database_url: str | None = None):
        self.SQLALCHEMY_DATABASE_URI = _database_url(
            database_url or os.environ.get("TEST_DATABASE_URL") or "sqlite://"
        )


class ProductionConfig(Config):
    ENV_NAME = "production"
    PERIODIC_JOBS_IN_PROCESS = False
    SESSION_COOKIE_SECURE = True
    HSTS_ENABLED = True
    PREFERRED_URL_SCHEME = "https"

    def __init__(self):
        self.SECRET_KEY = _required("SECRET_KEY")
        self.SQLALCHEMY_DATABASE_URI = _database_url(_required("DATABASE_URL"))
        self.REDIS_URL = _required("REDIS_URL")
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL
        # Real Twilio when its settings are there; SMS is off without them.
        self.TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID") or None
        if self.TWILIO_ACCOUNT_SID:
            self.TWILIO_AUTH_TOKEN = _required("TWILIO_AUTH_TOKEN")
            self.TWILIO_FROM_NUMBER = os.environ.get("TWILIO_FROM_NUMBER") or None
            self.TWILIO_MESSAGING_SERVICE_SID = (
                os.environ.get("TWILIO_MESSAGING_SERVICE_SID") or None)
            self.PHONE_HASH_KEY = _required("PHONE_HASH_KEY")
            # Twilio signs the URL it called, so the app must know its public address.
            self.PUBLIC_BASE_URL = _required("PUBLIC_BASE_URL")


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
