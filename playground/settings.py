"""Settings for the async playground.

Embedded defaults serve one classroom from one machine: SQLite, the in-memory
channel layer, runs executed in-process, and the demo API started beside the
server. Every default can be replaced from the environment:

    PLAYGROUND_SECRET_KEY      secret key (required when PLAYGROUND_DEBUG=0)
    PLAYGROUND_DEBUG           1 (default) or 0
    PLAYGROUND_ALLOWED_HOSTS   comma-separated host names
    DATABASE_URL               e.g. postgres://user:pass@host/db (default: SQLite file)
    PLAYGROUND_DB              path of the SQLite file (default: ./db.sqlite3)
    REDIS_URL                  e.g. redis://127.0.0.1:6379/0 -> channels_redis layer
    PLAYGROUND_DEMO_API_URL    use a demo API that is already running
    PLAYGROUND_RUNS_KEEP_DAYS  days `manage.py prune_runs` keeps finished runs (default 30)
"""

import json
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


DEBUG = _env_bool("PLAYGROUND_DEBUG", True)
SECRET_KEY = os.environ.get("PLAYGROUND_SECRET_KEY") or ("dev-only-insecure-key-change-me" if DEBUG else None)
if not SECRET_KEY:
    raise RuntimeError("PLAYGROUND_SECRET_KEY must be set when PLAYGROUND_DEBUG=0")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("PLAYGROUND_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h.strip()
]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "channels",
    "playground.runs",
    "playground.demoapi",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "playground.security.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "playground.urls"
ASGI_APPLICATION = "playground.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
            ],
        },
    },
]

if os.environ.get("DATABASE_URL"):
    import dj_database_url

    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("PLAYGROUND_DB", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                # WAL lets page loads read while a run writes its events.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            "TEST": {"NAME": os.environ.get("PLAYGROUND_TEST_DB") or None},
        }
    }

if os.environ.get("REDIS_URL"):
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [os.environ["REDIS_URL"]], "capacity": 1000},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            # Events travel in batches of up to EVENT_BATCH_MAX, so a socket
            # rarely holds more than a handful; the consumer also refills any
            # gap from the database, so a drop would cost time, not events.
            "CONFIG": {"capacity": 1000},
        }
    }

SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
SESSION_COOKIE_HTTPONLY = True

if not DEBUG:
    # Production (docs: README "Moving beyond one machine"): served behind TLS.
    SECURE_SSL_REDIRECT = _env_bool("PLAYGROUND_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = _env_int("PLAYGROUND_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = [f"https://{h}" for h in ALLOWED_HOSTS if not h.startswith("[")]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024  # a run spec is a few hundred bytes

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# Real targets a teacher allows besides the demo API, as JSON, e.g.
#   PLAYGROUND_TARGETS='[{"name": "httpbin", "url": "http://127.0.0.1:8080/get"}]'
# Optional "addresses" pins what the host may resolve to (default: resolved once at start).
PLAYGROUND_TARGETS = json.loads(os.environ.get("PLAYGROUND_TARGETS") or "[]")

# --- The playground's own limits -------------------------------------------
DEMO_API_URL = os.environ.get("PLAYGROUND_DEMO_API_URL", "")
# Each limit carries its reason; the form shows them and the API enforces them.
MAX_REQUESTS = 10_000  # beyond this a browser cannot show one bar per request
MAX_LATENCY_MS = 30_000  # a lesson is about seconds, not minutes
MAX_RUN_SECONDS = 120  # a run still going after this is cancelled and recorded so
REQUEST_TIMEOUT_S = 60  # safety net for every request when a strategy sets none
# aiohttp's TCPConnector defaults to 100 connections and would quietly bound
# `gather`; the playground states its own limit, high enough never to bind
# below MAX_REQUESTS.
CLIENT_CONNECTION_LIMIT = MAX_REQUESTS
# Caps on runs in flight; a run beyond them is refused with a message, never half-started.
MAX_RUNS_PER_VISITOR = _env_int("PLAYGROUND_MAX_RUNS_PER_VISITOR", 3)  # compare side by side, not flood
MAX_RUNS_IN_FLIGHT = _env_int("PLAYGROUND_MAX_RUNS_IN_FLIGHT", 60)  # two per learner in a class of thirty
# Requests in flight across all runs: one process does roughly 1,000-1,500 requests a
# second of client work (bench/load.py), so more at once only stretches every timeline.
MAX_REQUESTS_IN_FLIGHT = _env_int("PLAYGROUND_MAX_REQUESTS_IN_FLIGHT", 12_000)
EVENT_FLUSH_INTERVAL_S = 0.05  # events reach the browser in batches every 50 ms
EVENT_BATCH_MAX = 500  # events in one channel-layer message / websocket frame
# Finished runs (and their events) `manage.py prune_runs` keeps: a term's runs stay to be
# looked at again, older ones only fill the disk. Pruning happens only when that command runs.
RUNS_KEEP_DAYS = _env_int("PLAYGROUND_RUNS_KEEP_DAYS", 30)
