"""Configuration read from the environment, with safe defaults for a developer's machine."""
import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _env_bool(name, default=False):
    """Read a yes/no setting from the environment."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _dev_secret_key():
    """Return the development secret kept in instance/, creating it on first use."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def database_url(url):
    """Normalise a database URL so that PostgreSQL always goes through psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    """Settings shared by every environment; each value can be overridden from the environment."""

    ENV_NAME = "development"
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'portal.sqlite3'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session, so a slow typist loses nothing

    SESSION_COOKIE_NAME = "portal_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    SESSION_IDLE_TIMEOUT = timedelta(minutes=int(os.environ.get("SESSION_IDLE_MINUTES", "30")))
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12")))
    PERMANENT_SESSION_LIFETIME = SESSION_ABSOLUTE_TIMEOUT
    REMEMBER_COOKIE_HTTPONLY = True

    PASSWORD_HASH_METHOD = "scrypt"
    PASSWORD_MIN_LENGTH = 10
    LOGIN_ATTEMPTS_PER_ACCOUNT = os.environ.get("LOGIN_ATTEMPTS_PER_ACCOUNT", "5 per minute")
    LOGIN_ATTEMPTS_PER_IP = os.environ.get("LOGIN_ATTEMPTS_PER_IP", "30 per minute")
    TWO_FACTOR_ISSUER = os.environ.get("TWO_FACTOR_ISSUER", "Cổng tương tác")

    REDIS_URL = os.environ.get("REDIS_URL")
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = False

    DUE_WORKING_DAYS = int(os.environ.get("DUE_WORKING_DAYS", "10"))
    DUE_SOON_WORKING_DAYS = 2
    ASK_LIMIT_PER_IP = os.environ.get("ASK_LIMIT_PER_IP", "3 per hour")
    ASK_LIMIT_PER_CONTACT = os.environ.get("ASK_LIMIT_PER_CONTACT", "5 per day")
    TRACK_LIMIT_PER_IP = os.environ.get("TRACK_LIMIT_PER_IP", "20 per minute")
    # A live dialogue draws many people at once, often behind one office or café address: looser per address.
    DIALOGUE_ASK_LIMIT_PER_IP = os.environ.get("DIALOGUE_ASK_LIMIT_PER_IP", "10 per hour")
    DIALOGUE_ASK_LIMIT_PER_CONTACT = os.environ.get("DIALOGUE_ASK_LIMIT_PER_CONTACT", "5 per day")
    DIALOGUE_VOTE_LIMIT_PER_IP = os.environ.get("DIALOGUE_VOTE_LIMIT_PER_IP", "120 per minute")
    UPLOAD_DIR = Path(os.environ.get("UPLOAD_DIR", INSTANCE_DIR / "uploads"))
    ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
    ATTACHMENT_MAX_COUNT = 3

    DIALOGUE_STREAM_HOSTS = tuple(os.environ.get(
        "DIALOGUE_STREAM_HOSTS", "youtube.com,www.youtube.com,m.youtube.com,youtu.be").split(","))
    DIALOGUE_COVER_MAX_BYTES = 2 * 1024 * 1024

    # The satisfaction survey after each completed dossier.
    SURVEY_SCALE = int(os.environ.get("SURVEY_SCALE", "3"))  # 3 or 5 levels of overall satisfaction
    SURVEY_DETAILS_MINUTES = int(os.environ.get("SURVEY_DETAILS_MINUTES", "120"))  # to add criteria and a comment
    SURVEY_MIN_SAMPLE = int(os.environ.get("SURVEY_MIN_SAMPLE", "30"))  # responses before an agency is ranked
    SURVEY_TARGETS = ((2025, 90.0), (2030, 95.0))  # share satisfied, per cent (Decision 766/QĐ-TTg)
    SURVEY_LOOKUP_LIMIT_PER_IP = os.environ.get("SURVEY_LOOKUP_LIMIT_PER_IP", "10 per minute")
    SURVEY_TOKEN_LIMIT_PER_IP = os.environ.get("SURVEY_TOKEN_LIMIT_PER_IP", "60 per minute")
    COUNTER_SHOW_MINUTES = int(os.environ.get("COUNTER_SHOW_MINUTES", "10"))  # a handed-over dossier on the tablet
    API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", str(2 * 1024 * 1024)))
    API_BATCH_MAX = 1000
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600 per minute")  # per key

    SEND_FILE_MAX_AGE_DEFAULT = timedelta(days=365)
    PORTAL_NAME = os.environ.get("PORTAL_NAME", "Cổng tương tác")
    PORTAL_URL = os.environ.get("PORTAL_URL", "http://127.0.0.1:5000")  # for links in e-mail sent from the CLI
    PROVINCE_NAME = os.environ.get("PROVINCE_NAME", "tỉnh Gia Lai")

    # Outgoing e-mail. Without MAIL_SERVER (development) messages are written to the log and marked sent.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)  # STARTTLS after connecting
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)  # TLS from the first byte (usually port 465)
    MAIL_FROM = os.environ.get("MAIL_FROM", "Cổng tương tác <no-reply@localhost>")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))  # seconds per connection and command

    def __init__(self):
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or _dev_secret_key()


class ProductionConfig(Config):
    """Production: secure cookies, a secret that must come from the environment, shared rate limits."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    def __init__(self):
        secret = os.environ.get("SECRET_KEY")
        if not secret or len(secret) < 32:
            raise RuntimeError("SECRET_KEY must be set (at least 32 characters) in production.")
        self.SECRET_KEY = secret


def load_config():
    """Pick the configuration class named by APP_ENV."""
    if os.environ.get("APP_ENV", "development") == "production":
        return ProductionConfig()
    return Config()
