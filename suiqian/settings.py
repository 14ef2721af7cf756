"""Settings for suiqian, read from the environment.

DATABASE_URL  database (default: SQLite file under var/)
SECRET_KEY    Django secret (default: generated once into var/secret_key)
DEBUG         "1" to enable debug mode (off by default)
ALLOWED_HOSTS comma-separated host names
DATABASE_REPLICA_URLS  comma-separated PostgreSQL streaming replicas for dashboards, rankings, exports and API reads
DATABASE_POOLER        "transaction" when connections go through pgbouncer in transaction pooling
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("SUIQIAN_VAR_DIR", BASE_DIR.parent / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_from_file(name: str) -> str:
    """Generate a secret once and keep it in var/ so restarts keep sessions valid."""
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or _secret_from_file("secret_key")
DEBUG = os.environ.get("DEBUG", "") in ("1", "true", "True", "yes")
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "suiqian.divisions",
    "suiqian.accounts",
    "suiqian.reporting",
    "suiqian.supervision",
    "suiqian.dashboard",
    "suiqian.policies",
    "suiqian.notices",
    "suiqian.ops",
    "suiqian.rosters",
    "suiqian.edustats",
    "suiqian.api",
    "suiqian.portal",
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
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "suiqian.accounts.audit.AuditContextMiddleware",
    "suiqian.lib.dbrouter.ReplicaMiddleware",
    "csp.middleware.CSPMiddleware",
    "suiqian.lib.headers.NoStoreMiddleware",
]

ROOT_URLCONF = "suiqian.urls"
WSGI_APPLICATION = "suiqian.wsgi.application"

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
                "suiqian.accounts.context_processors.scope",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'suiqian.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while one writer commits; busy timeout avoids "database is locked".
    # IMMEDIATE: a transaction takes the write lock when it begins, so two reviewers acting at once are
    # serialised and the second sees the first's decision (as SELECT ... FOR UPDATE does on PostgreSQL).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE",
         "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
    # Tests use a file too: an in-memory shared-cache database answers "table is locked" at once instead of
    # waiting, which is not how the platform runs.
    # One per process, so two test runs in one tree do not share (and corrupt) a database file.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-suiqian-{os.getpid()}.sqlite3")}

# Read replicas (suiqian/lib/dbrouter.py): aliases replica_1, replica_2, … in the order given.
for _n, _url in enumerate(u.strip() for u in os.environ.get("DATABASE_REPLICA_URLS", "").split(",") if u.strip()):
    _replica = dj_database_url.parse(_url, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")))
    if _replica["ENGINE"] != DATABASES["default"]["ENGINE"] or "postgresql" not in _replica["ENGINE"]:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("DATABASE_REPLICA_URLS: replicas are PostgreSQL streaming standbys of DATABASE_URL")
    # A replica that does not answer must cost a page seconds, not minutes; tests read the primary's test
    # database through it (it arrives by streaming replication, so there is nothing to create).
    _replica.setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica_{_n + 1}"] = _replica
# Behind pgbouncer in transaction pooling a server-side cursor would outlive its transaction's server connection.
if os.environ.get("DATABASE_POOLER", "") == "transaction":
    for _db in DATABASES.values():
        _db["DISABLE_SERVER_SIDE_CURSORS"] = True
DATABASE_ROUTERS = ["suiqian.lib.dbrouter.ReplicaRouter"]
# A replica further behind the primary than this (pg_last_xact_replay_timestamp) is skipped.
DATABASE_REPLICA_MAX_LAG = float(os.environ.get("DATABASE_REPLICA_MAX_LAG", "10"))
# How long after a user's write their reads stay on the primary (read-your-writes), in seconds.
DATABASE_REPLICA_PIN = int(os.environ.get("DATABASE_REPLICA_PIN", "30"))
# How long one replica health check (up, lag) is trusted per process, in seconds.
DATABASE_REPLICA_CHECK_INTERVAL = float(os.environ.get("DATABASE_REPLICA_CHECK_INTERVAL", "5"))

# Background work (roster imports, dropout detection, large documents, reminders): the database is the queue,
# `suiqian worker` runs it beside the web server.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Folders under MEDIA_ROOT that `suiqian backup` leaves out: roster uploads waiting for their import
# (sealed, with every child's 身份证号 inside, and removed when the import ends).
BACKUP_EXCLUDED_MEDIA = ("rosters/uploads",)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For is believed: the client
# address for the lockout and the audit log is read through them (suiqian/lib/clientip.py). Empty: REMOTE_ADDR.
TRUSTED_PROXIES = [p for p in os.environ.get("TRUSTED_PROXIES", "").split(",") if p.strip()]

# Login rate limiting: five failures lock the username+IP pair for 30 minutes — the pair, so that nobody
# can lock a county out from elsewhere (unit codes are public usernames).
AXES_CLIENT_IP_CALLABLE = "suiqian.lib.clientip.client_ip"
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the page, not the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Sent only on HTTPS requests (Django's SecurityMiddleware), so plain-HTTP trials are unaffected.
SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
SECURE_REFERRER_POLICY = "same-origin"
# Strict: scripts only from our own vendored files, nothing inline, no eval. Styles allow inline attributes
# because ECharts writes its tooltips as markup with style="" and the form layout sets column widths inline;
# an inline style cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if os.environ.get("HTTPS", "") == "1":
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    # TLS ends at the reverse proxy, which must send X-Forwarded-Proto: https (see README).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Map polygons per province (<code>.geojson); point this elsewhere to use a map with an official 审图号.
MAP_DIR = Path(os.environ.get("SUIQIAN_MAP_DIR", BASE_DIR / "dashboard" / "maps"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Served through the app, never directly: uploads are scoped like every other record.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Key of the keyed hash (HMAC-SHA256) under which 身份证号 are matched; derived from SECRET_KEY when unset.
# Set it explicitly in production and keep it with the backups: without it old rosters cannot be matched.
ROSTER_ID_KEY = os.environ.get("ROSTER_ID_KEY") or None

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "suiqian@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# The portable backup keeps datetimes to the microsecond (suiqian/ops/portable.py).
SERIALIZATION_MODULES = {"json-exact": "suiqian.ops.portable"}
