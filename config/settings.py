"""Settings for the helpline, read from the environment.

Unset, every variable gives the embedded default: SQLite under var/, the in-memory channel
layer, one process (`make run`). Production sets DATABASE_URL, REDIS_URL, SECRET_KEY (or
SECRET_KEY_FILE) and ALLOWED_HOSTS (see docker-compose.yml). There is no separate test
settings module: tests set the same environment variables.

Other modules never read settings at import time; they read `django.conf.settings` when
they run, so tests can override anything.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DEBUG", False)

# --- Database --------------------------------------------------------------------------

# Lower case, so not a setting: it may hold a password, and Django's debug page shows
# every upper-case setting whose name does not look secret.
database_url = env_str("DATABASE_URL", "")
EMBEDDED_DEFAULT = database_url == ""

# The periodic jobs write from their own thread while Daphne serves, and Daphne serves
# concurrent requests from several threads: WAL lets readers go on during a write,
# IMMEDIATE takes the write lock at BEGIN so two writers queue (up to `timeout`) instead
# of failing with "database is locked" half-way through a transaction (two staff claiming
# at once read, then write). For SQLite however it is named (a `sqlite://` DATABASE_URL
# too, as the browser tests use).
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}

if EMBEDDED_DEFAULT:
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "helpline.sqlite3",
            "OPTIONS": dict(SQLITE_OPTIONS),
        }
    }
else:
    try:
        DATABASES = {"default": dj_database_url.parse(database_url)}
    except ValueError:
        # dj-database-url's message may echo the URL, password included.
        raise ImproperlyConfigured("DATABASE_URL is not a database URL we understand") from None
    # The password may come from a container secret instead of sitting in DATABASE_URL.
    if (database_password := env_secret("DATABASE_PASSWORD")) is not None:
        DATABASES["default"]["PASSWORD"] = database_password
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        options = DATABASES["default"].get("OPTIONS", {})
        DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **options}

SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
# Keep connections: with 0, every ORM call of a socket opened a PostgreSQL connection and
# the ORM threads spent most of their time connecting (bench/). No health check before
# each reuse either (a `SELECT 1` per message): after a PostgreSQL restart the first
# query on a stale connection fails, the client is told `internal` and sends again
# (idempotent), and Django drops the broken connection.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 600, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
# Threads running the consumers' ORM calls per `serve` process (chat/db.py), each with
# its own connection: size PostgreSQL's max_connections for processes × this + a few.
# SQLite takes one writer at a time, so more threads would only queue on its lock.
CHAT_DB_THREADS = env_int("CHAT_DB_THREADS", 1 if SQLITE else 8, minimum=1)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channel layer ---------------------------------------------------------------------

redis_url = env_str("REDIS_URL", "")

if redis_url:
    # The pub/sub layer, not the stock `channels_redis.core.RedisChannelLayer`: with
    # redis-py 8 the core layer failed at about 400 open sockets in one process
    # ("MaxConnectionsError: Too many connections") and relayed half as many frames;
    # the pub/sub layer held (DESIGN §4, §8). Redis only carries live fan-out: every
    # message is in PostgreSQL first, and a reconnecting client catches up from there.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            # Timeouts: a Redis that stops answering (not refusing: a dropped network
            # path) would otherwise block group_send forever, and with it every frame
            # of the sockets behind it. With them, fan-out fails fast and clients sync.
            "CONFIG": {
                "hosts": [{"address": redis_url, "socket_timeout": 2, "socket_connect_timeout": 2}]
            },
        }
    }
else:
    # Embedded default: one process, so fan-out never has to leave it.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Secrets and hosts -----------------------------------------------------------------


def secret_key_embedded() -> str:
    """The embedded default's key, made once and kept in var/secret_key (mode 0600).

    Kept on disk so that a restart of `make run` does not log every staff member out.
    The key is written to a private temporary file and then hard-linked into place, which
    fails if the file exists: two processes starting at once agree on one key, and none
    ever reads a half-written file.
    """
    path = VAR_DIR / "secret_key"
    if not path.exists():
        descriptor, temporary = tempfile.mkstemp(dir=VAR_DIR, prefix=".secret_key.")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as secret_file:
                secret_file.write(secrets.token_urlsafe(50))
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise ImproperlyConfigured(f"{path} is empty; delete it to make a new key")
    return key


SECRET_KEY = env_secret("SECRET_KEY")
if SECRET_KEY is None:
    if not EMBEDDED_DEFAULT:
        raise ImproperlyConfigured(
            "SECRET_KEY is required (or SECRET_KEY_FILE) when DATABASE_URL is set; "
            "only the embedded default makes its own key"
        )
    SECRET_KEY = secret_key_embedded()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# --- Applications ----------------------------------------------------------------------

INSTALLED_APPS = [
    # First, so that its runserver replaces Django's and its Twisted reactor is
    # installed before anything else imports Twisted.
    "daphne",
    # django.contrib.admin behind the staff sign-in and its second factor.
    "ops.auth.admin_config.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "chat",
    "ops",
    "widget",
    # --- staff authentication and audit ---
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "ops.auth",
    "audit",
    # --- end of staff authentication and audit ---
]

MIDDLEWARE = [
    "config.security.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.static.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # --- staff authentication: which second factor verified the session
    # (django-otp), then no session counts unless it went through both factors and is
    # still on record (ops/auth/middleware.py) ---
    "django_otp.middleware.OTPMiddleware",
    "ops.auth.middleware.StaffSessionMiddleware",
    # --- end of staff authentication ---
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Domain packages of the staff side that keep their own templates (ops/selfhelp/).
        "DIRS": [BASE_DIR / "ops" / "selfhelp" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Passwords -------------------------------------------------------------------------

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    # Kept so hashes made before Argon2 still verify (and are upgraded on login).
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Security headers and cookies ------------------------------------------------------

# A browser must not tell the next site it opens that it came from a helpline. Not
# "no-referrer" site-wide: Chromium then sends `Origin: null` with same-site form posts
# and Django's CSRF check refuses the staff login. The visitor's pages, which post no
# forms, set "no-referrer" themselves.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# The staff API answers a failed CSRF check in JSON like its other errors (ops/views.py).
CSRF_FAILURE_VIEW = "ops.views.csrf_failure"

# Staff sign-in (ops/urls.py).
LOGIN_URL = "ops:login"
LOGIN_REDIRECT_URL = "/staff/"
LOGOUT_REDIRECT_URL = "ops:login"

# --- Production profile ------------------------------------------------------------------
# PRODUCTION=true turns every transport protection on at once, behind the TLS-terminating
# proxy of docker-compose.yml; `manage.py check --deploy` is then clean (a test runs it).
# Each one can still be set on its own. Off by default, so the embedded default works
# over plain HTTP on 127.0.0.1. TRUST_X_FORWARDED_PROTO tells Django the request came in
# over HTTPS: only behind a proxy that always sets that header itself.
PRODUCTION = env_bool("PRODUCTION", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when PRODUCTION is on")
# Tests only: a file of seconds added to routing's clock (ops/clock.py), so a browser test
# can make a shift open on a live server. Unset, ops/clock.py reads no file at all.
HELPLINE_TEST_CLOCK_FILE = env_str("HELPLINE_TEST_CLOCK_FILE", "") or None
if PRODUCTION and HELPLINE_TEST_CLOCK_FILE:
    raise ImproperlyConfigured("HELPLINE_TEST_CLOCK_FILE is for tests: unset it in production")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
# A year of HSTS, subdomains included, preload-ready (the header alone submits nothing).
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", PRODUCTION)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The container health check asks over plain HTTP from inside the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$"]
X_FRAME_OPTIONS = "DENY"

# --- Staff authentication (ops/auth/, docs/threat-model.md) ----------------------------
# Password, then a second factor (TOTP, or a one-time recovery code), for every account:
# a session exists only once both are done (ops/auth/views.py), and the middleware
# drops any session that is not on record as such (ops/auth/middleware.py).
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Idle expiry: every request pushes the end of the session this far away. An open staff
# socket is not a request: it keeps working until it reconnects, and is closed at once
# on sign-out, sign-out everywhere and device revocation (chat/consumers/staff_session.py).
STAFF_SESSION_IDLE_SECONDS = env_int("STAFF_SESSION_IDLE_SECONDS", 8 * 3600, minimum=300)
SESSION_COOKIE_AGE = STAFF_SESSION_IDLE_SECONDS
SESSION_SAVE_EVERY_REQUEST = True
# How long the step between the password and the second factor may take.
STAFF_SECOND_FACTOR_SECONDS = env_int("STAFF_SECOND_FACTOR_SECONDS", 300, minimum=60)
STAFF_RECOVERY_CODES = 10
# django-otp: the issuer authenticator apps show; secrets hidden in the admin; throttling
# after a wrong code (1, 2, 4, 8 ... seconds, capped by django-otp).
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Helpline")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# django-axes: lock a username (never an address: none is stored or even seen, DESIGN
# §2) after AXES_FAILURE_LIMIT wrong passwords, for AXES_COOLOFF_MINUTES, not extended
# by tries during the lock and never permanent, so an attacker cannot keep a colleague
# out for longer than one cool-off per burst; the page says when to try again. Nothing
# but the username and a count is stored (ops/auth/lockout.py).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10, minimum=3)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
AXES_HANDLER = "ops.auth.lockout.UsernameOnlyHandler"
AXES_CLIENT_IP_CALLABLE = "ops.auth.lockout.client_address_none"
AXES_CLIENT_STR_CALLABLE = "ops.auth.lockout.client_str"
AXES_LOCKOUT_CALLABLE = "ops.auth.views.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "csrfmiddlewaretoken", "next"]
SILENCED_SYSTEM_CHECKS = [
    # "AXES_LOCKOUT_PARAMETERS does not contain 'ip_address'": on purpose, see above.
    "axes.W006",
]
# The audit log (audit/): who did what and when, never content; deleted after this.
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 365, minimum=1)
# /.well-known/security.txt (RFC 9116): where to report a vulnerability, and until when
# that is true (an ISO 8601 date or time; empty: 180 days from today, and a deploy check
# warns). Contacts are URIs: mailto:, https:, tel:.
SECURITY_TXT_CONTACT = env_list("SECURITY_TXT_CONTACT", [])
SECURITY_TXT_EXPIRES = env_str("SECURITY_TXT_EXPIRES", "")
SECURITY_TXT_LANGUAGES = "fr, en"
# --- end of staff authentication --------------------------------------------------------

# --- Languages and time ----------------------------------------------------------------

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
USE_I18N = True
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("HELPLINE_TIME_ZONE", "Europe/Paris")
USE_TZ = True

# --- Static files ----------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
# Made here so WhiteNoise does not warn about a missing directory when the files are
# served from the app directories (below).
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# STATIC_COLLECTED=true: `collectstatic` ran with these settings (the image does it
# when it is built, `make run` before it serves). Pages then name every file by a hash
# of its content, WhiteNoise serves the brotli or gzip copy collectstatic made, and a
# hashed file is cached for a year as immutable: a visitor's second visit fetches
# nothing but the page (docs/operations.md, "Static files"). Without it (tests, a
# development checkout) the files are served as they are from the app directories, so
# an edit shows at once.
STATIC_COLLECTED = env_bool("STATIC_COLLECTED", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_COLLECTED
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Finders would serve the uncompressed originals under the unhashed names in place of
# the collected copies: only when nothing was collected.
WHITENOISE_USE_FINDERS = not STATIC_COLLECTED

# --- Logging ---------------------------------------------------------------------------

# No IP address, user agent or token is ever logged (DESIGN §2). config/privacy.py
# removes client addresses from every request before our code sees it; the loggers
# below keep the libraries that see the socket itself from printing them.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured("LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
FRAMEWORK_LOG_LEVEL = "INFO" if LOG_LEVEL == "DEBUG" else "WARNING"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": FRAMEWORK_LOG_LEVEL, "propagate": False},
        # 4xx warnings carry the request path; only server errors are worth a line.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # Daphne's `runserver` writes its access log here, client address included.
        "django.channels.server": {"handlers": [], "level": "CRITICAL", "propagate": False},
        # Never DEBUG, even with LOG_LEVEL=DEBUG: Daphne's debug lines name the client
        # address of every connection.
        "daphne": {"handlers": ["console"], "level": FRAMEWORK_LOG_LEVEL, "propagate": False},
        "chat": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "ops": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # django-axes logs every sign-in at INFO (naming no client: ops/auth/lockout.py).
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # INFO at least: this is where channels_redis reports messages it dropped.
        "channels_redis": {
            "handlers": ["console"],
            "level": "DEBUG" if LOG_LEVEL == "DEBUG" else "INFO",
            "propagate": False,
        },
    },
}

# --- The helpline ----------------------------------------------------------------------

# The protocol's cap on one websocket frame (docs/protocol.md); `serve` lets Daphne take
# up to twice this so the consumer can answer an oversized frame with an error frame.
CHAT_MAX_FRAME_BYTES = env_int("CHAT_MAX_FRAME_BYTES", 65536, minimum=1024)
# Per-connection token bucket for incoming frames.
CHAT_RATE_PER_SECOND = env_int("CHAT_RATE_PER_SECOND", 20, minimum=1)
CHAT_RATE_BURST = env_int("CHAT_RATE_BURST", 60, minimum=1)
# Per conversation, whatever the number of sockets writing in it, so more sockets buy no
# more (by default what one socket may; chat/ratelimit.py).
CHAT_CONVERSATION_RATE_PER_SECOND = env_int(
    "CHAT_CONVERSATION_RATE_PER_SECOND", CHAT_RATE_PER_SECOND, minimum=1
)
CHAT_CONVERSATION_RATE_BURST = env_int("CHAT_CONVERSATION_RATE_BURST", CHAT_RATE_BURST, minimum=1)
# The proof of work a new conversation costs (chat/open_challenge.py, ALTCHA
# v1): the secret number of a challenge is at most CHAT_OPEN_POW_NUMBER (about 25,000
# SHA-256 on average: well under a second in a phone's Web Worker) while the last minute
# saw at most CHAT_OPENS_PER_MINUTE opens, every worker together; doubled for each
# further CHAT_OPENS_PER_MINUTE, up to CHAT_OPEN_POW_NUMBER_MAX. Nobody is refused for
# what others did: a flood raises the price for everyone, its sender pays it per open.
CHAT_OPENS_PER_MINUTE = env_int("CHAT_OPENS_PER_MINUTE", 60, minimum=1)
CHAT_OPEN_POW_NUMBER = env_int("CHAT_OPEN_POW_NUMBER", 50_000, minimum=1)
CHAT_OPEN_POW_NUMBER_MAX = env_int("CHAT_OPEN_POW_NUMBER_MAX", 1_600_000, minimum=1)
# How long a challenge may be solved and used (the widget solves it as the page loads).
CHAT_OPEN_CHALLENGE_SECONDS = env_int("CHAT_OPEN_CHALLENGE_SECONDS", 1800, minimum=60)
# What one socket may make a worker hold (docs/operations.md, "Limits of one socket"):
# bytes waiting to be sent to it (past them it is closed, 4413: its client does not
# read; chat/server.py), bytes of frames received and not handled yet, the ciphertext
# bytes of one page of a backlog (`sync`, resume, subscribe: `sync.done` says `more`),
# and how long a page waits for the client to take the previous one before 4413.
CHAT_SEND_QUEUE_BYTES = env_int("CHAT_SEND_QUEUE_BYTES", 1024 * 1024, minimum=256 * 1024)
CHAT_RECEIVE_QUEUE_BYTES = env_int("CHAT_RECEIVE_QUEUE_BYTES", 1024 * 1024, minimum=128 * 1024)
CHAT_SYNC_PAGE_BYTES = env_int("CHAT_SYNC_PAGE_BYTES", 256 * 1024, minimum=32 * 1024)
CHAT_SEND_STALL_SECONDS = env_int("CHAT_SEND_STALL_SECONDS", 30, minimum=1)
# A page is sent once less than a page waits, and its frames are about 4/3 of its
# ciphertext (base64): the queue must hold three pages, or slow readers would be cut.
if CHAT_SYNC_PAGE_BYTES * 3 > CHAT_SEND_QUEUE_BYTES:
    raise ImproperlyConfigured("CHAT_SEND_QUEUE_BYTES must hold three CHAT_SYNC_PAGE_BYTES pages")
# The server pings every socket this often and drops one whose pong has not come this
# long after (a phone that lost signal; a client that stopped reading, whatever else it
# sends: chat/server.py).
CHAT_PING_INTERVAL_SECONDS = env_int("CHAT_PING_INTERVAL_SECONDS", 20, minimum=1)
CHAT_PING_TIMEOUT_SECONDS = env_int("CHAT_PING_TIMEOUT_SECONDS", 30, minimum=1)
# Live sockets of one conversation (visitor) or one device (staff, interpreter) in one
# process; one more is refused `rate_limited` until one closes.
CHAT_SOCKETS_PER_TOKEN = env_int("CHAT_SOCKETS_PER_TOKEN", 8, minimum=1)
# A flood: a socket is closed (4429) once, within the last CHAT_FLOOD_WINDOW_SECONDS, at
# least CHAT_FLOOD_REFUSED_MIN of its frames were refused and they were at least
# CHAT_FLOOD_REFUSED_PERCENT of all its frames (chat/ratelimit.py, RefusalWindow).
CHAT_FLOOD_WINDOW_SECONDS = env_int("CHAT_FLOOD_WINDOW_SECONDS", 10, minimum=1)
CHAT_FLOOD_REFUSED_MIN = env_int("CHAT_FLOOD_REFUSED_MIN", 100, minimum=1)
CHAT_FLOOD_REFUSED_PERCENT = env_int("CHAT_FLOOD_REFUSED_PERCENT", 50, minimum=1)
# Security decisions reach open sockets without Redis: every frame of an authenticated
# socket re-checks its device and session (staff) or token (visitor) in the database
# when the last check is older than this; and each process reads the notices table
# (revocations, sign-outs, interpreters leaving, blocks; chat/notices.py) this often.
CHAT_PARTY_RECHECK_SECONDS = env_int("CHAT_PARTY_RECHECK_SECONDS", 2, minimum=0)
CHAT_NOTICES_POLL_SECONDS = env_int("CHAT_NOTICES_POLL_SECONDS", 3, minimum=1)
# Return codes (docs/protocol.md §10, docs/operations.md "Return codes"): the server
# keeps HMAC(pepper, lookup). Unset, the pepper is derived from SECRET_KEY (so the
# embedded default and tests work) and `check --deploy` warns (chat.W001). Lookups
# (chat/return_code_limits.py): per socket a bucket; every lookup, right or wrong, takes
# one of the second's budget before it runs, every process together (in Redis when
# REDIS_URL is set, else in this process); a try past the budget waits in a small queue
# for a later second, then is refused `rate_limited`. No lock on a code.
RETURN_CODE_PEPPER = env_secret("RETURN_CODE_PEPPER")
CHAT_RETURN_CODE_TRIES_BURST = env_int("CHAT_RETURN_CODE_TRIES_BURST", 5, minimum=1)
CHAT_RETURN_CODE_TRIES_PER_MINUTE = env_int("CHAT_RETURN_CODE_TRIES_PER_MINUTE", 6, minimum=1)
CHAT_RETURN_CODE_LOOKUPS_PER_SECOND = env_int("CHAT_RETURN_CODE_LOOKUPS_PER_SECOND", 50, minimum=1)
CHAT_RETURN_CODE_QUEUE = env_int("CHAT_RETURN_CODE_QUEUE", 32, minimum=0)
CHAT_RETURN_CODE_WAIT_MS = env_int("CHAT_RETURN_CODE_WAIT_MS", 2000, minimum=0)
# Storage fill, so anonymous visitors cannot fill the disk (chat/services/envelopes.py,
# docs/operations.md "Limits"): what one anonymous conversation may store a day
# (ciphertext bytes, rolling 24 h), how fast a visitor may send messages (per
# conversation, per process: close to human typing), and the database size past which
# visitors' new envelopes are refused (0: no watermark; pg_database_size read at most
# every CHAT_DATABASE_SIZE_CHECK_SECONDS).
CHAT_VISITOR_BYTES_PER_DAY = env_int("CHAT_VISITOR_BYTES_PER_DAY", 2 * 1024 * 1024, minimum=1)
CHAT_VISITOR_MESSAGES_PER_MINUTE = env_int("CHAT_VISITOR_MESSAGES_PER_MINUTE", 30, minimum=1)
CHAT_VISITOR_MESSAGES_BURST = env_int("CHAT_VISITOR_MESSAGES_BURST", 10, minimum=1)
CHAT_DATABASE_MAX_BYTES = env_int("CHAT_DATABASE_MAX_BYTES", 0, minimum=0)
CHAT_DATABASE_SIZE_CHECK_SECONDS = env_int("CHAT_DATABASE_SIZE_CHECK_SECONDS", 30, minimum=1)
# A conversation whose visitor has not written this long after it opened is
# deleted by the expiry job (it never reached the queue, the counts or staff).
CHAT_EMPTY_CONVERSATION_MINUTES = env_int("CHAT_EMPTY_CONVERSATION_MINUTES", 10, minimum=1)
# Expiry (DESIGN §6.5): only anonymous counts outlive these.
CHAT_IDLE_EXPIRY_DAYS = env_int("CHAT_IDLE_EXPIRY_DAYS", 30, minimum=1)
CHAT_CLOSED_EXPIRY_DAYS = env_int("CHAT_CLOSED_EXPIRY_DAYS", 7, minimum=0)
# The team key is due for rotation this long after it was made (and at once when
# a device that holds it is revoked). No longer than the conversation lifetime, so that
# a backup is unreadable (every version it holds destroyed) within about twice that.
CHAT_TEAM_KEY_ROTATION_DAYS = env_int(
    "CHAT_TEAM_KEY_ROTATION_DAYS", CHAT_IDLE_EXPIRY_DAYS, minimum=1
)
if CHAT_TEAM_KEY_ROTATION_DAYS > CHAT_IDLE_EXPIRY_DAYS:
    raise ImproperlyConfigured(
        "CHAT_TEAM_KEY_ROTATION_DAYS must not be longer than CHAT_IDLE_EXPIRY_DAYS"
    )
# How long frames under the previous epoch are still accepted after a new commit.
CHAT_EPOCH_GRACE_SECONDS = env_int("CHAT_EPOCH_GRACE_SECONDS", 60, minimum=0)
# Dotted path of `f(code: str) -> bool`: `chat` asks `ops` through it whether a campaign
# code exists, without importing `ops` (DESIGN §3: dependencies point one way).
CHAT_CAMPAIGN_VALIDATOR = env_str(
    "CHAT_CAMPAIGN_VALIDATOR", "ops.campaigns.services.campaign_code_known"
)
# The other ways chat calls ops (chat/hooks.py; the table is in ops/README.md). Empty:
# chat runs alone, with no routing, no presence and no `helpline.status`.
CHAT_CONVERSATION_OPENED_HOOK = "ops.routing.services.conversation_opened"
CHAT_VISITOR_WROTE_HOOK = "ops.routing.services.visitor_wrote"
# Staff (or an interpreter) wrote a text message: a visitor who asked is told.
CHAT_TEAM_WROTE_HOOK = "ops.push.services.team_wrote"
CHAT_STATUS_PROVIDER = "ops.routing.availability.helpline_status"
CHAT_ROUTE_STATUS_PROVIDER = "ops.routing.visitor_route.visitor_route_status"
CHAT_STAFF_PRESENCE_HOOK = "ops.routing.presence.staff_socket"
# A staff socket's session must be fully signed in (both factors) and on
# record; the device it proves is bound to it (chat/consumers/staff_session.py).
CHAT_STAFF_SESSION_CHECK = "ops.auth.sessions.staff_socket_session_valid"
CHAT_STAFF_DEVICE_BOUND = "ops.auth.sessions.staff_socket_device_bound"
# ... and an epoch that lets interpreter devices read is written to the audit log.
CHAT_INTERPRETERS_IN_EPOCH_HOOK = "audit.services.interpreters_in_epoch"
CHAT_CONVERSATIONS_DELETED_HOOK = "audit.services.conversations_deleted"
# ... and so are a team key version destroyed and a device's published wrap key.
CHAT_TEAM_KEY_DESTROYED_HOOK = "audit.services.team_key_destroyed"
CHAT_WRAP_KEY_PUBLISHED_HOOK = "audit.services.wrap_key_published"
# An interpreter device may be in a conversation's epochs (and read it) only while a
# request for it was accepted and has not ended (ops/interpreting/).
CHAT_INTERPRETER_ADMITTED_HOOK = "ops.interpreting.services.interpreter_admitted"
# ... and until when (its time limit): the interpreter's socket enforces it itself.
CHAT_INTERPRETER_ADMITTED_UNTIL_HOOK = "ops.interpreting.services.interpreter_admitted_until"
# Before a conversation is deleted (expiry, or the visitor's "delete now"), the
# staff side adds it to the anonymous daily counts and tells the dashboards.
CHAT_CONVERSATIONS_DELETING_HOOK = "ops.activity.counts.conversations_deleting"
# The chat page's script (POST /c/<code>/opened) tells the staff side a known
# campaign's link was opened (a counter per campaign and day, ops/campaigns/services.py); empty:
# nothing is counted.
WIDGET_LINK_OPENED_HOOK = "ops.campaigns.services.campaign_link_opened"
# The funnel's "conversation went on": at least this many text messages, both sides.
HELPLINE_LONG_CONVERSATION = env_int("HELPLINE_LONG_CONVERSATION", 10, minimum=2)
# The most opens of one campaign's link counted on one day, across every
# process (ops/campaigns/services.py): forged opens can skew the funnel by this much at most.
HELPLINE_CAMPAIGN_OPENS_PER_DAY = env_int("HELPLINE_CAMPAIGN_OPENS_PER_DAY", 500, minimum=1)
CHAT_DEMO_DIR = Path(env_str("CHAT_DEMO_DIR", str(VAR_DIR / "demo")))

# Routing (ops/README.md): give a new conversation (and a waiting one when a shift opens,
# or one handed over at a shift's end) to the best-matching available staff member on
# shift, instead of leaving it in the queue for someone to claim.
HELPLINE_AUTO_ASSIGN = env_bool("HELPLINE_AUTO_ASSIGN", False)

# Interpreter hand-off (ops/interpreting/): how long a request waits for an
# interpreter on call before the staff member is told nobody took it, and how long an
# interpreter stays in a conversation before an epoch without them is due.
HELPLINE_INTERPRETER_REQUEST_SECONDS = env_int(
    "HELPLINE_INTERPRETER_REQUEST_SECONDS", 300, minimum=10
)
HELPLINE_INTERPRETER_TIME_LIMIT_MINUTES = env_int(
    "HELPLINE_INTERPRETER_TIME_LIMIT_MINUTES", 120, minimum=1
)

# (dotted path of a no-argument callable, interval in seconds). Run by `manage.py worker`
# in production and by `manage.py serve --jobs` in the embedded default (chat/jobs.py).
PERIODIC_JOBS = [
    ("chat.expiry.expiry_job", 60),
    # Destroy old team key versions no conversation uses any more (crypto-shredding).
    ("chat.services.shredding.team_key_shred_job", 300),
    # ... and tell the dashboards once when the team key is due for rotation on schedule.
    ("ops.devices.services.team_key_schedule_due_job", 300),
    # Shift opened / reminder / ended: status to visitors, hand-over (ops/jobs.py).
    ("ops.jobs.shifts_job", 30),
    # Audit entries past AUDIT_RETENTION_DAYS; expired staff sessions.
    ("audit.jobs.audit_expire_job", 3600),
    ("ops.auth.jobs.sessions_expire_job", 900),
    # Interpreter requests nobody took in time; interpreters past their time limit.
    ("ops.interpreting.services.interpreting_job", 15),
    # Notices to open sockets (revocations, sign-outs...) older than an hour.
    ("chat.notices.notices_expire_job", 600),
    # Send the pushes that are due (ops/push/sending.py).
    ("ops.push.sending.push_send_job", 5),
]

# --- Web Push (ops/push/, docs/operations.md "Push notifications") ----------------------
# The helpline's VAPID private key (RFC 8292): a P-256 key, base64url of its 32 raw bytes,
# made by `manage.py push_keys`. A secret like SECRET_KEY (PUSH_VAPID_PRIVATE_KEY_FILE for
# container secrets). Unset: the embedded default reads var/vapid_private_key if
# `push_keys` (or `demo_seed`) made it; otherwise push is off (the dashboard offers none).
PUSH_VAPID_PRIVATE_KEY = env_secret("PUSH_VAPID_PRIVATE_KEY")
if PUSH_VAPID_PRIVATE_KEY is None and EMBEDDED_DEFAULT:
    with contextlib.suppress(FileNotFoundError):
        PUSH_VAPID_PRIVATE_KEY = (VAR_DIR / "vapid_private_key").read_text("utf-8").strip() or None
# Who the push services may contact about our pushes (the JWT's `sub`): a mailto: or
# https: URL. Apple refuses pushes without a real one.
PUSH_VAPID_SUBJECT = env_str("PUSH_VAPID_SUBJECT", "mailto:helpline@localhost")
# Visitors may ask to be told when the team answers; off: the widget never offers it and
# the server refuses visitor subscriptions.
PUSH_VISITORS = env_bool("PUSH_VISITORS", True)
# How long a push service keeps a push for a phone that is off (RFC 8030 TTL): staff,
# about a new conversation; visitors, about a reply.
PUSH_STAFF_TTL_SECONDS = env_int("PUSH_STAFF_TTL_SECONDS", 3600, minimum=0)
PUSH_VISITOR_TTL_SECONDS = env_int("PUSH_VISITOR_TTL_SECONDS", 86400, minimum=0)
# A push the push service did not take (network, 429, 5xx) is tried again after 30 s,
# 1, 2, 4... minutes, at most this many times in all.
PUSH_ATTEMPTS = env_int("PUSH_ATTEMPTS", 5, minimum=1)
# The server POSTs to the endpoint a browser gives: only HTTPS endpoints on these push
# services' domains are accepted (a host equal to one, or below it), never an arbitrary
# URL (SSRF). Chrome/Edge (FCM), Firefox, Safari, Windows.
PUSH_SERVICE_HOSTS = env_list(
    "PUSH_SERVICE_HOSTS",
    [
        "fcm.googleapis.com",
        "push.services.mozilla.com",
        "push.apple.com",
        "notify.windows.com",
    ],
)
# Tests only: also plain HTTP to a loopback address (the test push service).
PUSH_ALLOW_LOOPBACK = env_bool("PUSH_ALLOW_LOOPBACK", False)
# Seconds to wait for a push service's answer.
PUSH_TIMEOUT_SECONDS = env_int("PUSH_TIMEOUT_SECONDS", 10, minimum=1)

# --- Visitor widget (widget/) ----------------------------------------------------------

# Origins (scheme://host[:port]) of partner sites allowed to frame the chat through
# widget/static/widget/embed.js. Empty: the chat may not be framed anywhere.
WIDGET_PARTNER_ORIGINS = env_list("WIDGET_PARTNER_ORIGINS", [])
# Where quick exit lands (after /bye clears the site's data): a harmless public page
# that says nothing about the helpline to whoever looks at the phone next.
WIDGET_EXIT_URL = env_str("WIDGET_EXIT_URL", "https://meteofrance.com/")
# The association's name and one line under the welcome, as a coordinator set them
# (ops/association.py); empty: none shown.
WIDGET_ASSOCIATION_PROVIDER = "ops.association.association_shown"
# Link opens the chat page's script reports (widget/link_opens.py), all codes
# together, per process: beyond this a burst costs no database write and counts nothing.
WIDGET_LINK_OPENS_PER_MINUTE = env_int("WIDGET_LINK_OPENS_PER_MINUTE", 60, minimum=1)
# The self-help pages beside the chat (widget/pages.py): what they show comes from the
# staff side through this provider (ops/selfhelp/selectors.py); empty: no pages.
WIDGET_PAGES_PROVIDER = "ops.selfhelp.selectors.visitor_pages"
# The VAPID public key the chat page subscribes with, None when visitors are
# not offered push (PUSH_VISITORS off, or no key); empty: never offered.
WIDGET_PUSH_KEY_HOOK = "ops.push.vapid.visitor_push_key"
# The installable app (its web app manifest): the name and the icon a phone shows on its
# home screen. Neutral by default: a phone someone else may look at must not say what
# the app is. The icon is a static path (a square PNG of 512 × 512 pixels).
HELPLINE_APP_NAME = env_str("HELPLINE_APP_NAME", "Messages")
HELPLINE_APP_ICON = env_str("HELPLINE_APP_ICON", "widget/pages/app-icon-512.png")
# Partner sites load embed.js from another origin, which the default
# `Cross-Origin-Resource-Policy: same-origin` would block: see widget/static_headers.py.
# (Imported here, not at the top, to keep this block in one place; the module imports
# nothing from Django.)
from widget.static_headers import static_headers_add  # noqa: E402

WHITENOISE_ADD_HEADERS_FUNCTION = static_headers_add
# --- end of the visitor widget block ----------------------------------------------------

# --- Running it for real (docs/install.md) ---------------------------------------------
# Request bodies: the most `serve` reads of one (config/request_limits.py), as Caddy's
# `request_body max_size` (deploy/Caddyfile). The largest legitimate body is the canned
# replies import (4 MiB, ops/canned/formats.py) with its form around it.
HTTP_BODY_MAX_BYTES = env_int("HTTP_BODY_MAX_BYTES", 5_000_000, minimum=65536)
# /metrics (chat/metrics.py): each `serve` and the `worker` answer on this port, a port
# of their own that the proxy never forwards to; 0 (the default): no metrics.
METRICS_PORT = env_int("METRICS_PORT", 0, minimum=0)
METRICS_HOST = env_str("METRICS_HOST", "127.0.0.1")
# Figures computed from the database at each scrape (chat knows nothing of the queue).
METRICS_COLLECTORS = ["ops.metrics.QueueCollector"]
# Log times in UTC with their offset, and what Django refuses for what a client sent (a
# body too large, a Host that is not ours) as one WARNING line without a traceback.
LOGGING["formatters"]["plain"]["class"] = "config.log_format.UTCFormatter"
LOGGING["filters"] = {"refusal": {"()": "config.log_format.RefusalAsWarning"}}
LOGGING["handlers"]["refusals"] = {
    "class": "logging.StreamHandler",
    "formatter": "plain",
    "filters": ["refusal"],
}
LOGGING["loggers"]["django.security"] = {
    "handlers": ["refusals"],
    "level": "WARNING",
    "propagate": False,
}
# --- end of running it for real ---------------------------------------------------------
