"""Project settings, read from the environment and parsed strictly (see core/env.py)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from otklik.core.env import (
    DEVELOPMENT_SECRET_KEY,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    env_timezone,
    secret_key_problem,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("OTKLIK_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the SQLite database or the queue's file, media, mail

DEBUG = env_bool("DEBUG", False)
# Development is `make demo`, `make test` (both set OTKLIK_DEV=1), DEBUG, or a pytest run. Everywhere
# else the key signs sessions and links that change what the state answers: a missing, public or weak
# key would let anyone forge them, so start-up stops.
DEV_MODE = env_bool("OTKLIK_DEV", False) or DEBUG or "pytest" in sys.modules
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY and DEV_MODE:
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
elif not DEV_MODE and (problem := secret_key_problem(SECRET_KEY)):
    raise ImproperlyConfigured(f"SECRET_KEY: {problem}. Set a random value of 50 or more characters, e.g. "
                               "python -c 'import secrets; print(secrets.token_urlsafe(50))' "
                               "(on a developer's machine: OTKLIK_DEV=1)")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "django_tasks",
    "django_htmx",  # ships htmx as a static file (workspace pages)
    "axes",  # sign-in throttling (accounts/backends.py)
    "django_otp",
    "django_otp.plugins.otp_totp",  # two-factor sign-in for staff (accounts/two_factor.py)
    "ninja",  # serves Swagger UI of /api/docs from its own static files, not from a CDN
    "otklik.core",
    "otklik.accounts",
    "otklik.registry",
    "otklik.appeals",
    "otklik.notifications",
    "otklik.routing",
    "otklik.intake",
    "otklik.intake.social",
    "otklik.escalations",
    "otklik.participation",
    "otklik.portal",
    "otklik.reports",
    "otklik.workspace",
    "otklik.privacy",
    "otklik.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "otklik.core.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "otklik.core.audit.AuditActorMiddleware",  # who made a configuration change (core/audit.py)
    "django_otp.middleware.OTPMiddleware",
    "otklik.accounts.two_factor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "otklik.core.ratelimit.RateLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it turns a lockout into the Russian 429 page
]
# Open311 (a machine API: no sessions, sign-in, forms or messages, and the region's one language) runs
# this part of the chain (otklik/wsgi.py).
OPEN311_MIDDLEWARE = [m for m in MIDDLEWARE if m.rsplit(".", 1)[-1] in {
    "SecurityMiddleware", "DatabaseUnavailableMiddleware", "CommonMiddleware", "RateLimitMiddleware"}]
# Answers that are data only: one constant, strictest policy (core/headers.py) instead of the pages' CSP.
OPEN311_MIDDLEWARE.insert(1, "otklik.core.headers.DataOnlyHeadersMiddleware")

# Configuration whose every change is recorded with who, when and from where (core/audit.py): roles,
# routing, categories, deadlines and calendars, and the settings of each domain.
AUDITED_MODELS = (
    "accounts.Membership", "accounts.Absence",
    "registry.Category", "registry.RoutingRule", "registry.RegionSettings", "registry.CalendarOverride",
    "registry.Organization", "registry.Territory",
    "notifications.NoticeTemplate", "notifications.WebhookEndpoint",
    "routing.RoutingSettings", "routing.RoutingModel",
    "escalations.EscalationSettings", "escalations.SignalPhrase", "escalations.CategorySignificance",
    "participation.ParticipationSettings",
    "social.Source", "social.SocialSettings", "social.OfficialAccount",
)

ROOT_URLCONF = "otklik.urls"
WSGI_APPLICATION = "otklik.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "otklik" / "templates"],
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


def _postgresql(variable: str, url: str) -> dict[str, Any]:
    try:
        # A pooled connection is checked before reuse: after a database restart the first request
        # reconnects instead of failing on a dead socket.
        db = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0),
                                   conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{variable}: {exc}") from None
    if db.get("ENGINE") != "django.db.backends.postgresql":
        raise ImproperlyConfigured(f"{variable}: only postgresql:// URLs are supported")
    # No JIT compilation: a staff page's counts over an organisation's appeals cost enough for the planner
    # to compile them, and compiling took 240 of a query's 350 ms at a million appeals (bench/README.md).
    options = dict(db.get("OPTIONS") or {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    return {**db, "OPTIONS": options}


DATABASE_URL = env_str("DATABASE_URL", "")
# A read replica of the primary for the figures of reports (core/replica.py, docs/deployment.md).
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL and not DATABASE_URL:
    raise ImproperlyConfigured("DATABASE_REPLICA_URL: a read replica needs the primary on PostgreSQL too "
                               "(set DATABASE_URL=postgresql://…)")
if DATABASE_URL:
    DATABASES = {"default": _postgresql("DATABASE_URL", DATABASE_URL)}
    if DATABASE_REPLICA_URL:
        # Tests read the replica through the test database itself: no second test database is made.
        DATABASES["replica"] = {**_postgresql("DATABASE_REPLICA_URL", DATABASE_REPLICA_URL),
                                "TEST": {"MIRROR": "default"}}
        DATABASE_ROUTERS = ["otklik.core.replica.ReplicaRouter"]
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(VAR_DIR / "otklik.sqlite3")),
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue on the busy
                # timeout instead of failing with "database is locked" on lock upgrade.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A connection per thread is kept between requests: opening one costs more than many a
            # request, and closing the last one checkpoints the WAL in the request's time.
            "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60, minimum=0),
            "CONN_HEALTH_CHECKS": True,
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
AUTHENTICATION_BACKENDS = [
    "otklik.accounts.backends.ThrottledSignIn",  # first: a locked-out login is refused before the password check
    "django.contrib.auth.backends.ModelBackend",
]
# Repeated failures of one login from one address lock that pair out for a while (a person who forgot
# the password is not locked out everywhere, and nobody can lock out another person from elsewhere).
AXES_FAILURE_LIMIT = env_int("OTKLIK_SIGN_IN_FAILURES", 5, minimum=1, maximum=100)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("OTKLIK_SIGN_IN_LOCKOUT_MINUTES", 15, minimum=1, maximum=24 * 60))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "otklik.accounts.backends.locked_out"
AXES_VERBOSE = False
# Two-factor sign-in (TOTP) for administrators always, and for the roles named here
# (e.g. "head,regional_coordinator"). Development and tests switch it off unless asked.
TWO_FACTOR_REQUIRED = env_bool("OTKLIK_TWO_FACTOR", not DEV_MODE)
TWO_FACTOR_ROLES = env_list("OTKLIK_TWO_FACTOR_ROLES", [])
OTP_TOTP_ISSUER = env_str("OTKLIK_OTP_ISSUER", "Otklik")
# A refused form gets the site's Russian page, not Django's English one (which speaks of DEBUG).
CSRF_FAILURE_VIEW = "otklik.core.errors.csrf_failure"

# --- Accounts and transport (docs/security.md) ------------------------------------------------------
# Argon2 first (argon2-cffi): new and changed passwords are stored with it, older hashes are upgraded
# on the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# A session ends after a working day and when the browser closes: officials share computers.
SESSION_COOKIE_AGE = env_int("OTKLIK_SESSION_HOURS", 10, minimum=1, maximum=24 * 30) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Behind TLS (a proxy that terminates it sets X-Forwarded-Proto): Secure cookies, HSTS, HTTPS redirects.
BEHIND_TLS = env_bool("OTKLIK_TLS", False)
if BEHIND_TLS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = env_int("OTKLIK_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# The admin's address; a region moves it away from the well-known /admin/ that scanners try first.
ADMIN_PATH = env_str("OTKLIK_ADMIN_PATH", "admin/").strip("/") + "/"
LOGIN_REDIRECT_URL = "workspace:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The region's time zone: a deployment setting because Django needs it before the database is read.
TIME_ZONE = env_timezone("OTKLIK_TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS: list[Path | tuple[str, str]] = [BASE_DIR / "otklik" / "static"]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "otklik@localhost")
# How long a worker holds a notice it is sending before another worker may send it again.
NOTICE_LEASE_SECONDS = env_int("OTKLIK_NOTICE_LEASE_SECONDS", 120, minimum=1)

_queue = env_choice("OTKLIK_QUEUE", "sqlite", {"sqlite", "redis", "immediate"})
if _queue == "redis":
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "otklik",
        "url": env_str("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "immediate": False,
    }
else:
    # "immediate" runs tasks in-process (tests); Huey's default ties this to DEBUG, which is a trap.
    HUEY = {
        "huey_class": "otklik.core.queue.SqliteQueue",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "name": "otklik",
        "immediate": _queue == "immediate",
    }
TASKS = {"default": {"BACKEND": "huey.contrib.djhuey.tasks_backend.HueyBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Log lines lose phones and e-mails that slip into them (core/pii.py; docs/security.md).
    "filters": {"personal_data": {"()": "otklik.core.pii.MaskingFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["personal_data"]}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("LOG_LEVEL", "WARNING", {"DEBUG", "INFO", "WARNING", "ERROR"}),
    },
}

# --- Citizen portal, Open311 and widget (docs/portal.md, docs/open311.md) ---------------------------
# Leaflet comes from PyPI (xstatic-leaflet) and is served as static/leaflet/*.
import xstatic.pkg.leaflet  # noqa: E402

STATICFILES_DIRS.append(("leaflet", xstatic.pkg.leaflet.BASE_DIR))
# Chart.js comes from npm (package.json; `make install` runs `npm ci`) and is served as static/chartjs/*.
STATICFILES_DIRS.append(("chartjs", str(BASE_DIR / "node_modules" / "chart.js" / "dist")))
# Map tiles: any XYZ tile server; empty turns the map off (the form works without it).
PORTAL_MAP_TILE_URL = env_str("OTKLIK_MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
PORTAL_MAP_ATTRIBUTION = env_str("OTKLIK_MAP_ATTRIBUTION", "© OpenStreetMap")
try:
    PORTAL_MAP_CENTER = (
        float(env_str("OTKLIK_MAP_LAT", "55.751")), float(env_str("OTKLIK_MAP_LON", "37.618")),
        env_int("OTKLIK_MAP_ZOOM", 11, minimum=1, maximum=19),
    )
except ValueError:
    raise ImproperlyConfigured("OTKLIK_MAP_LAT / OTKLIK_MAP_LON: expected numbers") from None
PORTAL_UPLOAD_MAX_BYTES = env_int("OTKLIK_UPLOAD_MAX_MB", 10, minimum=1, maximum=100) * 1024 * 1024
PORTAL_UPLOAD_MAX_FILES = env_int("OTKLIK_UPLOAD_MAX_FILES", 5, minimum=0, maximum=20)
# Files are kept before the form is sent: bounded per form and per client (hashed address) per hour.
PORTAL_UPLOAD_MAX_BYTES_PER_FORM = env_int("OTKLIK_UPLOAD_FORM_MAX_MB", 20, minimum=1, maximum=500) * 1024 * 1024
PORTAL_UPLOAD_MAX_BYTES_PER_CLIENT_HOUR = env_int("OTKLIK_UPLOAD_CLIENT_HOUR_MAX_MB", 40, minimum=1,
                                                  maximum=5000) * 1024 * 1024
PORTAL_NEARBY_RADIUS_M = env_int("OTKLIK_NEARBY_RADIUS_M", 300, minimum=10)
# How long one public response may spend finding personal data in texts not yet checked (intake/redact.py).
PII_PUBLIC_BUDGET_SECONDS = env_int("OTKLIK_PII_BUDGET_MS", 1500, minimum=0, maximum=60000) / 1000
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
OPEN311_JURISDICTION_ID = env_str("OTKLIK_OPEN311_JURISDICTION", "")
OPEN311_SERVICE_TYPE = env_choice("OTKLIK_OPEN311_SERVICE_TYPE", "realtime", {"realtime", "batch"})
OPEN311_CONTACT = env_str("OTKLIK_OPEN311_CONTACT", "")
# OpenID Connect sign-in for citizens (an ESIA-like identity provider); off while the URL is empty.
OIDC_DISCOVERY_URL = env_str("OTKLIK_OIDC_DISCOVERY_URL", "")
OIDC_CLIENT_ID = env_str("OTKLIK_OIDC_CLIENT_ID", "")
OIDC_CLIENT_SECRET = env_str("OTKLIK_OIDC_CLIENT_SECRET", "")
OIDC_SCOPE = env_str("OTKLIK_OIDC_SCOPE", "openid email profile")
OIDC_PROVIDER_NAME = env_str("OTKLIK_OIDC_PROVIDER_NAME", "")

# Content-Security-Policy (django-csp): scripts only from our own static files, never inline; frames
# only for the widget's pages (portal.views.embeddable). Styles allow inline attributes: progress bars
# and map markers set widths and positions in markup; inline styles cannot run code.
from csp.constants import NONE, SELF  # noqa: E402


def _origin(url: str) -> list[str]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:", *_origin(PORTAL_MAP_TILE_URL)],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
    },
}

# A cache shared by every worker (Redis) holds the rate-limit counters; without OTKLIK_CACHE_URL each
# process counts alone (enough for the demo and tests, a weaker bound with several workers).
CACHE_URL = env_str("OTKLIK_CACHE_URL", "")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
          if CACHE_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
RATELIMIT_FAIL_OPEN = True  # a cache outage must not stop citizens from writing
# Requests per client (API key, signed-in user or address) per period: otklik/core/ratelimit.py.
RATE_LIMITS = {
    "submit": env_str("OTKLIK_RATE_SUBMIT", "20/m"),
    "sign_in": env_str("OTKLIK_RATE_SIGN_IN", "30/m"),
    "sign_up": env_str("OTKLIK_RATE_SIGN_UP", "10/h"),
    "track": env_str("OTKLIK_RATE_TRACK", "120/m"),
    "rate_and_comment": env_str("OTKLIK_RATE_RATE_AND_COMMENT", "20/h"),
    "follow": env_str("OTKLIK_RATE_FOLLOW", "30/h"),
    # Per API key: a key is issued by the administrator to one integrator (an app relays all its users)
    # and revoked in the admin; the limit stops a runaway client, not its users' traffic.
    "open311_post": env_str("OTKLIK_RATE_OPEN311_POST", "100000/h"),
    "api": env_str("OTKLIK_RATE_API", "1200/m"),
}
