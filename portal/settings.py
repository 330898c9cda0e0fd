"""Settings of the service portal, read from environment variables with safe local defaults.

Embedded default: SQLite (WAL), the django-q2 ORM broker and a file cache, nothing else to run.
Scale-out: DATABASE_URL (PostgreSQL) and REDIS_URL (django-q2 broker and cache).
Modes (see "Mode" below): local product (the default), production (DEBUG=0: requires SECRET_KEY
and ALLOWED_HOSTS), developer (DEBUG=1).
"""

import os
import secrets
import time
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# --- Mode -------------------------------------------------------------------------------------
# local (the default, what `make run` starts): DEBUG off, plain HTTP on 127.0.0.1, a secret key
#   generated once into the data folder and kept; no secure-cookie/HSTS/SSL redirect.
# production (DEBUG=0, or PORTAL_MODE=production): SECRET_KEY and ALLOWED_HOSTS from the
#   environment, secure cookies, HSTS, SSL redirect.
# developer (DEBUG=1, or PORTAL_MODE=developer, `make dev`): debug pages, runserver, a fixed key.
DATA_DIR = Path(os.environ.get("PORTAL_DATA_DIR", BASE_DIR / "var"))
_debug_env = os.environ.get("DEBUG")
PORTAL_MODE = os.environ.get("PORTAL_MODE", "").strip().lower() or (
    "local" if _debug_env is None else ("developer" if env_bool("DEBUG", False) else "production")
)
if PORTAL_MODE not in {"local", "production", "developer"}:
    raise ImproperlyConfigured("PORTAL_MODE must be local, production or developer.")
DEBUG = PORTAL_MODE == "developer"
PRODUCTION = PORTAL_MODE == "production"


def local_secret_key(data_dir: Path) -> str:
    """The local product's key: generated once into the data folder (mode 600) and kept, so that
    sessions survive a restart. Several processes starting at once agree on the first one written."""
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
    for _attempt in range(50):  # another process may have created the file and not written it yet
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.05)
    raise ImproperlyConfigured(f"{path} is empty: delete it and start again.")


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0.")
    if DEBUG:
        SECRET_KEY = "local-development-only-not-secret"  # noqa: S105
    else:
        SECRET_KEY = local_secret_key(DATA_DIR)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG=0.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_tables2",
    "django_q",
    "axes",
    "portal.apps.PortalConfig",
    "tickets.apps.TicketsConfig",
    "logistics.apps.LogisticsConfig",
    "installation.apps.InstallationConfig",
    "refunds.apps.RefundsConfig",
    "scores.apps.ScoresConfig",
    "training.apps.TrainingConfig",
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
    "portal.middleware.NulInUrlMiddleware",  # after auth and messages: its 400 page renders with them
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.middleware.ProtectedDeleteMiddleware",  # a delete of a row still referred to: 409, not 500
    "csp.middleware.CSPMiddleware",
    "portal.middleware.PermissionsPolicyMiddleware",
    # Last: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
SQLITE_CACHE_MB = int(os.environ.get("SQLITE_CACHE_MB", "256"))


def sqlite_database(name) -> dict:
    """The one SQLite configuration, whether the file is named by SQLITE_PATH or by
    DATABASE_URL=sqlite:///...: busy timeout, `BEGIN IMMEDIATE`, WAL, page cache."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(name),
        # Kept open between requests: a new SQLite connection starts with a cold page cache
        # and re-reads the schema, and the last one to close checkpoints the whole WAL.
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            # WAL lets the web server read while the qcluster writes; IMMEDIATE takes the
            # write lock at BEGIN so two writers queue on the busy timeout instead of failing
            # with "database is locked" half-way through a transaction.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            # Page cache per connection (SQLite's default is 2 MB): the parcel table and the
            # tracking-event index of a busy store are hot; pages are allocated as they are read.
            # WAL: SQLite's automatic checkpoint runs in the commit that takes the log past
            # 128 MB (32,000 pages) instead of its default 4 MB, so that a request rarely pays
            # for everyone's writes (at 4 MB the events API spent a third of its time there),
            # and the bulk ingest that writes nearly all pages is nearly always the one that
            # pays. The file is kept up to 256 MB: growing it again costs more than
            # overwriting it. (Measured against a background checkpoint thread and against a
            # checkpoint by the ingest after each batch: docs/logistics.md, "Benchmark".)
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000; "
                f"PRAGMA cache_size=-{SQLITE_CACHE_MB * 1024}; PRAGMA temp_store=MEMORY; "
                "PRAGMA wal_autocheckpoint=32000; PRAGMA journal_size_limit=268435456;"
            ),
        },
    }


if DATABASE_URL.startswith("sqlite:"):
    DATABASES = {"default": sqlite_database(dj_database_url.parse(DATABASE_URL)["NAME"])}
elif DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {"default": sqlite_database(os.environ.get("SQLITE_PATH", str(DATA_DIR / "portal.sqlite3")))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and task broker ------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Shared by every gunicorn worker and the qcluster on this host (live counts, heartbeats,
    # throttles): files in the data folder, never a per-process memory cache.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("CACHE_DIR", str(DATA_DIR / "cache")),
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }

Q_CLUSTER = {
    "name": "portal",
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    "timeout": 240,
    "retry": 300,  # must exceed timeout, or a slow task is handed to a second worker
    "max_attempts": 3,
    "catch_up": False,  # after downtime run a schedule once, not once per missed slot
    "save_limit": 500,
    "label": _("Scheduled jobs"),
    "poll": 1,
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling and lockout (django-axes): failed attempts are counted in the database, which
# every worker shares; after AXES_FAILURE_LIMIT failures for one username from one address the
# login answers the lockout page (HTTP 429) until the cool-off has passed. A success resets the count.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # successful logins are not logged row by row
AXES_LOCKOUT_CALLABLE = "portal.views.locked_out"  # the lockout page in the portal's layout, 429
AXES_VERBOSE = False
# Behind PROXY_COUNT reverse proxies, the client address is the one the nearest of them added to
# X-Forwarded-For (portal.middleware.client_ip); without proxies REMOTE_ADDR.
PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "portal.middleware.client_ip"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# The empty choice of every list filter reads "any" in the reader's language (not "---------").
FILTERS_EMPTY_CHOICE_LABEL = _("Any")
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "media/"
# Files no URL serves (proof-of-delivery photos): streamed by permission-checked views only.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", DATA_DIR / "private"))
# manage.py backup and the daily schedule: where the copies go and how many are kept.
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", DATA_DIR / "backups"))
BACKUP_KEEP = int(os.environ.get("BACKUP_KEEP", "7"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- E-mail and SMS gateway -----------------------------------------------------------------
# Every EMAIL_* setting Django reads can be set from the environment.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = float(os.environ["EMAIL_TIMEOUT"]) if os.environ.get("EMAIL_TIMEOUT") else None
EMAIL_SSL_CERTFILE = os.environ.get("EMAIL_SSL_CERTFILE") or None
EMAIL_SSL_KEYFILE = os.environ.get("EMAIL_SSL_KEYFILE") or None
EMAIL_SUBJECT_PREFIX = os.environ.get("EMAIL_SUBJECT_PREFIX", "[Django] ")
EMAIL_USE_LOCALTIME = env_bool("EMAIL_USE_LOCALTIME", False)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))  # the file-based backend
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", "root@localhost")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "service-portal@localhost")
# The portal's public address (e.g. https://service.example.com): makes the links in e-mails and
# text messages absolute. Empty: e-mails carry paths, text messages no link.
PORTAL_URL = os.environ.get("PORTAL_URL", "")
# How often an open page asks for the unread count of the inbox (seconds).
INBOX_POLL_SECONDS = int(os.environ.get("INBOX_POLL_SECONDS", "30"))
# SMS / phone push: an HTTP gateway that takes JSON {"to", "text"} and honours an
# Idempotency-Key header. Empty: messages are written to the log instead.
SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = os.environ.get("SMS_GATEWAY_TOKEN", "")
SMS_GATEWAY_TIMEOUT = float(os.environ.get("SMS_GATEWAY_TIMEOUT", "10"))
# The outbox dispatcher (portal/notifications.py): rows claimed per batch (a crash strands at most
# this many), how long a claimed row whose send never began waits before another run takes it,
# the claim window after which a row whose send began is resent (SMS) or marked unknown (e-mail),
# and how long one run keeps claiming batches.
NOTIFICATION_BATCH = int(os.environ.get("NOTIFICATION_BATCH", "20"))
NOTIFICATION_RECLAIM_UNTRIED_AFTER = int(os.environ.get("NOTIFICATION_RECLAIM_UNTRIED_AFTER", "30"))
NOTIFICATION_CLAIM_TIMEOUT = int(os.environ.get("NOTIFICATION_CLAIM_TIMEOUT", "600"))
NOTIFICATION_DISPATCH_SECONDS = int(os.environ.get("NOTIFICATION_DISPATCH_SECONDS", "50"))
# The outbound feed to the marketplace (portal/outbound.py): how long a store's webhook may take to
# answer (seconds), the claim window after which a message claimed by a dispatcher that died is
# sent again with the same Idempotency-Key, and how long one run keeps claiming batches.
OUTBOUND_WEBHOOK_TIMEOUT = float(os.environ.get("OUTBOUND_WEBHOOK_TIMEOUT", "10"))
OUTBOUND_CLAIM_TIMEOUT = int(os.environ.get("OUTBOUND_CLAIM_TIMEOUT", "600"))
OUTBOUND_DISPATCH_SECONDS = int(os.environ.get("OUTBOUND_DISPATCH_SECONDS", "50"))

# API tokens (portal/tokens.py): days until a new token expires unless --expires-days says (0: never).
API_TOKEN_EXPIRES_DAYS = int(os.environ.get("API_TOKEN_EXPIRES_DAYS", "365"))

# --- REST API -------------------------------------------------------------------------------
# JSON bodies (portal/api/parsers.py): larger than this many bytes is 413, nested deeper is 400.
API_MAX_JSON_BYTES = int(os.environ.get("API_MAX_JSON_BYTES", str(4 * 1024 * 1024)))
API_MAX_JSON_DEPTH = int(os.environ.get("API_MAX_JSON_DEPTH", "32"))
REST_FRAMEWORK = {
    # Token first: an unauthenticated request then gets 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Integration kinds first: an integration calling another kind's endpoint gets that 403.
    "DEFAULT_PERMISSION_CLASSES": ["portal.api.permissions.IntegrationKindPermission",
                                   "portal.api.permissions.RolePermission"],
    # JSON bounded in size and depth before parsing (portal/api/parsers.py).
    # Uploads declare MultiPartParser on their own views.
    "DEFAULT_PARSER_CLASSES": ["portal.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "portal.api.filters.StrictFilterBackend",  # parameters held to the schema (portal/api/filters.py)
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "portal.api.schema.AutoSchema",  # declares the error answers (portal/api/schema.py)
    "EXCEPTION_HANDLER": "portal.api.errors.exception_handler",
    # Per client, in the shared cache: 429 with Retry-After beyond the rate.
    "DEFAULT_THROTTLE_CLASSES": [
        "portal.api.throttling.AnonymousRateThrottle",
        "portal.api.throttling.ClientRateThrottle",
    ],
    # Behind PROXY_COUNT proxies the client is the address they add to X-Forwarded-For.
    "NUM_PROXIES": PROXY_COUNT or None,
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_RATE_ANON", "60/min"),
        "user": os.environ.get("API_RATE_USER", "600/min"),
        "integration": os.environ.get("API_RATE_INTEGRATION", "6000/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# The OpenAPI schema and the interactive docs: for signed-in users (or a valid token) only in
# production mode, open on the local product and in developer mode.
API_DOCS_REQUIRE_LOGIN = env_bool("API_DOCS_REQUIRE_LOGIN", PRODUCTION)
SPECTACULAR_SETTINGS = {
    "SERVE_PERMISSIONS": ["portal.api.permissions.ApiDocsPermission"],
    "TITLE": "Service portal API",
    "DESCRIPTION": "Tickets, chat ingestion, logistics tracking, installation partners.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `status` or `channel` of their own: name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "NotificationChannelEnum": "portal.models.Notification.Channel",
        "NotificationStatusEnum": "portal.models.Notification.Status",
        "TicketChannelEnum": "tickets.models.Ticket.Channel",
        "TicketStatusEnum": "tickets.models.Ticket.Status",
        "ShipmentStatusEnum": "logistics.models.ShipmentStatus.values",
        "TicketStatusChangeEnum": "tickets.api.serializers.manual_status_choices",
        "TrackingImportStatusEnum": "logistics.models.TrackingImport.Status",
        "AlertStatusEnum": "logistics.models.Alert.Status",
        "CompensationStatusEnum": "logistics.models.Compensation.Status",
        "InstallationAlertStatusEnum": "installation.models.InstallationAlert.Status",
        # The refund desk's choice sets (their fields are named like other apps' `kind`, `status`).
        "RefundRequestKindEnum": ["refund_only", "return_and_refund", "exchange"],
        "RefundRequestStatusEnum": ["open", "awaiting_return", "awaiting_approval", "decided", "disputed", "closed",
                                    "cancelled"],
        "RefundDecisionEnum": ["approve", "partial", "reject", "exchange"],
        "EvidenceKindEnum": ["photo", "video", "document", "battery_log", "chat_screenshot", "other"],
    },
}

# --- Security (production values when DEBUG=0) ----------------------------------------------
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if PRODUCTION else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts, styles, images and fonts from this site only; no
# inline script anywhere (pages load static/<app>/*.js), no plugins, no framing, forms post here.
# Inline style attributes are allowed (the pages' progress bars and widths use them).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
# Permissions-Policy: the portal uses none of these browser features.
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), usb=(), interest-cohort=()"
)

DJANGO_TABLES2_TEMPLATE = "portal/table.html"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
