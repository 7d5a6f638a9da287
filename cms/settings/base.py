"""Settings shared by every environment.

Safe by default: DEBUG is off and there is no secret here. ``dev``, ``test`` and ``production``
build on this module; the environment is read only through ``cms.env``.
"""

from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF

from django.core.exceptions import ImproperlyConfigured

from cms.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Project apps first so their templates and static files win.
    "cms",
    "board",
    "surveys",
    "engagement",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # Accounts
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Import/export and background work
    "import_export",
    "django_tasks",
    "django_tasks_db",
    # Django
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "cms.middleware.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cms.middleware.ContentSecurityPolicyMiddleware",
    # Below the CSP middleware: the page it renders in place of a redirect gets the nonce.
    "cms.middleware.AdminForStaffOnlyMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "cms.urls"
WSGI_APPLICATION = "cms.wsgi.application"

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
                "django.template.context_processors.csrf",
                "wagtail.contrib.settings.context_processors.settings",
                "cms.context_processors.roles",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# SQLite file by default; PostgreSQL when DATABASE_URL is set. Persistent connections with health
# checks: without them a write view served about a quarter of the requests (see DESIGN.md).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock at BEGIN, so a read-then-write transaction (check
    # a survey token, then write the response) waits on the busy timeout instead of failing with
    # "database is locked" when it tries to upgrade its lock. WAL lets readers run beside a writer.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "cms.User"

# --- Cache and sessions -----------------------------------------------------------------------
# Rate limits (allauth) live in the cache, so several app servers need a shared one: set
# CACHE_URL to redis://... (or db:// to use a database table).
_cache_url = env_str("CACHE_URL", "locmem://") or "locmem://"
if _cache_url.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
        }
    }
elif _cache_url.startswith("db://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": _cache_url.removeprefix("db://") or "cache_table",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# cached_db reads the cache first, so it is only safe with a cache every process shares: with the
# per-process locmem cache, a second gunicorn worker served a stale session (survey drafts were
# kept in sessions then; bench_submit found it). Without a shared cache, the database.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.db"
    if CACHES["default"]["BACKEND"].endswith("LocMemCache")
    else "django.contrib.sessions.backends.cached_db"
)
# Eight hours, a working day, counted from the last change to the session (not renewed by every
# request, so an open tab does not keep a session alive for ever); the server refuses an expired
# session whatever cookie a browser still sends.
# * Signed in: the cookie also ends when the browser closes (ACCOUNT_SESSION_REMEMBER = False:
#   allauth offers no "remember me"), which matters on shared computers in libraries and offices.
# * Not signed in: a session holds only a step in progress (accepting an account invitation, the
#   second step of signing in). Survey drafts are never in a session (beside _auth_user_id they
#   would name who was answering): they have their own cookie and sealed table
#   (surveys.forms.SurveyDraft, SURVEY_DRAFT_DAYS).
# Sensitive actions (erasure, personal-data downloads, survey exports) also ask for the password
# again once ACCOUNT_REAUTHENTICATION_TIMEOUT has passed since the person last proved who they are.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 8, minimum=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = False
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A survey respondent can leave and come back on the same browser for this many days (never after
# the wave closes); an abandoned draft is deleted once past it (release_survey_responses, daily).
SURVEY_DRAFT_DAYS = env_int("SURVEY_DRAFT_DAYS", 7, minimum=1)
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

# --- Passwords and accounts -------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "allauth.account.auth_backends.AuthenticationBackend",
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_ADAPTER = "cms.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# No "remember me": a signed-in session's cookie ends with the browser (see SESSION_COOKIE_AGE).
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# Re-authentication: allauth's own sensitive steps (email and second-factor changes) and the
# platform's (cms.reauthentication.sensitive_action) need the password or an authenticator code
# again once this long has passed since the person last signed in or confirmed who they are.
ACCOUNT_REAUTHENTICATION_TIMEOUT = 5 * 60
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env_str("COUNCIL_NAME", "Lived Experience")
# How long an invitation to create an account stays valid.
INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 14)

# --- The client's address and rate limits -----------------------------------------------------
# Behind the load balancer every request arrives from the balancer's address: counted by
# REMOTE_ADDR, 35 wrong passwords for random accounts locked every member and officer out.
# allauth takes the client's address from X-Forwarded-For, trusting only the last
# ALLAUTH_TRUSTED_PROXY_COUNT entries (the ones our own proxies appended; whatever comes before
# them the client wrote), or from one header the proxy sets (ALLAUTH_TRUSTED_CLIENT_IP_HEADER,
# e.g. X-Real-IP). 0 and unset: X-Forwarded-For is ignored, for a server nobody proxies. Every
# limit of ours reads the address the same way (cms.ratelimits.client_address). Counters live in
# the cache, shared by every app server through CACHE_URL.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("ALLAUTH_TRUSTED_PROXY_COUNT", 0, minimum=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env_str("ALLAUTH_TRUSTED_CLIENT_IP_HEADER", "") or None
if ALLAUTH_TRUSTED_PROXY_COUNT and ALLAUTH_TRUSTED_CLIENT_IP_HEADER:
    # allauth would silently ignore the count: say which one is meant.
    raise ImproperlyConfigured(
        "Set ALLAUTH_TRUSTED_PROXY_COUNT or ALLAUTH_TRUSTED_CLIENT_IP_HEADER, not both."
    )
# Failed sign-ins in any 15 minutes, each counted against every limit below; a right password
# uncounts it (cms.adapters.AccountAdapter.pre_authenticate):
# * 5 per account from one address ("login_failed"): room for a few typing mistakes, 20 guesses
#   an hour for a guesser at one address, and an attacker's failures use up their own address's
#   allowance, never the owner's: nobody can keep a board member out by guessing their password.
#   allauth also counts wrong second-factor codes here, per account (the guesser already holds
#   the password);
# * 30 per address across all accounts ("login_failed_address"): a library, an office or the
#   council's own network shares one address and its people mistype, but one address spraying
#   passwords at many accounts is stopped at 30;
# * 20 per account from addresses that have not signed in to it in the last
#   RATE_LIMIT_KNOWN_ADDRESS_DAYS ("login_failed_account"): a ceiling for a guesser spread over
#   many addresses (IPv6 counts by /64), four addresses' worth so one address never reaches it,
#   and never applied where the owner has signed in before, so even a spread attack does not
#   lock them out. Resetting the password makes the address known at once.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/15m/key",
    "login_failed_address": "30/15m/ip",
    "login_failed_account": "20/15m/key",
}
RATE_LIMIT_KNOWN_ADDRESS_DAYS = 90
NEWSLETTER_SIGNUPS_PER_ADDRESS_PER_HOUR = env_int(
    "NEWSLETTER_SIGNUPS_PER_ADDRESS_PER_HOUR", 60, minimum=1
)
NEWSLETTER_SIGNUPS_PER_EMAIL_PER_DAY = env_int("NEWSLETTER_SIGNUPS_PER_EMAIL_PER_DAY", 3, minimum=1)
# The platform's own limits (cms.ratelimits; one rate per action):
# * page and document passwords, counted like sign-in with the restriction in place of the
#   account: 5 wrong per restriction from one address, 30 per address, 50 per restriction from
#   addresses that have not passed it (a page's password is shared by a whole group, so its
#   ceiling is wider than an account's);
# * newsletter sign-ups, counting only accepted ones (a mistyped address costs nothing): 60 an
#   hour from one address (a sign-up tablet at an event or a library PC serves a queue of
#   residents; a script still sends at most 60 confirmation emails an hour), and 3 a day per
#   email address, so nobody's inbox can be filled with confirmation emails.
PLATFORM_RATE_LIMITS = {
    "password_failed": "5/15m/key",
    "password_failed_address": "30/15m/ip",
    "password_failed_restriction": "50/15m/key",
    "newsletter_signup_address": f"{NEWSLETTER_SIGNUPS_PER_ADDRESS_PER_HOUR}/1h/ip",
    "newsletter_signup_email": f"{NEWSLETTER_SIGNUPS_PER_EMAIL_PER_DAY}/1d/key",
}

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static and media files -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Files no URL may serve (expense receipts): outside MEDIA_ROOT and STATIC_ROOT, read only through
# views that check permission and log the access (board_expense_receipt).
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private-media")))
for _public_root in (MEDIA_ROOT, STATIC_ROOT):
    if PRIVATE_MEDIA_ROOT.resolve().is_relative_to(_public_root.resolve()):
        raise ImproperlyConfigured(
            f"PRIVATE_MEDIA_ROOT ({PRIVATE_MEDIA_ROOT}) must not be inside {_public_root}, "
            "which is served to anyone."
        )
RECEIPTS_STORAGE = {
    "BACKEND": "cms.storage.PrivateFileSystemStorage",
    "OPTIONS": {
        "location": PRIVATE_MEDIA_ROOT,
        "base_url": None,
        "file_permissions_mode": 0o640,
        "directory_permissions_mode": 0o750,
    },
}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    "receipts": RECEIPTS_STORAGE,
}
# Request bodies (other than file uploads) above this size are refused; each upload view checks
# its own file size limit (receipts: RECEIPT_MAX_BYTES; imports: 5 MB).
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# --- Email ------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "no-reply@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background work --------------------------------------------------------------------------
# django-tasks with its database backend; run the worker with `python manage.py db_worker`.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# --- Wagtail ----------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = env_str("COUNCIL_NAME", "Lived Experience")
WAGTAILADMIN_BASE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "ods", "pdf", "pptx", "rtf", "txt", "xlsx"]
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
# No third party sees admin traffic.
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
# Wagtail 8's autosave is off: in the "add page" view an autosave that creates the page races
# the editor's own Publish, which then gets a 400 (seen in CI, tests/browser/
# test_analyst_journey.py), and autosaved draft titles leave redirects behind (wagtail#13978).
# Every council response and annual summary is saved deliberately, by a person, as the
# approval workflow and its audit log expect. See cms/docs/decisions/.
WAGTAIL_AUTOSAVE_INTERVAL = 0
# Sign-in to the admin goes through allauth, which enforces the second factor; Wagtail's own
# login and password views are never used.
WAGTAILADMIN_LOGIN_URL = "/accounts/login/"
WAGTAIL_FRONTEND_LOGIN_URL = "/accounts/login/"
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAILUSERS_PASSWORD_ENABLED = False
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_COMMENTS_ENABLED = True

# --- Security headers -------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy with nonces (django-csp). The public site allows no inline script or
# style; the Wagtail admin gets the small relaxations listed in ADMIN_CSP_REPLACE.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "media-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Wagtail 8's admin still renders inline <script> for its widgets (date and image choosers,
# inline panels: wagtail/wagtail#7053) and sets style attributes from JavaScript, so under
# /admin/ only - where every user has signed in with a second factor - inline script and style
# are allowed (no nonce: a nonce would switch 'unsafe-inline' off). No eval, no other origin.
# The public site keeps the strict, nonce-based policy above.
ADMIN_CSP_PATH_PREFIX = "/admin/"
ADMIN_CSP_REPLACE = {
    "script-src": [SELF, "'unsafe-inline'"],
    "style-src": [SELF, "'unsafe-inline'"],
    "img-src": [SELF, "data:", "blob:"],
    "frame-ancestors": [SELF],
    "frame-src": [SELF],
}

# --- The product ------------------------------------------------------------------------------
COUNCIL_NAME = env_str("COUNCIL_NAME", "Lived Experience")

# Every handler redacts the secrets of single-use links from what it writes
# (cms/platform/log_redaction.py); the development server's request lines go through it too.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "cms.platform.log_redaction.RedactSecrets"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_secrets"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}

# --- The board --------------------------------------------------------------------------------
RECEIPT_MAX_BYTES = env_int("RECEIPT_MAX_BYTES", 5 * 1024 * 1024)

# --- Retention (UK GDPR storage limitation) ---------------------------------------------------
# `manage.py apply_retention` (daily; --enqueue runs it on the task worker) deletes, once this
# many days have passed: used survey invitation records (from the day the link was created);
# receipt files of expense claims never approved, pending or rejected (from submission; the claim
# and its amount stay for the accounts); account invitations never accepted (from their expiry).
# A receipt must outlive the time it takes to decide a claim, hence its floor of 30 days.
USED_SURVEY_INVITATION_RETENTION_DAYS = env_int(
    "USED_SURVEY_INVITATION_RETENTION_DAYS", 365, minimum=1
)
UNAPPROVED_RECEIPT_RETENTION_DAYS = env_int("UNAPPROVED_RECEIPT_RETENTION_DAYS", 180, minimum=30)
EXPIRED_ACCOUNT_INVITATION_RETENTION_DAYS = env_int(
    "EXPIRED_ACCOUNT_INVITATION_RETENTION_DAYS", 90, minimum=1
)
# Finished background tasks (sent emails, imports): their rows name whom an email went to.
TASK_RESULT_RETENTION_DAYS = env_int("TASK_RESULT_RETENTION_DAYS", 7, minimum=1)

# Survey anonymity: a submitted response waits, with no date, until this many have been
# submitted to its wave; then they enter the results together, in random order and dated the day
# of release, so neither the order rows were written in nor the database's transaction ids can
# line a response up with the moment its link was used. What is left when a wave closes is
# released by `manage.py release_survey_responses` (daily), which then reshuffles the whole wave.
SURVEY_RELEASE_BATCH = env_int("SURVEY_RELEASE_BATCH", 10, minimum=5)

# Disclosure control: no figure shown or exported rests on fewer answers than this.
DISCLOSURE_THRESHOLD = max(env_int("DISCLOSURE_THRESHOLD", 10), 10)
