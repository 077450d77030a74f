"""Concord settings, read from the environment.

One module for every deployment. ``DEBUG`` is off unless set; with it off the
production hardening below is switched on and ``SECRET_KEY`` must be given.
Every secret may also come from ``NAME_FILE`` (a path whose content is the value).
"""

import datetime
import os
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from coordination.celery_config import broker_settings
from coordination.redis_config import redis_locations

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CONCORD_VAR_DIR", BASE_DIR / "var"))

env = environ.Env()


def _secret(name, default=None):
    """Read NAME, or the content of the file named by NAME_FILE."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {path}: {exc}") from exc
    return os.environ.get(name, default)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value not in _TRUE | _FALSE:
        raise ImproperlyConfigured(f"{name}: expected true/false, got {raw!r}")
    return value in _TRUE


DEBUG = _bool("DEBUG", False)

# The key: SECRET_KEY, the file named by SECRET_KEY_FILE, or the random one that
# `make setup` writes to var/secret_key for this checkout.
SECRET_KEY = _secret("SECRET_KEY")
_LOCAL_KEY_FILE = VAR_DIR / "secret_key"
if not SECRET_KEY and _LOCAL_KEY_FILE.is_file():
    SECRET_KEY = _LOCAL_KEY_FILE.read_text().strip()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY: must be set when DEBUG is off (or give SECRET_KEY_FILE, "
            "or run `make setup` to create var/secret_key)."
        )
    SECRET_KEY = "insecure-development-key-only-for-debug-mode-" + "x" * 20

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # The admin site asks for a verified second factor (accounts/admin_site.py).
    "accounts.admin_config.SecondFactorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_countries",
    # Password guessing limits (accounts/throttle.py).
    "axes",
    # Second factor (accounts/mfa.py): authenticator apps, recovery codes, security keys.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "accounts",
    "incidents",
    "coordination.notifications",
    "coordination.assistance",
    "coordination.intel",
    "coordination.exchange",
    "coordination.audit",
    "coordination.exercises",
    "coordination.federation",
    "coordination",  # the project's system checks (coordination/checks.py)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the session middleware: sees the session cookie that it sets.
    "coordination.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "coordination.middleware.ApiNotFoundMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Second factor: which device verified the session; unverified sessions reach only
    # the verify page (accounts/mfa.py).
    "accounts.middleware.OTPMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "coordination.audit.middleware.AuditTrailMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "coordination.middleware.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: turns a lockout flagged during the view into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "coordination.urls"
WSGI_APPLICATION = "coordination.wsgi.application"
FORM_RENDERER = "coordination.forms_renderer.FastSelectRenderer"

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
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "coordination.notifications.context_processors.bell",
                "coordination.federation.context_processors.federation",
            ],
        },
    },
    {
        # Hot fragments only (rows, timeline entries, options): loaded by name from
        # this engine, never found by Django's template lookup first.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "coordination.jinja2_env.environment",
            "extensions": ["jinja2.ext.i18n"],
            "autoescape": True,
        },
    },
]

# Database: a SQLite file under var/ unless DATABASE_URL names another one.
_db_scheme = os.environ.get("DATABASE_URL", "sqlite://").split(":", 1)[0]
if _db_scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
    raise ImproperlyConfigured(
        f"DATABASE_URL: unsupported scheme {_db_scheme!r} (use postgres:// or sqlite://)"
    )
try:
    DATABASES = {
        "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'concord.sqlite3'}")
    }
except Exception as exc:  # django-environ raises several kinds for a bad URL
    raise ImproperlyConfigured(f"DATABASE_URL: {exc}") from exc
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Several processes (web, worker, beat) share the file: wait for locks.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # JIT compilation costs 100-250 ms on the permission-filtered counts of the list pages
    # for 20-40 ms of real work (bench/README.md); these are short OLTP queries.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: the Celery broker and result backend on REDIS_URL; the caches and the sessions each
# in a Redis database of their own, CACHE_REDIS_URL and SESSION_REDIS_URL, by default the
# broker's database + 1 and + 2 (coordination/redis_config.py). Every Redis cache signs what it
# pickles and ignores what it did not sign (coordination/redis_cache.py).
REDIS_URL, CACHE_REDIS_URL, SESSION_REDIS_URL = redis_locations(
    _secret("REDIS_URL", ""), _secret("CACHE_REDIS_URL", ""), _secret("SESSION_REDIS_URL", "")
)
_REDIS_CACHE = "coordination.redis_cache.SignedRedisCache"

if CACHE_REDIS_URL:
    CACHES = {"default": {"BACKEND": _REDIS_CACHE, "LOCATION": CACHE_REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Rendered fragments that depend only on the code, the language and the request (the
# incident filter bar, the main navigation): kept per process, so a deployment never
# serves markup of the previous release.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "concord-fragments",
    "OPTIONS": {"MAX_ENTRIES": 1000},
}

# Sessions are written to the database and read through this cache (coordination/sessions.py),
# shared by every process: a session ended in one is ended in all.
CACHES["sessions"] = (
    {"BACKEND": _REDIS_CACHE, "LOCATION": SESSION_REDIS_URL}
    if SESSION_REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "sessions"),
    }
)
SESSION_CACHE_ALIAS = "sessions"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out attempt before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: anonymous users get no object permissions
GUARDIAN_MONKEY_PATCH_USER = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Password guessing and password reset limits (accounts/throttle.py explains them), counted
# for every caller of authenticate(): sign-in form, admin login, HTTP Basic, API token.
# TRUSTED_PROXY_COUNT: proxies in front of Django that each append to X-Forwarded-For
# (0: none, the client address is REMOTE_ADDR). No other header is ever read.
try:
    TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0").strip() or "0")
except ValueError:
    TRUSTED_PROXY_COUNT = -1
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(
        f"TRUSTED_PROXY_COUNT: expected 0 or more, got {os.environ['TRUSTED_PROXY_COUNT']!r}"
    )
AXES_HANDLER = "accounts.throttle.ThrottleHandler"
AXES_CLIENT_IP_CALLABLE = "accounts.throttle.throttle_address"
AXES_USERNAME_CALLABLE = "accounts.throttle.attempted_username"
AXES_LOCKOUT_CALLABLE = "accounts.throttle.lockout_response"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], ["ip_address"], ["username"]]
AXES_FAILURE_LIMIT = 5  # one username from one address; the other limits are in throttle.py
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
# Attempts refused while locked out check no password: they are not counted again.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "incidents:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Second factor (accounts/mfa.py). Required of every account in production; off by default
# with DEBUG so that the demo data and `make run` work without one. An agency may require
# it of its users either way (Agency.require_mfa).
MFA_REQUIRED = _bool("MFA_REQUIRED", not DEBUG)
OTP_TOTP_ISSUER = "Concord"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
OTP_WEBAUTHN_RP_NAME = "Concord"
# Keys are bound to the site's host name. Browsers refuse an IP address there, so a
# development SITE_URL on 127.0.0.1 binds them to localhost (open the site as localhost).
_site = urlsplit(SITE_URL)
_site_host = "localhost" if _site.hostname in {"127.0.0.1", "::1"} else _site.hostname
_site_port = f":{_site.port}" if _site.port else ""
OTP_WEBAUTHN_RP_ID = env.str("WEBAUTHN_RP_ID", default=_site_host)
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list(
    "WEBAUTHN_ORIGINS", default=[f"{_site.scheme}://{_site_host}{_site_port}"]
)
# Keys are a second factor after the password, never a sign-in of their own.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_HELPER_CLASS = "accounts.webauthn.WebAuthnHelper"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))


def _positive_int(name, default):
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip().replace("_", ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise ImproperlyConfigured(f"{name}: expected a whole number above 0, got {raw!r}")
    return value


# Evidence files (incidents/evidence/storage.py): one upload at most this many bytes, and
# an agency's stored files at most this many in all. Large images stay with their holder
# and are logged by their SHA-256 alone.
EVIDENCE_MAX_UPLOAD_BYTES = _positive_int("EVIDENCE_MAX_UPLOAD_BYTES", 512 * 1024**2)
EVIDENCE_AGENCY_QUOTA_BYTES = _positive_int("EVIDENCE_AGENCY_QUOTA_BYTES", 50 * 1024**3)

# Markdown texts (timeline entries and the reasons and comments quoted in them,
# incidents/markdown.py): at most this many characters, lists and quotes nested at most
# this deep. Their HTML is rendered once, when they are written.
MARKDOWN_MAX_CHARS = _positive_int("MARKDOWN_MAX_CHARS", 20_000)
MARKDOWN_MAX_DEPTH = _positive_int("MARKDOWN_MAX_DEPTH", 8)
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

if "EMAIL_URL" in os.environ:
    try:
        vars().update(env.email_url("EMAIL_URL"))
    except Exception as exc:
        raise ImproperlyConfigured(f"EMAIL_URL: {exc}") from exc
else:
    # Each email a file under var/mail/, not text on a console the worker logs: no log
    # holds an email's body.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=60)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Concord <concord@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where users report an accessibility barrier (the statement page, Directive (EU) 2016/2102 Art. 7).
ACCESSIBILITY_CONTACT_EMAIL = env.str(
    "ACCESSIBILITY_CONTACT_EMAIL", default="accessibility@localhost"
)

# API tokens (accounts.ApiToken): hashed, scoped, and valid for at most this many days.
try:
    API_TOKEN_MAX_DAYS = int(os.environ.get("API_TOKEN_MAX_DAYS", "90"))
except ValueError:
    API_TOKEN_MAX_DAYS = 0
if not 1 <= API_TOKEN_MAX_DAYS <= 3650:
    raise ImproperlyConfigured("API_TOKEN_MAX_DAYS: a whole number of days from 1 to 3650")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # A session counts once it passed the second factor.
        "accounts.api.authentication.SecondFactorSessionAuthentication",
        "accounts.authentication.ApiTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON with a bound on nesting: a deeply nested body is a 400, not a RecursionError.
    "DEFAULT_PARSER_CLASSES": [
        "coordination.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Also for DRF's own views (the token endpoint): a RecursionError answers 400.
    "EXCEPTION_HANDLER": "coordination.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "coordination.api.StrictFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min"},
    # The client address of DRF's throttles, as for the password throttle: never a raw header.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Concord API",
    "DESCRIPTION": "Cross-border cyber incident coordination: incidents, sharing, timeline.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc from our own static files (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The error answers of every operation (400/401/403/404/415), documented in one place.
    # Request bodies are documented as JSON (and multipart where a file is uploaded); the
    # form parsers serve the browsable API's own forms.
    "PARSER_WHITELIST": [
        "coordination.parsers.JSONParser",
        "incidents.evidence.api.views.HashingMultiPartParser",
    ],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "coordination.openapi.add_error_responses",
    ],
    # Evidence's kind/status/action choice sets share field names with the incidents'.
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "incidents.choices.Status.choices",
        "EvidenceKindEnum": "incidents.evidence.choices.EvidenceKind.choices",
        "EvidenceStatusEnum": "incidents.evidence.choices.EvidenceStatus.choices",
        "CustodyActionEnum": "incidents.evidence.choices.CustodyAction.choices",
        "LoggableCustodyActionEnum": "incidents.evidence.choices.LOGGABLE_ACTION_CHOICES",
    },
}
# Requests for assistance: name their choice sets apart from the incidents' ones
# (the incidents' Status keeps the name StatusEnum, above).
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "RequestStatusEnum": "coordination.assistance.choices.Status",
        "RequestActionEnum": "coordination.assistance.choices.ActionName",
        "DataSoughtKindEnum": "coordination.assistance.choices.DataKind",
        "DeadlineKindEnum": "coordination.assistance.choices.DeadlineKind",
        "LegalBasisEnum": "coordination.assistance.choices.LegalBasis",
        "MeasureEnum": "coordination.assistance.choices.Measure",
        "UrgencyEnum": "coordination.assistance.choices.Urgency",
        "ProviderRoleEnum": "coordination.assistance.choices.ProviderRole",
        "ParticipationRoleEnum": "incidents.choices.ParticipationRole",
        "TaskStatusEnum": "incidents.choices.TaskStatus",
        "CountryCodeEnum": "coordination.api.country_codes",
    }
)

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport
# under var/, so the embedded default needs no broker server.
for _name, _value in broker_settings(REDIS_URL, VAR_DIR).items():
    vars()[f"CELERY_{_name.upper()}"] = _value
CELERY_TASK_ACKS_LATE = True
# The queue tasks and beat's periodic tasks go to (deployments or test runs sharing a broker).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_DEFAULT_QUEUE", default="celery")
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_ACCEPT_CONTENT = ["json"]  # a result planted in the backend is not unpickled
CELERY_TIMEZONE = "UTC"
CELERY_RESULT_EXPIRES = 3600
# What a task prints is not a warning (Celery's default level for captured output).
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"
# Publishing happens in on_commit callbacks of web requests: when the broker is down,
# give up quickly; the outbox sweep sends what is still pending once it is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5}
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# Email delivery timings (seconds): first retry after an SMTP error (doubling up to the
# cap, with jitter), and how long a row may stay "sending" before a dead worker's claim
# is released to the sweep.
NOTIFICATION_RETRY_FIRST_SECONDS = env.float("NOTIFICATION_RETRY_FIRST_SECONDS", default=30.0)
NOTIFICATION_RETRY_MAX_SECONDS = env.float("NOTIFICATION_RETRY_MAX_SECONDS", default=3600.0)
NOTIFICATION_CLAIM_LEASE_SECONDS = env.float("NOTIFICATION_CLAIM_LEASE_SECONDS", default=600.0)
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=8)
NOTIFICATION_BELL_POLL_SECONDS = env.int("NOTIFICATION_BELL_POLL_SECONDS", default=60)
# After the broker refused a publish, web requests stop trying for this long.
NOTIFICATION_BROKER_BACKOFF_SECONDS = env.float("NOTIFICATION_BROKER_BACKOFF_SECONDS", default=30.0)
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {
        "task": "concord.heartbeat",
        "schedule": env.float("HEARTBEAT_SECONDS", default=60.0),
    },
    "notifications-sweep": {
        "task": "notifications.sweep",
        "schedule": env.float("NOTIFICATION_SWEEP_SECONDS", default=60.0),
    },
    "assistance-escalation": {
        "task": "assistance.escalate",
        "schedule": env.float("ESCALATION_SWEEP_SECONDS", default=300.0),
    },
    "task-reminders": {
        "task": "incidents.remind_tasks",
        "schedule": env.float("TASK_REMINDER_SWEEP_SECONDS", default=300.0),
    },
    "audit-flush": {
        "task": "audit.flush",
        "schedule": env.float("AUDIT_FLUSH_SECONDS", default=5.0),
    },
    "audit-purge": {
        "task": "audit.purge",
        "schedule": 24 * 3600.0,
    },
    "notifications-digests": {
        "task": "notifications.digests",
        "schedule": env.float("DIGEST_SWEEP_SECONDS", default=900.0),
    },
    # Exercises: injects are released when due (coordination/exercises/tasks.py).
    "exercises-release": {
        "task": "exercises.release_due",
        "schedule": env.float("EXERCISE_SWEEP_SECONDS", default=15.0),
    },
    # Which agencies see so many cases that their clauses probe grants row by row
    # (incidents/querysets.py, PROBE_FROM_GRANTS).
    "incidents-large-grant-holders": {
        "task": "incidents.refresh_large_grant_holders",
        "schedule": env.float("LARGE_GRANT_HOLDERS_SECONDS", default=600.0),
    },
    # The password throttle's history of sign-ins and failures (accounts/throttle.py).
    "accounts-purge-sign-in-history": {
        "task": "accounts.purge_sign_in_history",
        "schedule": 24 * 3600.0,
    },
}

# Federation (coordination/federation, docs/federation.md): off unless the node has a name.
# The node signs what it sends with the Ed25519 key in FEDERATION_KEY_FILE (created by
# `manage.py federation_key --generate`, readable by the app's user alone).
FEDERATION_NODE_NAME = env.str("FEDERATION_NODE_NAME", default="").strip()
FEDERATION_BASE_URL = env.str("FEDERATION_BASE_URL", default=SITE_URL).rstrip("/")
FEDERATION_KEY_FILE = Path(
    env.str("FEDERATION_KEY_FILE", default=str(VAR_DIR / "federation" / "node-key.pem"))
)
# A message whose sent_at is further than this from the receiver's clock is refused.
FEDERATION_CLOCK_SKEW_SECONDS = _positive_int("FEDERATION_CLOCK_SKEW_SECONDS", 300)
FEDERATION_HTTP_TIMEOUT_SECONDS = _positive_int("FEDERATION_HTTP_TIMEOUT_SECONDS", 10)
# Delivery to a peer that does not answer: first retry after this long, doubling up to the
# cap; a peer is retried for ever (it catches up when it returns), never given up on.
FEDERATION_RETRY_FIRST_SECONDS = env.float("FEDERATION_RETRY_FIRST_SECONDS", default=10.0)
FEDERATION_RETRY_MAX_SECONDS = env.float("FEDERATION_RETRY_MAX_SECONDS", default=600.0)
FEDERATION_CLAIM_LEASE_SECONDS = env.float("FEDERATION_CLAIM_LEASE_SECONDS", default=300.0)
if FEDERATION_NODE_NAME:
    CELERY_BEAT_SCHEDULE["federation-sweep"] = {
        "task": "federation.sweep",
        "schedule": env.float("FEDERATION_SWEEP_SECONDS", default=30.0),
    }

# Audit trail (coordination/audit): consultations and exports wait in a Redis list on the
# broker's server and are appended every AUDIT_FLUSH_SECONDS, so reading a page writes
# nothing to the database; without Redis they are appended at once. Records older than
# AUDIT_RETENTION_DAYS are purged daily (0 keeps everything).
AUDIT_BUFFER_URL = env.str("AUDIT_BUFFER_URL", default=REDIS_URL)
# Prefixed to the keys of what is kept in the shared cache until a write makes it stale
# (the tag suggestions of an agency): each test runs under a scope of its own.
CACHE_KEY_SCOPE = env.str("CACHE_KEY_SCOPE", default="")
AUDIT_BUFFER_KEY = env.str("AUDIT_BUFFER_KEY", default="concord:audit:pending")
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=3 * 365)
AUDIT_PAGE_SIZE = 50
# A filtered API list of incidents is counted this far (or just past the page asked),
# then its response says "count_capped": an exact count would read every match.
API_COUNT_LIMIT = env.int("API_COUNT_LIMIT", default=1_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # django-axes logs every sign-in at INFO; failures and lockouts are warnings.
        "axes": {"level": "WARNING"},
    },
}

# Production hardening: on whenever DEBUG is off.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Sessions are written to the database and read through the "sessions" cache (above): one
# query less on every signed-in request; the cache key is a keyed hash of the session id.
SESSION_ENGINE = "coordination.sessions"
SESSION_COOKIE_AGE = 60 * 60 * 12
