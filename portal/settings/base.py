"""Settings shared by every environment; everything that varies comes from the environment.

Every variable read here is listed in README.md ("Configuration").
"""

import os
from pathlib import Path

import dj_database_url
from csp import constants as csp_constants

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "axes",
    "django_cas_ng",  # CAS sign-in's session tickets (courses.sso), installed whether CAS is configured or not
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "portal",  # the task outbox and process heartbeats (portal.models)
    "courses",
    "grading",
]

MIDDLEWARE = [
    # First: when the request reached the portal, before anything reads its body (portal.received).
    "portal.received.ReceivedAtMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "portal.errorpages.FriendlyNotFoundMiddleware",  # the styled 404 page also in debug (no URL list)
    # Before anything reads the body: a Content-Length over the upload limit is refused unread (413).
    "portal.uploads.ContentLengthLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks; the portal's own sign-in views word the lockout (portal.auth).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "courses.context_processors.portal",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# PostgreSQL when DATABASE_URL is set; a local SQLite file for a zero-setup first run.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A threaded server writes from several connections at once. SQLite's default (deferred)
    # transaction fails at once with "database is locked" when it turns from reading to writing while
    # another connection writes; IMMEDIATE takes the write lock at BEGIN and waits for it up to
    # `timeout` seconds, so concurrent writes queue (and a lost race is a 409, as on PostgreSQL). WAL
    # lets readers go on while one connection writes.
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }
# SQLite (the zero-setup default) cannot enforce a NULLS NOT DISTINCT constraint; PostgreSQL does.
SILENCED_SYSTEM_CHECKS = ["models.W047"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "courses.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in lockout by django-axes: its backend refuses a locked sign-in before any password is checked.
# The lockout guards password checks only: single sign-on (courses.sso, used only when configured) neither
# counts as a failure nor is refused by a lock (the university's server guards its own passwords).
AUTHENTICATION_BACKENDS = [
    "portal.auth.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
    "courses.sso.CASBackend",
    "courses.sso.OIDCBackend",
]
PORTAL_LOGIN_FAILURE_LIMIT = int(os.environ.get("PORTAL_LOGIN_FAILURE_LIMIT", "5"))
PORTAL_LOGIN_LOCK_MINUTES = int(os.environ.get("PORTAL_LOGIN_LOCK_MINUTES", "15"))
# How many reverse proxies of ours stand in front of the portal. 0: the socket address is the client and
# X-Forwarded-For is ignored (anyone can send it); n: the n-th X-Forwarded-For entry from the right.
PORTAL_TRUSTED_PROXIES = int(os.environ.get("PORTAL_TRUSTED_PROXIES", "0"))
# A trusted proxy's X-Request-Start older than this is not believed (portal.received).
PORTAL_REQUEST_START_MAX_AGE_SECONDS = int(os.environ.get("PORTAL_REQUEST_START_MAX_AGE_SECONDS", "300"))
# Failures count per username (from any address) and per address (for any username): a fresh or forged
# address buys no more tries, nor does a fresh username.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = "portal.auth.failure_limit"  # PORTAL_LOGIN_FAILURE_LIMIT, read at each sign-in
AXES_COOLOFF_TIME = "portal.auth.lock_time"  # PORTAL_LOGIN_LOCK_MINUTES
AXES_CLIENT_IP_CALLABLE = "portal.auth.client_address"  # PORTAL_TRUSTED_PROXIES
AXES_USERNAME_CALLABLE = "portal.auth.lockout_username"  # case-insensitive, bounded
AXES_LOCKOUT_CALLABLE = "portal.auth.lockout_response"
# Tries during a lock do not extend it: the lock ends when the message says it does.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_DISABLE_ACCESS_LOG = True  # no write on each successful sign-in
AXES_VERBOSE = False  # no banner on every manage.py command; lockouts are still logged
# The database, which every process shares, and which stays up when Redis does not: failures counted in
# the cache were lost (or answered 500) while Redis was down, and the lockout with them (issue 12).
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# Sessions in the database (Django's default, said here because it matters): sign-in must not need Redis.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# API tokens (courses.ApiToken) expire this many days after they are issued.
PORTAL_TOKEN_LIFETIME_DAYS = int(os.environ.get("PORTAL_TOKEN_LIFETIME_DAYS", "30"))
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AXES_WHITELIST_CALLABLE = "portal.signin.is_sso_attempt"  # a CAS ticket or OIDC code is not a password guess

# Single sign-on (courses.sso; README "Single sign-on"). Each is off until its server is named. An account is
# matched by username (the roster's university login), never by e-mail; a new one gets no role.
# CAS (django-cas-ng): the server's base URL, e.g. https://login.gatech.edu/cas/
CAS_SERVER_URL = os.environ.get("PORTAL_CAS_SERVER_URL", "").strip() or None
CAS_VERSION = os.environ.get("PORTAL_CAS_VERSION", "3")
PORTAL_CAS_NAME = os.environ.get("PORTAL_CAS_NAME", "your university")  # "Sign in with <name>"
CAS_CREATE_USER = False  # courses.sso.CASBackend matches or creates the account itself
CAS_LOGIN_MSG = None
CAS_LOGGED_MSG = None
CAS_LOGOUT_COMPLETELY = False  # the portal's sign-out offers the CAS sign-out rather than forcing it
CAS_REDIRECT_URL = "/"
CAS_IGNORE_REFERER = True  # back to ?next= or home, not to the sign-in page the button was on
# OpenID Connect (mozilla-django-oidc): endpoints come from the issuer's discovery document.
PORTAL_OIDC_ISSUER = os.environ.get("PORTAL_OIDC_ISSUER", "").strip().rstrip("/")
OIDC_RP_CLIENT_ID = os.environ.get("PORTAL_OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("PORTAL_OIDC_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = os.environ.get("PORTAL_OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("PORTAL_OIDC_SCOPES", "openid profile email")
PORTAL_OIDC_USERNAME_CLAIM = os.environ.get("PORTAL_OIDC_USERNAME_CLAIM", "preferred_username")
PORTAL_OIDC_NAME = os.environ.get("PORTAL_OIDC_NAME", "your organisation")
OIDC_USE_PKCE = True
OIDC_STORE_ID_TOKEN = True  # the provider's sign-out is offered with it (id_token_hint)
OIDC_TIMEOUT = 10
# false: only superusers sign in with a password (the sign-in form and POST /api/v1/auth/token/).
PORTAL_PASSWORD_SIGN_IN = env_bool("PORTAL_PASSWORD_SIGN_IN", True)

LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True
# Pages and API render times in this zone unless a course's own zone is activated.
TIME_ZONE = os.environ.get("PORTAL_TIME_ZONE", "America/New_York")

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Submissions and grade exports: the filesystem under MEDIA_ROOT by default (with several machines, one
# folder they all mount); an S3-compatible bucket (django-storages) when PORTAL_S3_BUCKET names one.
# Credentials come from boto3's usual variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or the role.
PORTAL_S3_BUCKET = os.environ.get("PORTAL_S3_BUCKET", "").strip()
if PORTAL_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": PORTAL_S3_BUCKET,
            "endpoint_url": os.environ.get("PORTAL_S3_ENDPOINT_URL", "").strip() or None,  # MinIO, Ceph…
            "region_name": os.environ.get("PORTAL_S3_REGION", "").strip() or None,
            "location": os.environ.get("PORTAL_S3_PREFIX", "").strip(),
            "default_acl": None,  # private: files are served through the portal's access checks
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The largest upload (a submission, an import file); bodies and file streams over it are refused early.
PORTAL_MAX_SUBMISSION_BYTES = int(os.environ.get("PORTAL_MAX_SUBMISSION_BYTES", str(50 * 1024 * 1024)))
FILE_UPLOAD_HANDLERS = [
    "portal.uploads.LimitedUploadHandler",  # stops an upload as soon as it passes the limit
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# E-mail (portal.mail; README "E-mail"): the console unless DJANGO_EMAIL_BACKEND names SMTP
# (django.core.mail.backends.smtp.EmailBackend) and EMAIL_HOST the university's relay.
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "portal@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
# A delivery claim older than this is a dead worker's (README "E-mail"); keep it well above EMAIL_TIMEOUT.
PORTAL_MAIL_CLAIM_LEASE_SECONDS = int(os.environ.get("PORTAL_MAIL_CLAIM_LEASE_SECONDS", "300"))
PORTAL_MAIL_RETRY_SECONDS = int(os.environ.get("PORTAL_MAIL_RETRY_SECONDS", "60"))
PORTAL_MAIL_MAX_ATTEMPTS = int(os.environ.get("PORTAL_MAIL_MAX_ATTEMPTS", "10"))
# The portal's address as people reach it, for links in e-mail (turning reminders off).
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://localhost:8000").rstrip("/")

# Redis is the Celery broker when REDIS_URL is set; otherwise tasks run eagerly in-process.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"  # a host named, so kombu does not warn
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
# Celery closes a task's database connections every 2 x this many tasks (portal.celery keeps them as
# the web does, by DATABASE_CONN_MAX_AGE); unset, it would close them around every task.
CELERY_DB_REUSE_MAX = 1000
# A broker that does not answer fails a publish in seconds, not the OS's TCP timeout: the web process's
# post-commit hand-over must not hold a request (the task waits in the outbox, portal.outbox).
# visibility_timeout: how long Redis waits for a task's acknowledgement before handing it to another
# worker (tasks are acknowledged late, so a killed worker's task is redelivered after this). Jobs (imports,
# exports) do not rely on it: their heartbeat is taken over within PORTAL_JOB_STALE_SECONDS by the
# reclaim beat tasks. It must stay longer than the longest task (a 50,000-student export runs minutes), or
# a running task would be delivered twice (harmless for a job, whose claim refuses a second run, but
# wasteful); 30 minutes still reruns a killed worker's deadline recompute or promotion the same hour,
# instead of Redis's default of one hour. A task with an ETA or countdown beyond it is redelivered early.
# max_retries 0: a publish whose connection is refused gives up at once (kombu otherwise retries for some
# 6 s, and a write with the broker down took that long to answer); the worker's own reconnecting is
# governed by broker_connection_retry, not by this.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "visibility_timeout": 30 * 60,
    "max_retries": 0,
}
# The worker also sweeps the outbox this often (0: only `manage.py outbox_relay` does).
PORTAL_OUTBOX_WORKER_SWEEP_SECONDS = int(os.environ.get("PORTAL_OUTBOX_WORKER_SWEEP_SECONDS", "30"))
CELERY_BEAT_SCHEDULE = {
    "close-passed-windows": {"task": "courses.tasks.close_passed_windows", "schedule": 60.0},
    # Stored deadlines are a cache (reads recompute stale rows on the spot); this repairs the drift a lost
    # recompute task leaves, and logs how many rows it fixed.
    "reconcile-deadlines": {"task": "courses.tasks.reconcile_deadlines", "schedule": 300.0},
    "send-deadline-reminders": {"task": "courses.tasks.send_deadline_reminders", "schedule": 300.0},
    # E-mail that waits (a refused attempt, a lost task, a dead worker's claim): portal.mail.
    "deliver-pending-mail": {"task": "portal.tasks.deliver_pending_mail", "schedule": 60.0},
    "release-scheduled-grades": {"task": "grading.tasks.release_scheduled_grades", "schedule": 60.0},
    # Jobs whose worker stopped beating for PORTAL_JOB_STALE_SECONDS are re-enqueued and taken over.
    "reclaim-stale-import-jobs": {"task": "courses.tasks.reclaim_stale_import_jobs", "schedule": 30.0},
    "reclaim-stale-grading-jobs": {"task": "grading.tasks.reclaim_stale_jobs", "schedule": 30.0},
}
# A running job beats (heartbeat_at) after every chunk; one silent this long has lost its worker.
PORTAL_JOB_STALE_SECONDS = int(os.environ.get("PORTAL_JOB_STALE_SECONDS", "60"))
# Rows per export chunk (one heartbeat each), and a pause after each: tests slow an export down with it
# so a worker can be killed half-way; leave it at 0 anywhere else.
PORTAL_EXPORT_CHUNK_ROWS = int(os.environ.get("PORTAL_EXPORT_CHUNK_ROWS", "500"))
PORTAL_EXPORT_CHUNK_DELAY_SECONDS = float(os.environ.get("PORTAL_EXPORT_CHUNK_DELAY_SECONDS", "0"))


def redis_caches(url: str) -> dict:
    """Redis that degrades to local memory (with a warning) while unreachable, rather than answering 500."""
    return {
        "default": {
            "BACKEND": "portal.cache.ResilientRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }


if REDIS_URL:
    CACHES = redis_caches(REDIS_URL)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

REST_FRAMEWORK = {
    # Token first: a refused token answers 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "courses.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's JSON, written by orjson (portal.renderers: the same bytes, several times faster).
    "DEFAULT_RENDERER_CLASSES": [
        "portal.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "portal.api.Pagination",
    "PAGE_SIZE": 100,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
    # portal.parsers.JSONParser answers a body nested too deeply with a 400, not a RecursionError's 500.
    "DEFAULT_PARSER_CLASSES": [
        "portal.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_RATES": {"token": os.environ.get("PORTAL_TOKEN_THROTTLE", "20/min")},
    # DRF reads X-Forwarded-For when NUM_PROXIES is None: it must be the deployment's count.
    "NUM_PROXIES": PORTAL_TRUSTED_PROXIES,
}
# Content-Security-Policy (django-csp): scripts, styles, fonts and fetches from the portal itself only; no
# inline script or style unless it carries the response's nonce (the one page with inline code is the
# Swagger UI, templates/drf_spectacular/swagger_ui.html). data: images are Pico CSS's inline SVG icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF, csp_constants.NONCE],
        "style-src": [csp_constants.SELF, csp_constants.NONCE],
        "img-src": [csp_constants.SELF, "data:"],
        "connect-src": [csp_constants.SELF],
        "object-src": [csp_constants.NONE],
        "base-uri": [csp_constants.SELF],
        "form-action": [csp_constants.SELF],
        "frame-ancestors": [csp_constants.NONE],
    }
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Course portal API",
    "DESCRIPTION": "Deadlines, submissions, extensions, grades and regrades for a multi-section course.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI is served from our own static files: the portal must work with no internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # django-axes logs every failed sign-in at INFO; its warnings (repeated failures, lockouts) stay.
    "loggers": {"celery.app.trace": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
