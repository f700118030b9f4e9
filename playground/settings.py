"""Settings for the async playground.

Embedded defaults serve one classroom from one machine: SQLite (which also holds
the job queue, django-tasks-db), the in-memory channel layer, runs executed by
worker processes (`manage.py runs_worker`, started by `make run`), and the demo API
started beside the server. Every default can be replaced from the environment:

    PLAYGROUND_SECRET_KEY      secret key (required when PLAYGROUND_DEBUG=0)
    PLAYGROUND_DEBUG           1 (default) or 0
    PLAYGROUND_ALLOWED_HOSTS   comma-separated host names
    DATABASE_URL               e.g. postgres://user:pass@host/db (default: SQLite file)
    PLAYGROUND_DB              path of the SQLite file (default: ./db.sqlite3)
    REDIS_URL                  e.g. redis://127.0.0.1:6379/0 -> channels_redis layer
    PLAYGROUND_DEMO_API_URL    use a demo API that is already running
    PLAYGROUND_RUNS_IN_WEB_PROCESS  1: the web process also executes runs (one process, no workers)
    PLAYGROUND_MAX_RUNS_PER_VISITOR, PLAYGROUND_MAX_RUNS_QUEUED, PLAYGROUND_WORKER_CPU_BUDGET,
    PLAYGROUND_WORKER_MAX_ALONE: see below
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
    "django_tasks",
    "django_tasks_db",
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
            # A socket waits for its next message with a 5 s blocking pop (channels_redis's
            # brpop_timeout); redis-py 8 stops reading after 5 s by default, and losing that
            # race closed quiet sockets with 1011. Reads may take longer than the pop.
            "CONFIG": {"hosts": [{"address": os.environ["REDIS_URL"], "socket_timeout": 15}], "capacity": 1000},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "playground.layers.InMemoryLayer",  # Channels' own, its group_send in one go
            # Events travel in batches of up to EVENT_BATCH_MAX, so a socket
            # rarely holds more than a handful; the consumer also refills any
            # gap from the database, so a drop would cost time, not events.
            "CONFIG": {"capacity": 1000},
        }
    }

# The job engine: django-tasks (the backport of Django 6's django.tasks) with its
# database backend, so the queue lives in the same database as the runs (SQLite by
# default, PostgreSQL by DATABASE_URL). Runs are claimed and executed by
# playground/runs/worker.py (docs/architecture.md says why not db_worker).
RUNS_QUEUE = "runs"
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": [RUNS_QUEUE]}}

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
# A run still going after this is cancelled and recorded so (PLAYGROUND_MAX_RUN_SECONDS: tests shorten it).
MAX_RUN_SECONDS = _env_int("PLAYGROUND_MAX_RUN_SECONDS", 120)
REQUEST_TIMEOUT_S = 60  # safety net for every request when a strategy sets none
# aiohttp's TCPConnector defaults to 100 connections and would quietly bound
# `gather`; the playground states its own limit, high enough never to bind
# below MAX_REQUESTS.
CLIENT_CONNECTION_LIMIT = MAX_REQUESTS
# Admission: a run waits in the queue until a worker has room for it; refusals (429) are
# only for abuse: one learner's pile of runs, or a queue no class could fill.
MAX_RUNS_PER_VISITOR = _env_int("PLAYGROUND_MAX_RUNS_PER_VISITOR", 3)  # queued or running: compare, not flood
MAX_RUNS_QUEUED = _env_int("PLAYGROUND_MAX_RUNS_QUEUED", 500)  # waiting runs, all learners together
# The web process executes runs itself (no worker processes): tests and one-process set-ups.
RUNS_IN_WEB_PROCESS = _env_bool("PLAYGROUND_RUNS_IN_WEB_PROCESS", False)
# A worker runs many runs at once in one event loop, as long as the CPU they need together
# (their measured cost: admission.py) stays under this share of its core, so that no run's
# timeline is stretched by its neighbours. A run that needs the whole budget (bound by CPU)
# runs with nothing beside it; tiny runs (a handful of requests) go to the front of the line.
WORKER_CPU_BUDGET = float(os.environ.get("PLAYGROUND_WORKER_CPU_BUDGET") or 0.8)
# A run needing under 2% of a core is tiny: first in line, and it fits beside any run but one bound by CPU.
WORKER_TINY_LOAD = 0.02
# CPU seconds one request costs a worker (client work, events, storing) before it has
# measured its own: bench/load.py saw about 1.1 ms (a worker's CPU over a class / its requests).
WORKER_CPU_PER_REQUEST_S = 0.001
WORKER_MAX_RUNS = 100  # runs at once in one worker, whatever their cost
# Runs alone (own_process, runs/alone.py) a worker has at once, each a process: a class pressing
# the blocking lesson together forks this many at a time, the rest wait in line, visibly.
WORKER_MAX_ALONE = _env_int("PLAYGROUND_WORKER_MAX_ALONE", 4)
WORKER_POLL_S = 0.05  # how often an idle worker looks for a queued run
WORKER_BUSY_POLL_S = 0.2  # ... and a busy one, for queued runs and for cancels (and when a run ends)
WORKER_SWEEP_S = 2.0  # how often a worker looks for runs whose process died
WORKER_SWITCH_INTERVAL_S = 0.001  # how soon a busy worker's thread hands the interpreter to its event flusher
# Net allocations between the worker's young collections (Python's default: 700). A gather over
# 1,000 grows by more than 100,000 objects while it starts its requests: at 50,000 it paid two
# collections then, 17-52 ms on the way to its last request. At 200,000 it pays none; the garbage runs leave
# is collected when the worker has no run going (worker.py), off every run's time.
WORKER_GC_YOUNG_THRESHOLD = 200_000
# A run alone in its process (alone.py) keeps 50,000: its memory figure is the run's, and
# garbage left waiting for a later collection would count in it.
ALONE_GC_YOUNG_THRESHOLD = 50_000
WORKER_STOP_GRACE_S = 5.0  # on SIGTERM, runs in flight get this long to end before the worker exits
# Without a channel layer that crosses processes (no REDIS_URL), each web process reads
# the events the workers stored, every FEED_INTERVAL_S, for the runs its sockets watch.
FEED_INTERVAL_S = 0.02
QUEUE_REPORT_INTERVAL_S = 0.5  # a queued run's page is told its place this often
# Events reach the browser in batches every 30 ms: with the feed's 20 ms, an event is on
# the page about 60 ms after it happened (bench/load.py: p95 under 100 ms for a class).
EVENT_FLUSH_INTERVAL_S = 0.03
EVENT_BATCH_MAX = 500  # events in one channel-layer message / websocket frame
# Finished runs (and their events) `manage.py prune_runs` keeps: a term's runs stay to be
# looked at again, older ones only fill the disk. Pruning happens only when that command runs.
RUNS_KEEP_DAYS = _env_int("PLAYGROUND_RUNS_KEEP_DAYS", 30)

# --- Classes (playground/classes): a teacher's class, its join code and its roster -----------
INSTALLED_APPS += ["playground.classes"]
# A class lasts a lesson, with room for a double period; then its page and socket answer 410.
CLASS_TTL_HOURS = float(os.environ.get("PLAYGROUND_CLASS_TTL_HOURS") or 4)
CLASS_MAX_LEARNERS = _env_int("PLAYGROUND_CLASS_MAX_LEARNERS", 200)  # a lecture hall; the roster stays readable
# Codes that name no class, looked up from one address in a window (CLASS_LIMIT_WINDOW_S):
# past them, every class lookup from it is refused (429). A script guessing codes is held back;
# a school's learners, all behind one router, join (existing codes are not counted) and may
# mistype a few. Joins into one class are limited too (429 past them), whoever joins.
CLASS_MISSES_PER_ADDRESS = _env_int("PLAYGROUND_CLASS_MISSES_PER_ADDRESS", 60)
CLASS_JOINS_PER_CLASS = _env_int("PLAYGROUND_CLASS_JOINS_PER_CLASS", 2 * CLASS_MAX_LEARNERS)
# The join limits count in Django's cache: this process's memory by default (one Daphne),
# Redis when REDIS_URL is set, so several web processes count together.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The class limits' window: each count (an address's joins, a class's) lasts this long from its
# first attempt. Tests set a long one, so that no count ends in the middle of a test.
CLASS_LIMIT_WINDOW_S = _env_int("PLAYGROUND_CLASS_LIMIT_WINDOW_S", 60)
# Classes started from one address in a window (429 past them): a school's teachers, behind one
# router, start theirs; a script cannot fill the database with classes.
CLASS_CREATES_PER_ADDRESS = _env_int("PLAYGROUND_CLASS_CREATES_PER_ADDRESS", 20)
# Ended classes `manage.py prune_classes` keeps: long enough to look back at a lesson's roster,
# not so long that learners' nicknames pile up term after term.
CLASS_KEEP_DAYS = _env_int("PLAYGROUND_CLASS_KEEP_DAYS", 7)
