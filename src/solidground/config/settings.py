"""Django settings, read from the environment (see .env.example for every variable)."""

from __future__ import annotations

import importlib.util
import secrets
import zoneinfo
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from solidground.config.env import (
    env_bool,
    env_choice,
    env_decimal,
    env_int,
    env_list,
    env_str,
)

PACKAGE_DIR = Path(__file__).resolve().parent.parent

# Where the SQLite store, the generated secret key, import rejects and logs live.
DATA_DIR = Path(env_str("SOLIDGROUND_DATA_DIR", str(Path.cwd() / "var"))).expanduser().resolve()

DEBUG = env_bool("SOLIDGROUND_DEBUG", False)
PRODUCTION = env_bool("SOLIDGROUND_PRODUCTION", False)


# How to make a key that passes _check_secret_key, said in every refusal.
_MAKE_A_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(50))"'


def _check_secret_key(key: str) -> str:
    """In production, refuse keys that can be guessed: the key signs sessions and password
    reset links, so a short or patterned one lets an attacker forge a login. The same limits
    as Django's own deploy check (security.W009)."""
    weak = len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure")
    if weak:
        raise ImproperlyConfigured(
            "SOLIDGROUND_SECRET_KEY is too weak for production (it needs at least 50 characters, "
            "at least 5 different ones, and must not start with 'django-insecure'); make one "
            f"with: {_MAKE_A_KEY}"
        )
    return key


def _secret_key() -> str:
    given = env_str("SOLIDGROUND_SECRET_KEY")
    if given:
        return _check_secret_key(given) if PRODUCTION else given
    if PRODUCTION:
        raise ImproperlyConfigured(
            "SOLIDGROUND_PRODUCTION is true but no SOLIDGROUND_SECRET_KEY (or "
            "SOLIDGROUND_SECRET_KEY_FILE) is set; set one so sessions survive a restart "
            f"(make one with: {_MAKE_A_KEY})."
        )
    # A single-user or evaluation install should just work: generate a key once and keep it in
    # the data dir, readable by the owner only, so logins survive restarts.
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key, encoding="utf-8")
    key_file.chmod(0o600)
    return key


if PRODUCTION and DEBUG:
    raise ImproperlyConfigured(
        "SOLIDGROUND_PRODUCTION and SOLIDGROUND_DEBUG are both true; debug pages leak data, "
        "so turn SOLIDGROUND_DEBUG off in production."
    )

SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("SOLIDGROUND_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("SOLIDGROUND_CSRF_TRUSTED_ORIGINS")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("SOLIDGROUND_BEHIND_PROXY", False) else None
)
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Production means HTTPS (the cookies are Secure), so browsers are told to stay on HTTPS for a
# year; 0 turns it off (e.g. while TLS is still being set up). Subdomains are left alone by
# default: the provider's other hosts under the same domain may not all speak HTTPS.
SECURE_HSTS_SECONDS = env_int("SOLIDGROUND_HSTS_SECONDS", 31_536_000) if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SOLIDGROUND_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = False
# Behind a TLS-terminating proxy Django learns of HTTPS from X-Forwarded-Proto; without one,
# `solidground serve` (plain HTTP) warns in production mode, since Secure cookies never come
# back over HTTP and the login fails.
BEHIND_PROXY = env_bool("SOLIDGROUND_BEHIND_PROXY", False)
# Sessions end after this many minutes without a request: a shared or forgotten browser does not
# stay logged in to customer figures for days. Every request renews the cookie (a sliding window).
SESSION_IDLE_MINUTES = env_int("SOLIDGROUND_SESSION_IDLE_MINUTES", 120)
if SESSION_IDLE_MINUTES < 1:
    raise ImproperlyConfigured(
        f"SOLIDGROUND_SESSION_IDLE_MINUTES is {SESSION_IDLE_MINUTES}; it must be at least 1 "
        "(minutes without a request before the login is asked again)."
    )
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
# Largest upload the import page accepts, in megabytes.
IMPORT_MAX_UPLOAD_MB = env_int("SOLIDGROUND_IMPORT_MAX_UPLOAD_MB", 50)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # form fields; files go to FILE_UPLOAD_* below
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "solidground.accounts",
    "solidground.customers",
    "solidground.contracts",
    "solidground.service",
    "solidground.surveys",
    "solidground.insights",
    "solidground.importers",
    "solidground.demo",
    "solidground.reports",
    "solidground.renewals",
    "solidground.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "solidground.web.middleware.SecurityHeadersMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out user name and address is refused before the password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (django-axes): after 5 failed logins for one user name from one address,
# that pair is locked for 15 minutes; a success resets the count. Failures are logged.
AXES_FAILURE_LIMIT = env_int("SOLIDGROUND_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("SOLIDGROUND_LOGIN_LOCKOUT_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = 1 if env_bool("SOLIDGROUND_BEHIND_PROXY", False) else 0
AXES_VERBOSE = False

ROOT_URLCONF = "solidground.config.urls"
WSGI_APPLICATION = "solidground.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The web app's templates first, so that its admin/base_site.html (the admin's
        # stylesheet) wins over the admin's own, which comes earlier in INSTALLED_APPS.
        "DIRS": [PACKAGE_DIR / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "solidground.web.context.product",
            ],
        },
    },
]


def _database() -> dict[str, object]:
    url = env_str("SOLIDGROUND_DATABASE_URL")
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "solidground.sqlite3"),
            # Keep each server thread's connection between requests (as PostgreSQL's below):
            # opening one costs more than a survey click's whole write (PRAGMAs, functions).
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            # WAL lets the web app read while an import or analysis writes; IMMEDIATE
            # transactions avoid "database is locked" upgrades from read to write locks.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    try:
        config = dict(dj_database_url.parse(url, conn_max_age=60))
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"SOLIDGROUND_DATABASE_URL {url!r} is not a database URL "
            "(expected postgresql://user:password@host:5432/name or sqlite:///path)."
        ) from exc
    if config.get("ENGINE") == "django.db.backends.postgresql":
        test_name = env_str("SOLIDGROUND_TEST_DATABASE_NAME")
        if test_name:
            config["TEST"] = {"NAME": test_name}
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:portfolio"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: German and English from the start; locale formats for numbers and dates.
LANGUAGE_CODE = env_choice("SOLIDGROUND_LANGUAGE", "de", ("de", "en"))
LANGUAGES = [("de", "Deutsch"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("SOLIDGROUND_TIME_ZONE", "Europe/Berlin")
if TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured(
        f"SOLIDGROUND_TIME_ZONE {TIME_ZONE!r} is not an IANA time zone such as Europe/Berlin."
    )

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise serves from the package (finders); it only warns when this folder is missing.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("SOLIDGROUND_LOG_LEVEL", "WARNING")},
}

# Product settings.
CURRENCY = env_str("SOLIDGROUND_CURRENCY", "EUR")
# Loaded labour cost per hour (salary and overhead over practical capacity; docs/domain.md).
LOADED_COST_PER_HOUR = env_decimal("SOLIDGROUND_LOADED_COST_PER_HOUR", "62.00")
# How many months the portfolio page and `solidground portfolio` summarise by default.
PORTFOLIO_MONTHS = env_int("SOLIDGROUND_PORTFOLIO_MONTHS", 12)
# The provider as service reviews name it (docs/reports.md): its name on every page, and an
# optional logo (an SVG, PNG or JPEG file) in the head of the first page.
PROVIDER_NAME = env_str("SOLIDGROUND_PROVIDER_NAME", "")
PROVIDER_LOGO = env_str("SOLIDGROUND_PROVIDER_LOGO", "")

# Background tasks
# Imports of larger files run in `solidground worker` (docs/imports-page.md): Django's tasks
# framework with the database-backed queue of django-tasks-db, so there is no broker to run.
# Django 5.2 (the Python 3.11 fallback, docs/decisions/0002) has no django.tasks; the
# django-tasks backport provides the same API there and must be an installed app.
if importlib.util.find_spec("django.tasks") is None:  # pragma: no cover - Django 5.2 only
    INSTALLED_APPS.append("django_tasks")
INSTALLED_APPS.append("django_tasks_db")
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Uploads up to this size (MB) are imported within the request when the user clicks "Run";
# larger ones wait for the worker. 0: every import goes to the worker.
IMPORT_INLINE_MAX_MB = env_int("SOLIDGROUND_IMPORT_INLINE_MAX_MB", 2)
CSRF_FAILURE_VIEW = "solidground.web.views.errors.csrf_failure"  # "form expired", in the layout

# REST API
# /api/v1/ (docs/api.md). "ninja" as an app serves its docs page's Swagger UI from our own
# static files (no CDN, no inline script), which the CSP allows.
INSTALLED_APPS += ["ninja", "solidground.api"]
# Requests per minute and token (a fixed window in Django's cache: per process with the
# default local-memory cache); 0 turns the limit off.
SOLIDGROUND_API_RATE_PER_MINUTE = env_int("SOLIDGROUND_API_RATE_PER_MINUTE", 600)
SOLIDGROUND_API_BATCH_LIMIT = 1000  # records per write request
SOLIDGROUND_API_MAX_BODY_BYTES = 10 * 1024 * 1024  # larger bodies: 413 before they are read
# Django refuses to read bodies over DATA_UPLOAD_MAX_MEMORY_SIZE; API batches may be larger.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(DATA_UPLOAD_MAX_MEMORY_SIZE, SOLIDGROUND_API_MAX_BODY_BYTES)

# Surveys (docs/surveys.md)
# The address customers reach Solidground under: links in survey mails start with it.
PUBLIC_URL = env_str("SOLIDGROUND_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# Days a survey link stays valid; answers to the public pages per address and minute (0: off).
SURVEY_LINK_DAYS = env_int("SOLIDGROUND_SURVEY_LINK_DAYS", 30)
SURVEY_RATE_PER_MINUTE = env_int("SOLIDGROUND_SURVEY_RATE_PER_MINUTE", 30)
# The mail server survey mails go through (Django's SMTP backend; MAILERS, Django 6.1).
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": env_str("SOLIDGROUND_EMAIL_HOST", "localhost"),
            "port": env_int("SOLIDGROUND_EMAIL_PORT", 25),
            "username": env_str("SOLIDGROUND_EMAIL_USER"),
            "password": env_str("SOLIDGROUND_EMAIL_PASSWORD"),
            "use_tls": env_bool("SOLIDGROUND_EMAIL_STARTTLS", False),
            "use_ssl": env_bool("SOLIDGROUND_EMAIL_SSL", False),
            "timeout": 20,
        },
    }
}
DEFAULT_FROM_EMAIL = env_str("SOLIDGROUND_EMAIL_FROM", "solidground@localhost")
