"""Django settings, read from the environment (see README "Configuration")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url

from tierdesk.conf.env import (
    ConfigurationError,
    env_bool,
    env_int,
    env_list,
    env_str,
    env_time_zone,
    persistent_secret,
)

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("TIERDESK_DATA_DIR", "./var") or "./var").resolve()

DEBUG = env_bool("TIERDESK_DEBUG", False)
SECRET_KEY = persistent_secret("TIERDESK_SECRET_KEY", DATA_DIR, "secret_key")
AUDIT_KEY = persistent_secret("TIERDESK_AUDIT_KEY", DATA_DIR, "audit_key")
ALLOWED_HOSTS = env_list(
    "TIERDESK_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("TIERDESK_CSRF_TRUSTED_ORIGINS", [])
BASE_URL = (env_str("TIERDESK_BASE_URL", "http://127.0.0.1:8000") or "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "tierdesk.accounts",
    "tierdesk.org",
    "tierdesk.audit",
    "tierdesk.slas",
    "tierdesk.tickets",
    "tierdesk.routing",
    "tierdesk.escalations",
    "tierdesk.scheduler",
    "tierdesk.notifications",
    "tierdesk.intake_email",
    "tierdesk.phone",
    "tierdesk.portal",
    "tierdesk.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "tierdesk.org.middleware.PinPoliciesMiddleware",
]

ROOT_URLCONF = "tierdesk.urls"
WSGI_APPLICATION = "tierdesk.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database() -> dict[str, Any]:
    url = env_str("DATABASE_URL")
    if url is None:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{DATA_DIR / 'tierdesk.sqlite3'}"
    try:
        # Persistent connections, checked before reuse: opening one per request cost more CPU
        # than the bare-Django floor's whole request, and on SQLite the last connection to
        # close after a write checkpoints and deletes the WAL (12 ms) on every request.
        config: dict[str, Any] = dict(
            dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        )
    except Exception as exc:
        raise ConfigurationError(f"DATABASE_URL: cannot parse {url!r}: {exc}") from exc
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Django's backend with writers queued on a file lock (see tierdesk.core.sqlite).
        config["ENGINE"] = "tierdesk.core.sqlite"
        config["OPTIONS"] = {
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the busy timeout
            # instead of failing mid-transaction with "database is locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456; "
                # With connections kept open the WAL is never deleted, only rewound after each
                # checkpoint; this shrinks it back once a burst of writes is through. The
                # engine checkpoints in a background thread, not in a request's commit (see
                # tierdesk.core.sqlite.checkpoints).
                "PRAGMA journal_size_limit=67108864"
            ),
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # JIT compilation pays off for long analytical queries; a desk runs short indexed
        # ones, where it added ~10 ms to a 1M-ticket count the planner thought expensive.
        options = config.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
        # Parameters bound by the server, and statements a connection runs repeatedly prepared
        # once: the desk runs the same few dozen statements all day, and parsing and planning
        # them again (psycopg's client-side binding, Django's default) was a third of the
        # database's time per new ticket. A transaction-mode pooler in between needs to keep
        # prepared statements per client (PgBouncer >= 1.21, max_prepared_statements).
        options.setdefault("server_side_binding", True)
        options.setdefault("prepare_threshold", 2)
    else:
        raise ConfigurationError(
            f"DATABASE_URL: unsupported database {config['ENGINE']!r}; use sqlite or postgresql"
        )
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = env_time_zone("TIERDESK_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise wants it even when empty
WHITENOISE_USE_FINDERS = True  # serve straight from the apps' static dirs: no collect step
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_AGE = env_int("TIERDESK_SESSION_SECONDS", 8 * 3600, minimum=60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

# Every page's scripts are files served by tierdesk itself: no inline script, no CDN.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

TASKS = {
    "default": {
        "BACKEND": env_str("TIERDESK_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Relays through TIERDESK_SMTP_URL when set; otherwise one .eml per message in the outbox.
EMAIL_BACKEND = "tierdesk.notifications.backends.OutboxEmailBackend"
DEFAULT_FROM_EMAIL = env_str("TIERDESK_FROM_EMAIL", "helpdesk@example.com")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("TIERDESK_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

TICKET_KEY_PREFIX = "TD"
SCHEDULER_INTERVAL_SECONDS = env_int("TIERDESK_SCHEDULER_INTERVAL", 5, minimum=1)
SCHEDULER_BATCH = env_int("TIERDESK_SCHEDULER_BATCH", 500, minimum=1)
