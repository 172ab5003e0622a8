"""Settings, read from the environment (one file, as in healthchecks and cookiecutter-django).

GRIDLIGHT_MODE=demo (default) runs with an SQLite file in the data folder and generated secrets;
GRIDLIGHT_MODE=production requires SECRET_KEY, FIELD_ENCRYPTION_KEY and ALLOWED_HOSTS and turns on
secure cookies and HSTS. DATABASE_URL selects PostgreSQL (``postgres://user@host:5432/name``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


MODE = env("GRIDLIGHT_MODE", "demo")
if MODE not in {"demo", "production"}:
    raise ImproperlyConfigured("GRIDLIGHT_MODE must be 'demo' or 'production'")
PRODUCTION = MODE == "production"
# A source checkout keeps its data beside the code; an installed package in the working directory.
_default_data = REPO_DIR / "data" if (REPO_DIR / "pyproject.toml").exists() else Path.cwd() / "data"
DATA_DIR = Path(env("GRIDLIGHT_DATA_DIR", str(_default_data))).resolve()


def _demo_secret(filename: str) -> str:
    """A per-installation secret kept in the data folder, generated on first use (demo only)."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / filename
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48), encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()


def _secret(name: str, filename: str) -> str:
    value = env(name)
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set when GRIDLIGHT_MODE=production")
    return _demo_secret(filename)


SECRET_KEY = _secret("SECRET_KEY", "secret_key")
# Key for personal data encrypted at rest (ID-card and phone numbers) and their blind index.
FIELD_ENCRYPTION_KEY = _secret("FIELD_ENCRYPTION_KEY", "field_key")
DEBUG = env_bool("GRIDLIGHT_DEBUG", False)

_default_hosts = "" if PRODUCTION else "127.0.0.1,localhost,[::1],testserver"
ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", _default_hosts).split(",") if h.strip()]
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when GRIDLIGHT_MODE=production")
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("CSRF_TRUSTED_ORIGINS").split(",") if o.strip()]
# Addresses of reverse proxies whose X-Forwarded-For/-Proto headers waitress may believe.
TRUSTED_PROXY = env("TRUSTED_PROXY")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "gridlight.core",
    "gridlight.rules",
    "gridlight.households",
    "gridlight.tickets",
    "gridlight.talent",
    "gridlight.policies",
    "gridlight.evaluation",
    "gridlight.development",
    "gridlight.dashboard",
    "gridlight.demo",
    "gridlight.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "gridlight.core.middleware.security_headers",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gridlight.core.middleware.ChineseFirstLocaleMiddleware",
    # After the language is chosen (its message is translated), before anything reads the body.
    "gridlight.core.middleware.refuse_nul",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gridlight.core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "gridlight.urls"
WSGI_APPLICATION = "gridlight.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "gridlight.context_processors.shell",
            ],
        },
    }
]

_sqlite_path = DATA_DIR / "gridlight.sqlite3"
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(_sqlite_path),
            "OPTIONS": {
                # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at
                # BEGIN so two writers queue instead of failing with "database is locked" mid-way.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                " PRAGMA busy_timeout=10000;",
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Lockout: this many failed logins in a row lock the account for LOGIN_LOCKOUT_MINUTES.
LOGIN_MAX_FAILURES = int(env("LOGIN_MAX_FAILURES", "5"))
LOGIN_LOCKOUT_MINUTES = int(env("LOGIN_LOCKOUT_MINUTES", "15"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# Production collects static files here (``gridlight collectstatic``); the demo reads them in place.
STATIC_ROOT = Path(env("STATIC_ROOT", str(DATA_DIR / "static"))) if PRODUCTION else None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# The demo serves static files straight from the package, so it needs no collectstatic step.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# Sessions and CSRF: HTTP-only cookies, same-site, secure over HTTPS in production.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(env("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Uploads: spreadsheets are read from memory or a temporary file; cap the size.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
IMPORT_MAX_BYTES = int(env("IMPORT_MAX_BYTES", str(200 * 1024 * 1024)))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}

# Background jobs run in a thread of the web process; eager runs them inline (tests, consoles).
GRIDLIGHT_JOBS_EAGER = env_bool("GRIDLIGHT_JOBS_EAGER", False)

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500

# Supervision sweeper and notices (docs/tickets-supervision.md). Without a broker (the embedded
# default) `gridlight run_scheduler`, cron with `gridlight sweep_tickets`, or the demo server's
# thread run them, and Celery tasks run inline. With GRIDLIGHT_BROKER_URL (redis://host:6379/0)
# `celery -A gridlight.celery worker` and `celery -A gridlight.celery beat` run them.
GRIDLIGHT_BROKER_URL = env("GRIDLIGHT_BROKER_URL")
CELERY_BROKER_URL = GRIDLIGHT_BROKER_URL or "memory://"
CELERY_RESULT_BACKEND = env("GRIDLIGHT_RESULT_BACKEND", GRIDLIGHT_BROKER_URL) or None
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ALWAYS_EAGER = not GRIDLIGHT_BROKER_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# An unacknowledged task (its worker died) is delivered again after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(env("GRIDLIGHT_BROKER_VISIBILITY_TIMEOUT", "3600"))
}
CELERY_TIMEZONE = TIME_ZONE
GRIDLIGHT_SWEEP_SECONDS = int(env("GRIDLIGHT_SWEEP_SECONDS", "300"))
GRIDLIGHT_SEND_SECONDS = int(env("GRIDLIGHT_SEND_SECONDS", "60"))
# Commissioners are reminded of a policy push neither opened nor applied for after this many
# working days (docs/policies-matching.md).
GRIDLIGHT_PUSH_REMINDER_WORKDAYS = int(env("GRIDLIGHT_PUSH_REMINDER_WORKDAYS", "5"))
# The cockpit's figures are recomputed from the records this often (docs/cockpit.md).
GRIDLIGHT_COCKPIT_SECONDS = int(env("GRIDLIGHT_COCKPIT_SECONDS", "600"))
# The nightly policy matching (a crontab) is added in gridlight/celery.py: importing Celery here
# would make settings depend on it (and, from inside the package, find gridlight/celery.py).
CELERY_BEAT_SCHEDULE = {
    "sweep-tickets": {
        "task": "gridlight.tickets.sweep_tickets",
        "schedule": float(GRIDLIGHT_SWEEP_SECONDS),
    },
    "send-notices": {
        "task": "gridlight.tickets.send_notices",
        "schedule": float(GRIDLIGHT_SEND_SECONDS),
    },
    "expire-exports": {"task": "gridlight.core.expire_exports", "schedule": 3600.0},
    # Key projects' lights and monthly snapshot (idempotent: the same month gives the same rows).
    "recompute-project-lights": {
        "task": "gridlight.development.recompute_project_lights",
        "schedule": 86400.0,
    },
    "refresh-cockpit": {
        "task": "gridlight.dashboard.refresh_cockpit",
        "schedule": float(GRIDLIGHT_COCKPIT_SECONDS),
    },
}
# Open311: anonymous GET of service requests answers a redacted public view (category, status,
# dates, community); off, every read needs an api_key (docs/open311.md).
OPEN311_PUBLIC_READS = env_bool("GRIDLIGHT_OPEN311_PUBLIC_READS", True)
GRIDLIGHT_SMS_GATEWAY = env("GRIDLIGHT_SMS_GATEWAY", "gridlight.tickets.notify.FakeSmsGateway")
