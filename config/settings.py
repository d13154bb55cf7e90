"""Settings for the CRM, read from the environment (one module, as healthchecks does).

SQLite in a file by default; PostgreSQL when DATABASE_URL is set.
"""

import os
import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url
import dj_email_url
from csp.constants import NONE, SELF, UNSAFE_INLINE

from crm.logging import REQUEST_LOGGERS

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str = "False") -> bool:
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG")

# No default in production: without SECRET_KEY the app server refuses to start
# (config/wsgi.py), Django refuses anything that signs, and `check --deploy` reports it;
# commands that need no secret (makemigrations --check, say) still run. The tests get
# theirs from config/settings_test.py.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
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
    "django.forms",  # Django's own form templates, for FORM_RENDERER
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "crm",
    "selections",
    "followups",
    "notices",
]
# The demo data (`manage.py seed_demo`, which `make run` runs) and its factories: for
# development only; production installs neither the app nor factory-boy and Faker.
if DEBUG:
    INSTALLED_APPS.append("demo")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads a form: a body in another charset is refused with 415.
    "crm.middleware.FormCharsetMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # The associate's date style (from the session) for the date filters and fields.
    "crm.dates.DateStyleMiddleware",
    # The associate's time zone (from the session): times render and are read in it.
    "crm.dates.TimeZoneMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every answer to a logged-in user: Cache-Control: private, no-store.
    "crm.middleware.NoStoreForUsersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Only our own scripts run: no inline script, no eval, nothing from elsewhere. Inline
# style attributes stay allowed (a follow-up type's colour).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Login throttling (django-axes): 5 failures for a username from one address lock it for
# 15 minutes; a successful login resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client's address (django-ipware). With PROXY_COUNT = 0 the app is reached directly
# and it is REMOTE_ADDR. Behind PROXY_COUNT proxies, REMOTE_ADDR is the nearest proxy and
# each proxy appended the address it was reached from to X-Forwarded-For, so the client's
# is the PROXY_COUNT-th entry from the right; whatever the client wrote further left is
# ignored, so a forged header neither moves a lockout nor escapes one.
PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
AXES_IPWARE_PROXY_COUNT: int | None
if PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR",)
    # ipware counts the proxies listed in the header; the nearest one is not in it.
    AXES_IPWARE_PROXY_COUNT = PROXY_COUNT - 1
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
    AXES_IPWARE_PROXY_COUNT = None
AXES_IPWARE_PROXY_ORDER = "left-most"
# A header with more entries than proxies (client-written ones on the left) or with a
# malformed entry is still read from the right, not discarded (strict mode discards it).
IPWARE_STRICT = False

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
                "django.template.context_processors.i18n",
            ],
            # `date` and `time` in the associate's date style (crm/dates.py); they
            # replace Django's filters of the same name in every template.
            "builtins": ["crm.templatetags.dates"],
        },
    },
]

# Widgets render with the project's templates too (templates/followups/widgets/).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A statement still running after STATEMENT_TIMEOUT milliseconds is cancelled and its
    # transaction rolled back, instead of holding locks (a generation of 100,000
    # follow-ups takes a few seconds).
    # JIT off: the app's queries are short, and PostgreSQL compiled some of them (the
    # generations page: 10 ms of work, 400 ms of compiling) on an estimate of rows that a
    # partial index never holds.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c statement_timeout={int(os.environ.get('STATEMENT_TIMEOUT', '120000'))} -c jit=off"
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The owners' indexes carry a few columns as INCLUDE on PostgreSQL; SQLite builds
    # them without (followups.models.FILTERED), which is what is wanted there.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
    # WAL and a busy timeout let the dev server and a shell write at the same time.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        # A 64 MB page cache and memory-mapped reads: a million follow-ups' indexes do not
        # fit in the 2 MB default cache.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
            " PRAGMA mmap_size=1073741824;"
        ),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The "jobs" database: background generations' progress and the task queue, written
# while a generation's own transaction is still open (config/routers.py says why). On
# PostgreSQL it is the same database through a second connection; on SQLite a file of
# its own beside the main one.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _main = str(DATABASES["default"]["NAME"])
    DATABASES["jobs"] = {
        **DATABASES["default"],
        "NAME": _main[: -len(".sqlite3")] + "-jobs.sqlite3"
        if _main.endswith(".sqlite3")
        else _main + "-jobs",
        "OPTIONS": {**DATABASES["default"]["OPTIONS"]},
        "TEST": {"NAME": None},
    }
else:
    DATABASES["jobs"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["config.routers.JobsRouter"]

# The task queue (django-tasks, the backport of Django 6's Tasks API) in the database
# (django-tasks-db); `manage.py db_worker` runs the tasks.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A generation of more follow-ups than this runs in the background, with progress.
BACKGROUND_GENERATION_ABOVE = int(os.environ.get("BACKGROUND_GENERATION_ABOVE", "20000"))
# How many follow-ups the background generation writes between two progress reports.
BACKGROUND_GENERATION_CHUNK = int(os.environ.get("BACKGROUND_GENERATION_CHUNK", "20000"))
# A running generation whose worker has reported nothing for this long has stopped (a
# chunk's statement is cancelled after STATEMENT_TIMEOUT on PostgreSQL; the margin
# covers the rest).
BACKGROUND_GENERATION_STALE_SECONDS = int(
    os.environ.get(
        "BACKGROUND_GENERATION_STALE_SECONDS",
        str(int(os.environ.get("STATEMENT_TIMEOUT", "120000")) // 1000 + 30),
    )
)

# E-mail (notices to owners, the morning digest) from one URL, parsed by dj-email-url:
# smtp://user:password@host:587/?tls=True, smtp://host:465/?ssl=True, console:// ...
# Development prints messages in the terminal; production sends through SMTP.
EMAIL_URL = os.environ.get("EMAIL_URL", "console://" if DEBUG else "smtp://localhost:25")
_email = dj_email_url.parse(EMAIL_URL)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"] or 20
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "CRM <crm@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where the app is reached from outside: the links in e-mail and the calendar feed's
# address start with it.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "selections:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nb", "Norsk bokmål")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The language cookie is read by the server only (no script reads it); Secure behind TLS.
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Oslo")
# Whose public holidays are not working days ("in N working days"): an ISO 3166 code.
HOLIDAY_COUNTRY = os.environ.get("HOLIDAY_COUNTRY", "NO")
USE_I18N = True
# Dates and times per language (config/formats/): day first and 24-hour in both.
FORMAT_MODULE_PATH = ["config.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or envbool("PLAIN_STATIC")
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Without collectstatic (development, tests) whitenoise finds nothing to pre-load.
warnings.filterwarnings("ignore", message="No directory at")

# Behind a TLS-terminating proxy in production.
if envbool("BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# A 4xx answer (403, 400, a bad Host, a CSRF failure) is logged as one line; only 5xx
# keep their traceback (crm/logging.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_traceback_for_4xx": {"()": "crm.logging.NoTracebackFor4xx"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        **{name: {"filters": ["no_traceback_for_4xx"]} for name in REQUEST_LOGGERS},
    },
}
AXES_VERBOSE = False
