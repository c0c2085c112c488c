"""One settings module for every environment; environments differ only through environment variables.

See .env.example for every variable, its meaning and its default.
"""

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config import env
from config.schedule import BEAT_SCHEDULE

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env.env_str("CRM_DATA_DIR", str(BASE_DIR / ".data")))

DEBUG = env.env_bool("DEBUG", False)
SECRET_KEY = env.env_str("SECRET_KEY", "insecure-dev-key-only-for-debug" if DEBUG else env.REQUIRED)
if not DEBUG and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Environment variable SECRET_KEY must be at least 50 characters when DEBUG=false.")
ALLOWED_HOSTS = env.env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else env.REQUIRED)
CSRF_TRUSTED_ORIGINS = env.env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "accounts",
    "integrations",
    "crm",
    "leads",
    "funnel",
    "audit",
    # The audit trail's triggers (audit/): pgtrigger installs them through migrations, pghistory writes events.
    "pgtrigger",
    "pghistory",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.middleware.AuditContextMiddleware",
    "accounts.middleware.TeamTimezoneMiddleware",
    "accounts.middleware.WriteAnswerScopeMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.ApiErrorMiddleware",
    # After ApiErrorMiddleware: what they see of a view's answer is already its final problem document.
    "config.throttling.RateLimitHeadersMiddleware",
    "config.idempotency.IdempotencyMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the login page's lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
CSRF_FAILURE_VIEW = "config.problems.csrf_failure"
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
                "funnel.navigation.navigation",
            ],
        },
    },
]

# PostgreSQL only: the funnel relies on row locks, constraints, percentiles and triggers.
_database_url = env.env_url("DATABASE_URL", schemes=("postgres", "postgresql"), default=None)
if _database_url is None:
    from config.embedded_db import ensure_running

    _database_url = ensure_running(DATA_DIR / "pg")
DATABASES = {"default": env.database_from_url("DATABASE_URL", _database_url)}
DATABASES["default"]["CONN_MAX_AGE"] = env.env_int("DB_CONN_MAX_AGE", 60, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A read-only streaming replica of the primary: report and dashboard reads inside config.db_router's
# replica_reads() scope go there; every write, the one door and every service stay on the primary.
_replica_url = env.env_url("DATABASE_REPLICA_URL", schemes=("postgres", "postgresql"), default=None)
if _replica_url is not None:
    DATABASES["replica"] = {
        **env.database_from_url("DATABASE_REPLICA_URL", _replica_url),
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
    }
DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out username or address before a password is even checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Redis is the broker and cache in production. Without REDIS_URL, Celery uses kombu's filesystem transport in
# DATA_DIR/broker: worker and beat still run as real processes, with nothing to install.
REDIS_URL = env.env_url("REDIS_URL", schemes=("redis", "rediss"), default=None)
BROKER_DIR = DATA_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # The filesystem transport polls its folder; a tenth of a second keeps a backlog moving.
        "polling_interval": 0.1,
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    for _folder in ("", "processed", "control"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Metric recomputes take seconds to minutes: their own queue (and worker) keeps transitions' side effects prompt.
CELERY_TASK_ROUTES = {"funnel.tasks.metrics_*": {"queue": "metrics"}}
CELERY_TASK_ALWAYS_EAGER = env.env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = TIME_ZONE

# The audit trail (audit/) records who changed what: requests that may write carry their user (and API token)
# into PostgreSQL; reads skip it, as they change nothing tracked.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# Event tables copy the tracked columns, not their forms' details: a new choice or help text on a tracked field
# needs no audit migration.
PGHISTORY_EXCLUDE_FIELD_KWARGS = {
    "django.db.models.Field": ["choices", "help_text", "validators", "default", "blank", "verbose_name"]
}

# Working hours (of the receiving team's calendar) to accept or reject a handoff when no rule sets an SLA:
# 16 = two working days, the usual 24–48 h MQL window without counting nights and weekends.
FUNNEL_DEFAULT_ACCEPT_HOURS = env.env_int("FUNNEL_DEFAULT_ACCEPT_HOURS", 16, minimum=1)

# E-mail (the insight digest): printed to the console by default, written to files under EMAIL_FILE_PATH when
# it is set, sent by SMTP with EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and the EMAIL_* below.
EMAIL_FILE_PATH = env.env_str("EMAIL_FILE_PATH", "")
EMAIL_BACKEND = env.env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend"
    if EMAIL_FILE_PATH
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env.env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env.env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env.env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env.env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env.env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env.env_str("DEFAULT_FROM_EMAIL", "crm@localhost")
# The site's address as people reach it, for links in e-mails.
SITE_URL = env.env_url("SITE_URL", schemes=("http", "https"), default="http://127.0.0.1:8000")

# Webhooks go to public addresses only; private, loopback and link-local targets need their network listed here
# (CIDRs, e.g. "10.20.0.0/16,127.0.0.1/32"). Checked when a subscription is saved and again at every connect.
WEBHOOK_ALLOWED_NETWORKS = env.env_networks("WEBHOOK_ALLOWED_NETWORKS")
WEBHOOK_TIMEOUT_SECONDS = env.env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
# Tries per delivery (backoff 30 s doubling, ±20 % jitter: 8 tries span about an hour), and failed tries in a
# row after which a subscription is disabled and its owner told.
WEBHOOK_MAX_ATTEMPTS = env.env_int("WEBHOOK_MAX_ATTEMPTS", 8, minimum=1)
WEBHOOK_DISABLE_AFTER_FAILURES = env.env_int("WEBHOOK_DISABLE_AFTER_FAILURES", 20, minimum=1)

# The API's edge (config/throttling.py, config/idempotency.py) counts and locks in Redis (REDIS_URL), else in
# each process's memory; every key starts with this prefix.
SHARED_STORE_PREFIX = "crm"
# Requests per window ("600/min"; s, min, h, day) per logged-in person, per API token, per anonymous address.
API_RATE_LIMIT_USER = env.env_rate("API_RATE_LIMIT_USER", "600/min")
API_RATE_LIMIT_TOKEN = env.env_rate("API_RATE_LIMIT_TOKEN", "1200/min")
API_RATE_LIMIT_ANON = env.env_rate("API_RATE_LIMIT_ANON", "60/min")
# Reverse proxies in front of the server that append to X-Forwarded-For; 0 trusts REMOTE_ADDR only (a client
# writes X-Forwarded-For as it likes). Rate limits and log-in lockouts count per address with it.
TRUSTED_PROXY_COUNT = env.env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
# An Idempotency-Key's answer is kept this long; the key is locked at most IDEMPOTENCY_LOCK_SECONDS while its
# first request runs (longer than gunicorn's 30 s worker timeout, so a live request never loses it).
IDEMPOTENCY_TTL_SECONDS = env.env_int("IDEMPOTENCY_TTL_SECONDS", 24 * 3600, minimum=1)
IDEMPOTENCY_LOCK_SECONDS = env.env_int("IDEMPOTENCY_LOCK_SECONDS", 60, minimum=1)

# Log-in attempts (django-axes, failures kept in its database tables): LOGIN_FAILURE_LIMIT failures lock the
# username, and separately the address, for LOGIN_LOCKOUT_MINUTES; a successful log-in clears the failures.
AXES_FAILURE_LIMIT = env.env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env.env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "config.throttling.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.views.login_locked_out"
AXES_VERBOSE = False

# Endpoints that take files, with the largest request each accepts (the file plus a little for the form).
API_UPLOAD_LIMITS = {"/api/v1/imports/": 51 * 1024 * 1024}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.authentication.TokenScopePermission",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "config.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.problems.problem_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "config.throttling.TokenRateThrottle",
        "config.throttling.UserRateThrottle",
        "config.throttling.AnonRateThrottle",
    ],
    # The API speaks JSON only: another body type is a 415, not a second way to spell the same input.
    "DEFAULT_PARSER_CLASSES": ["config.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Shared-funnel CRM API",
    "DESCRIPTION": "One funnel for sales and marketing: leads, agreed definitions, handoff rules and handoffs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "StageEnum": "leads.choices.Stage",
        "FunctionEnum": "accounts.choices.Function",
        "CampaignChannelEnum": "crm.choices.Channel",
        "InteractionChannelEnum": "crm.choices.InteractionChannel",
        "CampaignStatusEnum": "crm.choices.CampaignStatus",
        "VersionStatusEnum": "leads.choices.VersionStatus",
        "TouchKindEnum": "crm.choices.TouchKind",
        "CollateralKindEnum": "crm.choices.CollateralKind",
        "CollateralStatusEnum": "crm.choices.CollateralStatus",
        "TagKindEnum": "crm.choices.TagKind",
        "TagStatusEnum": "crm.choices.TagStatus",
        "SegmentEnum": "crm.choices.Segment",
        "SimulationKindEnum": "funnel.simulation.choices.SimulationKind",
        "SimulationStatusEnum": "funnel.simulation.choices.SimulationStatus",
        "RuleStateEnum": "funnel.simulation.choices.RuleState",
        # Marketing or sales: a sign-off's side and a diagnostic respondent's function are the same choice set.
        "SideEnum": "leads.choices.SignOffSide",
        "IntegrationLevelEnum": "funnel.diagnostic.choices.Level",
        "MetricPeriodKindEnum": "funnel.metrics.choices.PeriodKind",
        "TargetPeriodKindEnum": "funnel.targets.choices.TargetPeriod",
        "DigestPeriodKindEnum": "funnel.insight.choices.PeriodKind",
    },
}

# Production hardening; every one of these is on unless DEBUG, so `check --deploy` passes with zero warnings.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Cookies travel over TLS only, unless a local run serves plain HTTP (run.py sets SECURE_COOKIES=false).
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.env_bool("SECURE_COOKIES", not DEBUG)
SECURE_HSTS_SECONDS = env.env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = env.env_list("SILENCED_SYSTEM_CHECKS", [])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.env_str("LOG_LEVEL", "INFO")},
}
