"""Pilotgate settings.

Everything comes from the environment. Without any variable set, Pilotgate runs on
embedded defaults (a SQLite file, no broker, email printed to the console), so a
newcomer needs no service. A bad value stops start-up with a message naming the
variable.
"""

from datetime import timedelta
from pathlib import Path
from zoneinfo import available_timezones

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def _read(name: str, reader, default, hint: str):
    """Read one variable with a django-environ reader; fail loudly on a bad value."""
    try:
        return reader(name, default=default)
    except Exception as exc:  # django-environ raises several kinds of error
        raise ImproperlyConfigured(
            f"{name}={env.str(name, default='')!r} is not valid: {hint}"
        ) from exc


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def _bool(name: str, default: bool) -> bool:
    """Unlike env.bool, a word that is neither true nor false is an error."""
    value = env.str(name, default="1" if default else "0").strip().lower()
    if value not in _TRUE | _FALSE:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not valid: expected on/off, true/false, yes/no or 1/0"
        )
    return value in _TRUE


def _positive_int(name: str, default: int) -> int:
    value = _read(name, env.int, default, "expected a whole number")
    if value < 1:
        raise ImproperlyConfigured(f"{name}={value} is not valid: expected a number above 0")
    return value


DEBUG = _bool("DJANGO_DEBUG", True)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-DEBUG"

ALLOWED_HOSTS = _read(
    "DJANGO_ALLOWED_HOSTS", env.list, ["localhost", "127.0.0.1", "[::1]"], "a comma list"
)

TIME_ZONE = env.str("TIME_ZONE", default="UTC")
if TIME_ZONE not in available_timezones():
    raise ImproperlyConfigured(
        f"TIME_ZONE={TIME_ZONE!r} is not valid: expected a zone such as Europe/Paris"
    )
USE_TZ = True
LANGUAGE_CODE = "en-gb"
USE_I18N = False

DATABASES = {
    "default": _read(
        "DATABASE_URL",
        env.db_url,
        f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        "expected a URL such as postgres://user:password@host:5432/name",
    )
}
if DATABASES["default"]["ENGINE"] not in environ.Env.DB_SCHEMES.values():
    raise ImproperlyConfigured(
        f"DATABASE_URL={env.str('DATABASE_URL')!r} is not valid: expected a URL starting "
        "with postgres:// or sqlite://"
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    # JIT compilation costs more than it saves on the dashboard's aggregate queries.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")

# No REDIS_URL: no broker, tasks run in-process (see portfolio/celery.py).
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged once done, so one lost with its worker runs again on another;
# the tasks are safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A request that queues work gives up quickly on a broker that is down (and logs it).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A hung Redis (it accepts connections and never answers) costs a request at most
# about two seconds: timeouts on every socket, the broker's and the results'.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}
CELERY_REDIS_SOCKET_TIMEOUT = 2
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
CELERY_BEAT_SCHEDULE = {
    # Every day at 05:30, TIME_ZONE: record the pilots that became stalled, drifting
    # or cleared since the day before.
    "flag-stalls": {
        "task": "portfolio.tasks.flag_stalls_task",
        "schedule": crontab(minute=30, hour=5),
    },
    # Every day at 23:50, TIME_ZONE: the day's gate figures, kept for the portfolio as
    # of a past day (gate states are not rebuilt from the records).
    "snapshot-portfolio": {
        "task": "portfolio.tasks.snapshot_portfolio_task",
        "schedule": crontab(minute=50, hour=23),
    },
    # Every day at 05:35, TIME_ZONE: record the piloting pilots whose planned end
    # passed as decision due, and email their decision makers.
    "flag-decisions-due": {
        "task": "portfolio.tasks.flag_decisions_due_task",
        "schedule": crontab(minute=35, hour=5),
    },
    # Every ten minutes: email the decision makers of the pilots that fell due since
    # (a reading reached the target), and retry what an outage left unsent.
    "send-decisions-due": {
        "task": "portfolio.tasks.send_decisions_due_task",
        "schedule": crontab(minute="*/10"),
    },
    # Mondays at 07:00, TIME_ZONE: the weekly owner alerts and executive digests (they
    # record the day's stall changes first). Again every hour until noon: a recipient
    # gets the week's email once, so these runs only send what an outage of the broker
    # or the SMTP server left unsent (the scheduler skips a run it could not queue).
    "send-stall-alerts": {
        "task": "portfolio.tasks.send_stall_alerts_task",
        "schedule": crontab(minute=0, hour="7-12", day_of_week="mon"),
    },
}
if REDIS_URL:
    # Every five minutes, where the web processes share the cache (Redis): what the
    # dashboard keeps, computed again if the portfolio changed, before anyone waits.
    CELERY_BEAT_SCHEDULE["warm-dashboard"] = {
        "task": "portfolio.tasks.warm_dashboard_task",
        "schedule": crontab(minute="*/5"),
    }

_email = _read(
    "EMAIL_URL", env.email_url, "consolemail://", "expected a URL such as smtp://host:1025"
)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Pilotgate <pilotgate@localhost>")

SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Days "awaiting decision" after which a pilot counts as stalled (DOMAIN: 60).
STALL_AFTER_DAYS = _positive_int("STALL_AFTER_DAYS", 60)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "simple_history",
    "axes",
    # Loads portfolio/rules.py, the permissions, at start-up.
    "rules.apps.AutodiscoverRulesConfig",
    "portfolio",
    "gates",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After the authentication: the history of every change records who made it.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "portfolio.lib.middleware.PrivateCacheMiddleware",
    # Last: turns a locked-out sign-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portfolio.urls"
WSGI_APPLICATION = "portfolio.wsgi.application"

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
            ],
        },
    },
]

AUTH_USER_MODEL = "portfolio.User"
# The object permissions (who edits, decides, approves, reviews) are predicates in
# portfolio/rules.py.
AUTHENTICATION_BACKENDS = [
    # First: refuses every sign-in (form or HTTP Basic) of a locked-out account or address.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "rules.permissions.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Throttling. Five wrong passwords for one account, or from one address, lock that
# account or address out of signing in (form and HTTP Basic) for 15 minutes; the answer
# is the same whether the account exists or not. Governance admins see and lift
# lock-outs in the administration ("Access attempts": delete the row).
AXES_FAILURE_LIMIT = _positive_int("SIGN_IN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=_positive_int("SIGN_IN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"  # Django's sign-in form names the email so
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portfolio.accounts.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["password"]
# Behind a reverse proxy every request comes from the proxy: the client's address is
# the header the proxy sets and the client cannot (nginx's X-Real-IP, as
# DJANGO_CLIENT_IP_HEADER=HTTP_X_REAL_IP). Unset: REMOTE_ADDR, no proxy in front.
CLIENT_IP_HEADER = env.str("DJANGO_CLIENT_IP_HEADER", default="")
if CLIENT_IP_HEADER:
    AXES_IPWARE_META_PRECEDENCE_ORDER = [CLIENT_IP_HEADER]
    RATELIMIT_IP_META_KEY = CLIENT_IP_HEADER
# Password resets: at most this many emails to one address, and requests from one client
# address, an hour (django-ratelimit, counted in the cache).
PASSWORD_RESET_RATE_PER_EMAIL = "3/h"
PASSWORD_RESET_RATE_PER_CLIENT = "10/h"
# The pages behind an alert's signed links, per client address.
ALERT_LINK_RATE = "30/m"
RATELIMIT_VIEW = None

# The cache counts the limits above: Redis when there is one, so that every worker
# counts together; else the process's memory (one process: `make run`).
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "pilotgate",
            "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
SILENCED_SYSTEM_CHECKS = [
    # The HSTS preload list binds every subdomain of the company's domain for good: its
    # owner decides (DJANGO_SECURE_HSTS_PRELOAD=on), not a default.
    "security.W021",
]
if not REDIS_URL:
    # django-ratelimit asks for a cache shared by all workers; one process shares this.
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003", "django_ratelimit.W001"]

# Headers. A Content-Security-Policy that allows no inline script or style and nothing
# from another origin; pages a signed-in user sees are never stored by a shared cache
# (portfolio.lib.middleware). Without DEBUG, HTTPS is required: a year of HSTS and a
# redirect from http://, each turned off by its variable for a deployment whose
# TLS-terminating proxy does it (and which then sets DJANGO_SECURE_PROXY_SSL_HEADER).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = _bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = _bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = _read(
        "DJANGO_SECURE_HSTS_SECONDS", env.int, 31_536_000, "expected a number of seconds"
    )
    SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
    SECURE_HSTS_PRELOAD = _bool("DJANGO_SECURE_HSTS_PRELOAD", False)
    # /healthz answers a load balancer on plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if _bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A refused or missing page (403, 404) is one line in the log, not a traceback.
    "filters": {"one_line_4xx": {"()": "portfolio.lib.logging.OneLineClientErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.request": {"filters": ["one_line_4xx"]},
        "django.security": {"filters": ["one_line_4xx"]},
    },
}
