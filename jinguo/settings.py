"""Jinguo settings: one file, configured from the environment with safe local defaults."""

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


DEBUG = env_bool("DEBUG", False)
# Production must set SECRET_KEY (jinguo.accounts.checks refuses to serve without it). The local
# demo gets a random key per process: there is no built-in key that anyone could sign tokens with.
SECRET_KEY_FROM_ENV = bool(env_str("SECRET_KEY"))
SECRET_KEY = env_str("SECRET_KEY") or secrets.token_urlsafe(50)
LOCAL_HOSTS = ("127.0.0.1", "localhost", "testserver", "[::1]")
ALLOWED_HOSTS = [h for h in env_str("ALLOWED_HOSTS", ",".join(LOCAL_HOSTS[:3])).split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env_str("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# Proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated): the nginx in
# front of the app. Empty: the client is REMOTE_ADDR (see jinguo.lib.client_ip).
TRUSTED_PROXIES = [p.strip() for p in env_str("TRUSTED_PROXIES", "").split(",") if p.strip()]
VAR_DIR = Path(env_str("JINGUO_VAR_DIR", str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_htmx",
    "csp",
    "ninja",  # serves the API docs' Swagger files locally instead of from a CDN
    "jinguo.orgs",
    "jinguo.accounts",
    "jinguo.audit",
    "jinguo.notifications",
    "jinguo.campaigns",
    "jinguo.activities",
    "jinguo.reports",
    "jinguo.quiz",
    "jinguo.contests",
    "jinguo.care",
    "jinguo.dashboard",
    "jinguo.documents",
    "jinguo.summaries",
    "jinguo.api",
    "jinguo.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "jinguo.quiz.middleware.PublicApiMiddleware",  # the quiz's cookie-less JSON API skips what follows
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "jinguo.lib.scoping.ScopeMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jinguo.urls"
WSGI_APPLICATION = "jinguo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "jinguo" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jinguo.notifications.context_processors.notifications",
                "jinguo.context_processors.menu",
            ],
            # {% load masking %}: the one phone, name and ID-number mask, as filters; {% load badges %}.
            "libraries": {"masking": "jinguo.lib.masking", "badges": "jinguo.lib.badges", "rates": "jinguo.lib.rates"},
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'jinguo.sqlite3'}"),
        # Seconds a connection is kept for reuse; "none": for the life of the process.
        conn_max_age=None if env_str("DB_CONN_MAX_AGE").lower() == "none" else env_int("DB_CONN_MAX_AGE", 60),
        # A persistent connection that died (database restart) is replaced before use, not on error.
        conn_health_checks=env_bool("DB_CONN_HEALTH_CHECKS", True),
    )
}
# The quiz's hot statements run as server-side prepared statements (jinguo/lib/db.py); psycopg
# prepares what such a cursor runs from its first execution. Django's ordinary cursors bind on the
# client and never prepare, whatever this says.
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DB_PREPARED_STATEMENTS:
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run while a writer commits; the timeout avoids "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        # mmap and a 32 MB page cache: reads come from mapped pages, not a read() per page (the quiz's
        # per-unit table over 200,000 participants: 366 -> 225 ms, bench/quiz "units").
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=268435456; PRAGMA cache_size=-32000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "jinguo.accounts.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "jinguo.accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions end after two idle hours and when the browser closes (shared office PCs).
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 2 * 60 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
# Content-Security-Policy: scripts, styles and fonts only from the app itself (no inline code,
# no CDN); images may be data:/blob: URIs (QR codes, ECharts' saved images). The pages, htmx
# (its indicator style is off, see base.html) and ECharts work under it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True  # only names below the app's own host, e.g. none at all
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
if TRUSTED_PROXIES:
    # Believed only because the trusted proxy (nginx: proxy_set_header X-Forwarded-Proto $scheme) sets it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Lockout: five failed logins for one username lock it for 15 minutes.
# Wrong passwords lock a user name from one address (5 in a row, 15 minutes), so that a stranger
# cannot lock the city admin out from anywhere; behind it, a slower limit per user name from all
# addresses together (jinguo.accounts.forms.LoginForm) stops a guesser with many addresses.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "jinguo.lib.client_ip.client_ip"
LOGIN_USER_FAILURE_LIMIT = env_int("LOGIN_USER_FAILURE_LIMIT", 20)
LOGIN_USER_FAILURE_WINDOW_MINUTES = 60
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "jinguo" / "static",
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
]
STATICFILES_DIRS = [d for d in STATICFILES_DIRS if (d[1] if isinstance(d, tuple) else d).exists()]
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
# Spreadsheet imports kept between their preview and their confirmation (jinguo/lib/uploads.py).
UPLOADS_DIR = Path(env_str("JINGUO_UPLOADS_DIR", str(VAR_DIR / "uploads")))

# The care registry's encryption keys (jinguo/care/crypto.py): a JSON file outside the database.
# Production must name it (jinguo.care.checks); the local demo generates one under var/.
CARE_KEYS_FROM_ENV = bool(env_str("CARE_KEYS_FILE"))
CARE_KEYS_FILE = Path(env_str("CARE_KEYS_FILE", str(VAR_DIR / "care-keys.json")))

# Attachments: what a notice may carry.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# SMS verification codes for the public quiz: a dotted path to a backend (jinguo/lib/sms.py);
# the default writes the code to the log instead of sending it.
SMS_BACKEND = env_str("SMS_BACKEND", "jinguo.lib.sms.LogBackend")
# Public quiz rate limits per minute. A whole school or village office may share one NAT address,
# so the per-address limit is generous; the per-phone one is tight.
QUIZ_RATE_PER_IP = env_int("QUIZ_RATE_PER_IP", 600)
QUIZ_RATE_PER_PHONE = env_int("QUIZ_RATE_PER_PHONE", 20)
# The unit picker's searches per address a minute (a keystroke is a request; a NAT is many people).
QUIZ_RATE_UNITS_PER_IP = env_int("QUIZ_RATE_UNITS_PER_IP", 3000)
# SMS codes (each one costs money): per address and site-wide per day (jinguo.quiz.public.send_code).
QUIZ_SMS_PER_IP_PER_DAY = env_int("QUIZ_SMS_PER_IP_PER_DAY", 50)
QUIZ_SMS_PER_DAY = env_int("QUIZ_SMS_PER_DAY", 10000)
# How long after its deadline a quiz attempt still takes its submit (the phone's network).
QUIZ_SUBMIT_GRACE_SECONDS = env_int("QUIZ_SUBMIT_GRACE_SECONDS", 15)
# The site's public address for quiz links and QR codes ("https://jinguo.example.cn"); empty: the
# address the organiser's request came to.
QUIZ_PUBLIC_BASE_URL = env_str("QUIZ_PUBLIC_BASE_URL", "")

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "jinguo@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

# HSTS preload: an intranet host is not submitted to the browsers' preload list.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
