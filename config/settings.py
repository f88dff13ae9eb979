"""Waypoint settings: one module, driven by the environment.

With no DATABASE_URL the app runs on SQLite under WAYPOINT_VAR_DIR (default ``var/``); with no
REDIS_URL Celery runs tasks in-process and the cache is local memory. That embedded default is
what ``make demo`` uses; the full stack sets both. Every variable is listed in the README.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    # Values already in the process environment win over the file.
    environ.Env.read_env(BASE_DIR / ".env")

VAR_DIR = Path(env.str("WAYPOINT_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key_from_var_dir(path: Path) -> str:
    """Create the key once (atomically, mode 0600) so every process of one install shares it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = secrets.token_urlsafe(50)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


SECRET_KEY = env.str("SECRET_KEY", default="") or _secret_key_from_var_dir(VAR_DIR / "secret_key")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Project apps first so their templates (login, base) take precedence.
    "clients",
    "metrics",
    "plans",
    "diagnostics",
    "portal",
    # The admin's theme; its templates come before Django's admin's. The admin site itself is
    # Waypoint's (portal.admin_site): its home is the portfolio dashboard.
    "unfold.apps.BasicAppConfig",
    "unfold.contrib.filters",
    "portal.admin_app.WaypointAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "csp",
    "django_htmx",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "clients.middleware.RejectNulCharactersMiddleware",
    "clients.middleware.DatabaseUnavailableMiddleware",
    "clients.middleware.ApiTimesInUtcMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.csp.WaypointCSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------

DATABASE_URL = env.str("DATABASE_URL", default="")
if DATABASE_URL:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    # Persistent connections, checked before each reuse: a new PostgreSQL connection per
    # request cost two thirds of a stored scorecard's GET (docs/performance.md).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT: the portfolio's query is estimated dear enough for PostgreSQL to compile it on
    # every request, which took half its time; short queries never win it back.
    if not env.bool("DATABASE_JIT", default=False):
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "waypoint.sqlite3",
            "OPTIONS": {
                # WAL and immediate transactions let the demo's web workers and in-process
                # tasks write side by side without "database is locked".
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, broker, Celery --------------------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL
CACHE_URL = env.str("CACHE_URL", default="") or REDIS_URL

if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "waypoint",
            # The cache is an aid (rate limits): an unreachable Redis must cost a request at
            # most a second, and then the limits fail open (clients.cache).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# No broker configured: tasks run in the calling process (the embedded default).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://localhost/"  # a host named, or kombu warns on every send

# Reliability with a Redis broker: a task is acknowledged only after it finished, and given back
# to the queue if its worker dies; each worker process holds one message at a time.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int(
    "CELERY_TASK_SOFT_TIME_LIMIT", default=max(1, CELERY_TASK_TIME_LIMIT * 9 // 10)
)
# Redis re-delivers an unacknowledged message after the visibility timeout; it must outlast the
# longest a task may run, or a slow task would be run twice while still running.
CELERY_VISIBILITY_TIMEOUT = env.int(
    "CELERY_VISIBILITY_TIMEOUT", default=max(3600, 2 * CELERY_TASK_TIME_LIMIT)
)
if CELERY_VISIBILITY_TIMEOUT <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "CELERY_VISIBILITY_TIMEOUT must exceed CELERY_TASK_TIME_LIMIT "
        f"({CELERY_VISIBILITY_TIMEOUT} <= {CELERY_TASK_TIME_LIMIT})."
    )
if CELERY_TASK_SOFT_TIME_LIMIT >= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_TASK_SOFT_TIME_LIMIT must be below CELERY_TASK_TIME_LIMIT.")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # How often a worker looks for messages a dead worker took and never acknowledged (their
    # visibility timeout passed): every interval x throttle seconds.
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
    "socket_connect_timeout": 5,
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Task state lives in PostgreSQL rows (jobs), not in a result backend.
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_MAX_TASKS_PER_CHILD = 1000
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Beat copies these into django-celery-beat's tables on start (editable in the admin after).
# Each expires: a message beat sent while no worker was up is dropped, not piled up. The
# database scheduler reads the option as ``expire_seconds`` (a plain ``expires`` is dropped).
DISPATCH_EVERY = env.int("WAYPOINT_DISPATCH_EVERY_SECONDS", default=30)
CELERY_BEAT_SCHEDULE = {
    "dispatch-dirty-marks": {
        "task": "clients.dispatch_dirty_marks",
        "schedule": DISPATCH_EVERY,
        "options": {"expire_seconds": max(1, DISPATCH_EVERY - 5)},
    },
    "sweep-jobs": {
        "task": "clients.sweep_jobs",
        "schedule": 120,
        "options": {"expire_seconds": 110},
    },
    "nightly-recompute": {
        "task": "plans.nightly_recompute",
        "schedule": crontab(
            hour=env.int("WAYPOINT_NIGHTLY_HOUR", default=2), minute=30
        ),  # in CELERY_TIMEZONE
        "options": {"expire_seconds": 3 * 3600},
    },
    "sweep-webhooks": {
        "task": "clients.sweep_webhooks",
        "schedule": 60,
        "options": {"expire_seconds": 55},
    },
    "purge-webhook-deliveries": {
        "task": "clients.purge_webhook_deliveries",
        "schedule": crontab(hour=4, minute=30),
        "options": {"expire_seconds": 3600},
    },
    "purge-idempotency-keys": {
        "task": "clients.purge_idempotency_keys",
        "schedule": crontab(hour=4, minute=15),
        "options": {"expire_seconds": 3600},
    },
}

# --- Auth ---------------------------------------------------------------------------------------

AUTH_USER_MODEL = "clients.User"
AUTHENTICATION_BACKENDS = [
    # django-axes counts failed logins (web login and admin) and locks out repeated guessing.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "clients.auth.login_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("NUM_PROXIES", default=0)
# Failed API keys from one address before it gets 429 for every key, and for how long.
API_KEY_FAILURE_LIMIT = env.int("API_KEY_FAILURE_LIMIT", default=20)
API_KEY_LOCKOUT_SECONDS = 60 * env.int("API_KEY_LOCKOUT_MINUTES", default=15)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = [
    "clients.hashers.TunedArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation ---------------------------------------------------------------------

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("ja", _("Japanese"))]
# Our strings (kept by makemessages), then the admin theme's, which the package leaves untranslated.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "theme"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Tokyo")
USE_I18N = True
USE_TZ = True
CELERY_TIMEZONE = TIME_ZONE

# --- Static files -----------------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every start while it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- E-mail -----------------------------------------------------------------------------------

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Waypoint <noreply@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)

# --- The consultants' admin (django-unfold) -----------------------------------------------------

BLUE = {  # the portal's blue, as the theme's primary colour (Tailwind's blue scale)
    "50": "oklch(97% .014 254.604)",
    "100": "oklch(93.2% .032 255.585)",
    "200": "oklch(88.2% .059 254.128)",
    "300": "oklch(80.9% .105 251.813)",
    "400": "oklch(70.7% .165 254.624)",
    "500": "oklch(62.3% .214 259.815)",
    "600": "oklch(54.6% .245 262.881)",
    "700": "oklch(48.8% .243 264.376)",
    "800": "oklch(42.4% .199 265.638)",
    "900": "oklch(37.9% .146 265.522)",
    "950": "oklch(28.2% .091 267.935)",
}
UNFOLD = {
    "SITE_TITLE": "Waypoint",
    "SITE_HEADER": "Waypoint",
    "SITE_SUBHEADER": _("Consultant workspace"),
    "SITE_URL": "/portal/",
    "SITE_SYMBOL": "insights",
    "SHOW_LANGUAGES": True,
    "SHOW_VIEW_ON_SITE": False,
    "COLORS": {"primary": BLUE},
    "STYLES": [
        lambda request: static("plans/display.css"),
        lambda request: static("portal/admin.css"),
    ],
    "SIDEBAR": {
        "show_search": False,
        "show_all_applications": False,
        "navigation": "portal.admin_site.sidebar",
    },
}

# --- Security ---------------------------------------------------------------------------------
# Off by default so the demo works over plain http on 127.0.0.1; WAYPOINT_HTTPS=true turns the
# production set on, and each setting can still be given on its own.

HTTPS = env.bool("WAYPOINT_HTTPS", default=False)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # load-balancer probes speak plain http
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=HTTPS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=HTTPS)
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    # Only behind a proxy that sets (and strips client-sent) X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Webhooks (clients/services/webhooks.py): receivers must be https when the site is; addresses
# that are not public (loopback, private, link-local, metadata) are refused unless their network
# is listed here, e.g. "127.0.0.0/8,::1/128" for a receiver on the same machine.
WEBHOOK_HTTPS_ONLY = env.bool("WEBHOOK_HTTPS_ONLY", default=HTTPS)
WEBHOOK_ALLOWED_NETWORKS = env.list("WEBHOOK_ALLOWED_NETWORKS", default=[])
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=60.0)
# A delivery handed to the broker is swept again only this long after: a message lost with the
# broker (a Redis restarted empty) is sent at most this late.
WEBHOOK_SWEEP_LEASE_SECONDS = env.int("WEBHOOK_SWEEP_LEASE_SECONDS", default=300)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Pages load only our own scripts, styles, images and fonts: no inline script or style, nothing
# from another origin (the front-end libraries are vendored into the static files).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# A bulk request carries up to 10,000 measurements (about 1.5 MB of JSON with long sources).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)

# --- REST framework ---------------------------------------------------------------------------

REST_FRAMEWORK = {
    # The key comes first: its WWW-Authenticate header makes a missing login a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "clients.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["clients.renderers.ExactJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["clients.parsers.DecimalJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",  # the API takes JSON only; so do its tests
    "DEFAULT_PAGINATION_CLASS": "clients.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "clients.problems.problem_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "clients.throttling.ApiKeyRateThrottle",
        "clients.throttling.UserRateThrottle",
        "clients.throttling.AnonRateThrottle",
    ],
    # Generous for partner integrations; counted in the shared cache by every web process.
    "DEFAULT_THROTTLE_RATES": {
        "key": env.str("API_RATE_KEY", default="1200/min"),
        "user": env.str("API_RATE_USER", default="600/min"),
        "anon": env.str("API_RATE_ANON", default="60/min"),
    },
    # 0: trust no X-Forwarded-For (a client could forge it); set to the proxies in front.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Waypoint API",
    "DESCRIPTION": "Strategy plans, measurements, scorecards and bottleneck reports.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status"; name each choice set after its model.
    # Requests and responses as separate components: read-only fields (ids, timestamps) are not
    # asked for in a request, and a response's fields are all marked as always there.
    "COMPONENT_SPLIT_REQUEST": True,
    "COMPONENT_NO_READ_ONLY_REQUIRED": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "clients.schema.problem_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ClientStatusEnum": "clients.models.Client.Status",
        "PlanStatusEnum": "plans.models.Plan.Status",
        "TargetLevelEnum": "plans.schema.TARGET_LEVELS",
    },
}

# --- Logging ----------------------------------------------------------------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},  # it announces itself at every start
        # Its INFO line names every webhook receiver's full URL, tokens in it included.
        "httpx": {"level": "WARNING"},
    },
}
