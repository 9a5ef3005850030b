"""Settings shared by every environment, read from the environment (django-environ).

Every variable is documented in `.env.example`.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-secret-key-never-used-in-production")
DEBUG = env.bool("DJANGO_DEBUG", default=False)

# The root domain serves the platform (landing page, platform admin, customer API);
# each merchant is served on `<slug>.<BASE_DOMAIN>`. `localhost` needs no DNS set-up:
# browsers resolve `cafe-aroma.localhost` to 127.0.0.1.
BASE_DOMAIN = env("BASE_DOMAIN", default="localhost")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[BASE_DOMAIN, f".{BASE_DOMAIN}"])

# --- applications -----------------------------------------------------------------

SHARED_APPS = [
    # Before django_tenants: its `migrate_schemas` (which skips current schemas)
    # replaces django-tenants' own, and a command is taken from the first app.
    "tenants",
    "django_tenants",
    "customers",
    "billing",
    "webcard",
    "webpush",
    "unfold",
    "unfold.contrib.filters",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Sign-in lockout (loyalty/lockout.py). Public schema only: its counters live in
    # Redis, so its tables stay empty, and a merchant schema needs no copy of them.
    "axes",
    "messaging",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

# Merchant apps: their tables exist in every merchant schema and nowhere else.
# Staff users (django.contrib.auth) live per merchant, so auth is in both lists.
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.admin",
    "messaging",
    "points",
    "dashboard",
    "rewards",
    "notifications",
    "googlewallet",
    "applewallet",
]

INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Merchant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# One `SET search_path` per schema switch instead of one per cursor.
TENANT_LIMIT_SET_CALLS = True

MIDDLEWARE = [
    # Refuses NUL characters, oversized bodies and unreadable forms before anything else.
    "loyalty.guard.RequestGuardMiddleware",
    "loyalty.middleware.MerchantMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The loyalty.web_middleware classes are Django's and their libraries' own, skipped
    # by the bearer-token API under /api/v1/ (no session, sign-in or messages).
    "loyalty.web_middleware.WhiteNoiseMiddleware",
    "loyalty.web_middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "loyalty.web_middleware.AuthenticationMiddleware",
    "loyalty.web_middleware.OTPMiddleware",
    "loyalty.web_middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a refused sign-in into a 429 (loyalty/lockout.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "loyalty.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "loyalty.urls_public"

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
            # {{ amount|money:currency }}, {{ n|points }}, {{ text|isolate }} everywhere.
            "builtins": ["loyalty.templatetags.formatting"],
        },
    },
]

WSGI_APPLICATION = "loyalty.wsgi.application"

# --- database, cache, broker -----------------------------------------------------

DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@localhost/loyalty")}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
# ...built on Django's backend with a health check that makes no round trip unless the
# server ended the connection (loyalty/dbbackend/base.py).
ORIGINAL_BACKEND = "loyalty.dbbackend"
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Connections (README, "Connection budget"). With DATABASE_POOL_SIZE > 0 the process
# keeps a pool of at most that many (Django's psycopg pool): a request borrows one and
# gives it back when it ends, so a web process never holds more than its threads; the
# web server sets it to its threads per process. With 0 (Celery's prefork children,
# commands) each thread keeps its own connection DATABASE_CONN_MAX_AGE seconds.
DATABASE_POOL_SIZE = env.int("DATABASE_POOL_SIZE", default=0)
if DATABASE_POOL_SIZE > 0:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them instead
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_SIZE,
        # Sized to the threads, a request never waits; this bounds the wait if it must.
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10),
        # No reset when a connection comes back: it keeps the last merchant's
        # search_path, and django-tenants sets the right one before the first query
        # of every checkout.
    }
else:
    # Reconnecting costs more than the request: keep the connection between requests.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
# Parameters bound on the server, and a statement a connection has run
# DATABASE_PREPARE_THRESHOLD (5) times prepared there (psycopg's own default; Django's
# is client-side binding, never prepared). A prepared statement is parsed and planned
# once per connection, not on every run: the earn's PostgreSQL CPU per request halves
# (bench/README.md, "HTTP load"). PostgreSQL plans it again when the search path or a
# table it reads changes, so it never reads another merchant's schema. Behind a
# transaction-mode PgBouncer older than 1.21 (or without `max_prepared_statements`) set
# DATABASE_PREPARE_THRESHOLD=-1: parameters still bound on the server, nothing prepared.
DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
_prepare_threshold = env.int("DATABASE_PREPARE_THRESHOLD", default=5)
DATABASES["default"]["OPTIONS"]["prepare_threshold"] = (
    _prepare_threshold if _prepare_threshold >= 0 else None
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Databases a merchant can be moved to (`manage.py merchant_move`, docs/scaling.md):
# name=postgres URL pairs, "shard1=postgres://u:p@db1/loyalty,shard2=...". The name is
# what `MerchantPlacement` records; the URL is read only by the move.
MERCHANT_DATABASES: dict[str, str] = env.dict("MERCHANT_DATABASES", default={})

REDIS_URL = env("REDIS_URL", default="redis://localhost:6379/0")
CACHE_URL = env("CACHE_URL", default=REDIS_URL)
CACHES = {
    "default": {
        "BACKEND": "loyalty.cache.RedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="loyalty"),
        # Every key carries the schema of the merchant it was written for.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    },
    # Keys that are the platform's, whatever schema the code runs in (the relay's
    # queue markers and the providers' rate counters): no schema in the key.
    "platform": {
        "BACKEND": "loyalty.cache.RedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="loyalty") + "-platform",
    },
}
# Provider calls give up after this many seconds (and count as a failed attempt).
NOTIFY_PROVIDER_TIMEOUT = 15

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Amman"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Expiry, warnings, birthdays, tier requalification: once a day, per merchant.
    "points-daily": {"task": "points.tasks.daily_jobs_all", "schedule": crontab(minute=30, hour=0)},
    "redemptions-expire": {"task": "points.tasks.expire_redemptions_all", "schedule": 3600},
    # Each merchant's figures for the platform dashboard.
    "platform-stats": {"task": "tenants.tasks.stats_collect_all", "schedule": 1800},
    # Outbox rows and deliveries that no on-commit kick reached (a worker died, a retry
    # came due): found with one query over every schema, relayed per schema.
    "notify-sweep": {"task": "messaging.tasks.relay_sweep", "schedule": 30},
    # Trials and grace periods that ran out turn read-only; trial reminders go out.
    "billing-clock": {"task": "billing.tasks.billing_clock", "schedule": 3600},
}

# --- identity ------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# A locked account is refused before its password is checked (loyalty/lockout.py).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# The sign-in lockout, the same for the merchant dashboard, the platform dashboard and
# the staff API: per account (schema and email) and client address, LOGIN_FAILURE_LIMIT
# failures lock for LOGIN_LOCKOUT_SECONDS, doubled by each lockout within a day up to
# LOGIN_LOCKOUT_MAX_SECONDS.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=300)
LOGIN_LOCKOUT_MAX_SECONDS = env.int("LOGIN_LOCKOUT_MAX_SECONDS", default=3600)
# ...and per account from any address: from LOGIN_ACCOUNT_FAILURE_LIMIT failures on
# (forgotten after LOGIN_ACCOUNT_WINDOW_SECONDS without one), each attempt waits 1, 2,
# 4... seconds up to LOGIN_ACCOUNT_DELAY_MAX_SECONDS; addresses that signed in to the
# account within LOGIN_KNOWN_ADDRESS_DAYS are not slowed.
LOGIN_ACCOUNT_FAILURE_LIMIT = env.int("LOGIN_ACCOUNT_FAILURE_LIMIT", default=10)
LOGIN_ACCOUNT_WINDOW_SECONDS = env.int("LOGIN_ACCOUNT_WINDOW_SECONDS", default=3600)
LOGIN_ACCOUNT_DELAY_MAX_SECONDS = env.int("LOGIN_ACCOUNT_DELAY_MAX_SECONDS", default=60)
LOGIN_KNOWN_ADDRESS_DAYS = env.int("LOGIN_KNOWN_ADDRESS_DAYS", default=90)
AXES_HANDLER = "loyalty.lockout.LockoutHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "loyalty.lockout.account_of"
AXES_CLIENT_IP_CALLABLE = "loyalty.clientip.client_key"
AXES_COOLOFF_TIME = "loyalty.lockout.cool_off"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "loyalty.lockout.lockout_response"
AXES_ENABLE_ADMIN = False
# "Forgot password?" on the merchant dashboard: requests per client address and per
# email, each per hour (the answer is the same whether the email has an account).
PASSWORD_RESET_PER_IP_PER_HOUR = env.int("PASSWORD_RESET_PER_IP_PER_HOUR", default=10)
PASSWORD_RESET_PER_EMAIL_PER_HOUR = env.int("PASSWORD_RESET_PER_EMAIL_PER_HOUR", default=3)
# Staff sign in on their merchant's /admin/ (platform admins on the root domain's).
LOGIN_URL = "/admin/login/"
LOGIN_REDIRECT_URL = "/admin/"
# Sessions are host-only cookies: a login on one merchant is worthless on another.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None

# --- i18n ----------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ar", "العربية")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our number formats: a decimal point in both languages (loyalty/formatting.py).
FORMAT_MODULE_PATH = ["loyalty.formats"]
TIME_ZONE = "Asia/Amman"
USE_I18N = True
USE_TZ = True

# --- files ---------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "media"))
STORAGES = {
    # Uploaded files land under MEDIA_ROOT/<schema>/ so merchants never share a path.
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# "%s" is the schema name: MEDIA_ROOT/cafe_aroma/rewards/mug.png
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Uploaded images (logo, rewards, categories): at most this many bytes and pixels a
# side (loyalty/uploads.py); Pillow's decompression-bomb guard stays on.
UPLOAD_IMAGE_MAX_BYTES = 2 * 1024 * 1024
UPLOAD_IMAGE_MAX_SIDE = 4096

# --- API -----------------------------------------------------------------------

# Proxies of this deployment in front of the app (load balancer, nginx). 0: the
# X-Forwarded-For header is ignored (loyalty/clientip.py).
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)

REST_FRAMEWORK = {
    # Throttles count loyalty.clientip.client_key (TRUSTED_PROXIES, IPv6 by /64), not
    # DRF's NUM_PROXIES.
    # Customer and staff JWTs only: a dashboard session cookie is no API credential.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "loyalty.api.tokens.CustomerAuthentication",
        "loyalty.api.tokens.StaffAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["loyalty.api.parsers.CheckedJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "loyalty.api.negotiation.JSONFirstNegotiation",
    "DEFAULT_SCHEMA_CLASS": "loyalty.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "loyalty.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["loyalty.api.throttles.ScopedThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "default": "120/min",
        "otp": "10/min",
        "auth": "30/min",
        "customer": "300/min",
        "staff": "600/min",
        "lookup": "30/min",
    },
    "DEFAULT_PAGINATION_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Loyalty API",
    "DESCRIPTION": (
        "The mobile app's and the counter's API. Customer endpoints on the root domain; "
        "merchant endpoints on the merchant's subdomain."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs are public: no token, of any kind, is read there.
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=30),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
}

# --- customers and messages ------------------------------------------------------

PHONE_DEFAULT_REGION = env("PHONE_DEFAULT_REGION", default="JO")
OTP_TTL_SECONDS = 300
OTP_MAX_ATTEMPTS = 5
OTP_RESEND_SECONDS = 60
OTP_SENDS_PER_PHONE_PER_HOUR = 5
OTP_SENDS_PER_IP_PER_HOUR = env.int("OTP_SENDS_PER_IP_PER_HOUR", default=20)
# Codes a shop's counter may send to enrol customers, per hour (its own budget: the
# counter is one address, so the per-address limit above does not apply to it).
COUNTER_ENROL_CODES_PER_HOUR = env.int("COUNTER_ENROL_CODES_PER_HOUR", default=120)
OTP_SENDS_PER_PREFIX_PER_HOUR = env.int("OTP_SENDS_PER_PREFIX_PER_HOUR", default=60)
# Codes a signed-in customer may ask for to change their number, per hour.
PHONE_CHANGES_PER_CUSTOMER_PER_HOUR = env.int("PHONE_CHANGES_PER_CUSTOMER_PER_HOUR", default=5)
# Codes go only to mobile numbers of these countries (ISO 3166 codes), with an hourly
# budget per country for devices not known yet (docs/api.md, "Sign-in codes").
OTP_COUNTRIES = env.list("OTP_COUNTRIES", default=["JO"])
OTP_SENDS_PER_COUNTRY_PER_HOUR = env.int("OTP_SENDS_PER_COUNTRY_PER_HOUR", default=2000)
# A device that signed in with a phone is known for this long (its `device_token`).
OTP_DEVICE_DAYS = env.int("OTP_DEVICE_DAYS", default=365)
# A card QR token is valid this long; the app shows a fresh one every minute.
CARD_TOKEN_SECONDS = 90
# The web card's sign-in (webcard/sessions.py): kept this many days from its last use;
# its cookie is sent over HTTPS only when CARD_COOKIE_SECURE (on in production).
CARD_SESSION_DAYS = env.int("CARD_SESSION_DAYS", default=365)
CARD_COOKIE_SECURE = env.bool("CARD_COOKIE_SECURE", default=False)
# Apple Wallet passes (applewallet): the Pass Type ID and its certificate and key (PEM,
# a path or the PEM itself), Apple's WWDR intermediate certificate, and where APNs is.
# Without them no pass is offered and the pass web service answers 404.
APPLE_PASS_TYPE_ID = env("APPLE_PASS_TYPE_ID", default="")
APPLE_TEAM_ID = env("APPLE_TEAM_ID", default="")
APPLE_PASS_CERT = env("APPLE_PASS_CERT", default="")
APPLE_PASS_KEY = env("APPLE_PASS_KEY", default="")
APPLE_PASS_KEY_PASSWORD = env("APPLE_PASS_KEY_PASSWORD", default="")
APPLE_WWDR_CERT = env("APPLE_WWDR_CERT", default="")
APNS_BASE = env("APNS_BASE", default="https://api.push.apple.com")
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env("TWILIO_FROM_NUMBER", default="")
TWILIO_MESSAGING_SERVICE_SID = env("TWILIO_MESSAGING_SERVICE_SID", default="")
TWILIO_API_BASE_URL = env("TWILIO_API_BASE_URL", default="")
# WhatsApp goes through Twilio's WhatsApp sender; off until a sender number is approved.
WHATSAPP_ENABLED = env.bool("WHATSAPP_ENABLED", default=False)
TWILIO_WHATSAPP_FROM = env("TWILIO_WHATSAPP_FROM", default="")

# --- notifications ---------------------------------------------------------------
# A channel without credentials records what it would send (dashboard, log and
# `manage.py sent_messages`) instead of sending it.
SENDGRID_API_KEY = env("SENDGRID_API_KEY", default="")
SENDGRID_API_HOST = env("SENDGRID_API_HOST", default="https://api.sendgrid.com")
EMAIL_FROM = env("EMAIL_FROM", default="no-reply@loyalty.jo")
# A Firebase service-account key: a path to its JSON file, or the JSON itself.
FIREBASE_CREDENTIALS = env("FIREBASE_CREDENTIALS", default="")
FCM_API_BASE_URL = env("FCM_API_BASE_URL", default="")
# "Save to Google Wallet" (googlewallet/client.py): hidden unless both are set.
GOOGLE_WALLET_ISSUER_ID = env("GOOGLE_WALLET_ISSUER_ID", default="")
GOOGLE_WALLET_CREDENTIALS = env("GOOGLE_WALLET_CREDENTIALS", default="")
GOOGLE_WALLET_API_BASE = env(
    "GOOGLE_WALLET_API_BASE", default="https://walletobjects.googleapis.com/walletobjects/v1"
)
# Web Push (webpush/): the VAPID key pair (base64url, as `manage.py webpush_keys` prints
# them) and the contact push services may write to. Without the keys the web card shows
# no switch and the relay records what it would send.
VAPID_PUBLIC_KEY = env("VAPID_PUBLIC_KEY", default="")
VAPID_PRIVATE_KEY = env("VAPID_PRIVATE_KEY", default="")
VAPID_SUBJECT = env("VAPID_SUBJECT", default="mailto:support@loyalty.jo")
# Push services browsers subscribe with (a host or its parent domain): the server posts
# to no other address.
WEBPUSH_SERVICE_HOSTS = env.list(
    "WEBPUSH_SERVICE_HOSTS",
    default=[
        "fcm.googleapis.com",
        "updates.push.services.mozilla.com",
        "push.apple.com",
        "notify.windows.com",
    ],
)
# Links in e-mails (merchant logos): https in production.
PUBLIC_SCHEME = env("PUBLIC_SCHEME", default="http")
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=6)
# Retry n waits NOTIFY_RETRY_BASE_SECONDS * 2**(n-1): 30 s, 1 min, 2 min, 4 min, 8 min.
NOTIFY_RETRY_BASE_SECONDS = env.float("NOTIFY_RETRY_BASE_SECONDS", default=30)
# Sends per second per provider, across all workers.
NOTIFY_RATE_PER_SECOND = {
    "push": env.int("NOTIFY_RATE_PUSH", default=500),
    "email": env.int("NOTIFY_RATE_EMAIL", default=100),
    "sms": env.int("NOTIFY_RATE_SMS", default=30),
    "whatsapp": env.int("NOTIFY_RATE_WHATSAPP", default=30),
}
# Marketing is held from QUIET_HOURS_START to QUIET_HOURS_END in the customer's zone.
QUIET_HOURS_START = env.int("QUIET_HOURS_START", default=21)
QUIET_HOURS_END = env.int("QUIET_HOURS_END", default=9)
# Outbox rows, deliveries and the sent-message record are kept this many days (the
# members' inboxes are kept).
NOTIFY_KEEP_DAYS = env.int("NOTIFY_KEEP_DAYS", default=180)

# --- dashboards ----------------------------------------------------------------


def _favicon() -> str:
    from django.templatetags.static import static

    return static("favicon.svg")


def _platform_item(title: str, icon: str, link: str) -> dict[str, Any]:
    from django.urls import reverse_lazy

    return {"title": _(title), "icon": icon, "link": reverse_lazy(f"platform_admin:{link}")}


# The platform dashboard (root domain): every page is a platform admin's.
UNFOLD = {
    "SITE_TITLE": _("Loyalty platform"),
    "SITE_HEADER": _("Loyalty platform"),
    "SITE_FAVICONS": [{"rel": "icon", "type": "image/svg+xml", "href": lambda r: _favicon()}],
    "SHOW_LANGUAGES": True,
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "SIDEBAR": {
        "show_search": False,
        "show_all_applications": False,
        "navigation": [
            {
                "title": _("Merchants"),
                "items": [
                    _platform_item("Overview", "monitoring", "index"),
                    _platform_item("Merchants", "storefront", "tenants_merchant_changelist"),
                    _platform_item("Create merchant", "add_business", "tenants_merchant_create"),
                ],
            },
            {
                "title": _("Billing"),
                "items": [
                    _platform_item("Plans", "sell", "billing_plan_changelist"),
                    _platform_item("Subscriptions", "autorenew", "billing_subscription_changelist"),
                    _platform_item("Invoices", "receipt_long", "billing_invoice_changelist"),
                    _platform_item(
                        "Text messages per month", "sms", "billing_messageusage_changelist"
                    ),
                    _platform_item("Stripe events", "webhook", "billing_stripeevent_changelist"),
                ],
            },
            {
                "title": _("Operations"),
                "items": [
                    _platform_item("Platform mail", "mail", "messaging_delivery_changelist"),
                    _platform_item(
                        "Schema templates", "schema", "tenants_schematemplate_changelist"
                    ),
                ],
            },
            {
                "title": _("Access"),
                "items": [
                    _platform_item("Platform admins", "shield_person", "auth_user_changelist"),
                    _platform_item("Groups", "group", "auth_group_changelist"),
                ],
            },
        ],
    },
}


def _item(title: str, icon: str, link: str, permission: str, **extra: str) -> dict[str, Any]:
    from django.urls import reverse_lazy

    return {
        "title": _(title),  # each title has its Arabic in locale/ar by hand
        "icon": icon,
        "link": reverse_lazy(f"merchant_admin:{link}"),
        "permission": f"dashboard.permissions.{permission}",
        **extra,
    }


# The merchant dashboard: the sidebar follows the role matrix (tenants/roles.py).
UNFOLD_MERCHANT = {
    "SITE_TITLE": "Loyalty",
    "SITE_HEADER": "Loyalty",
    "SITE_FAVICONS": UNFOLD["SITE_FAVICONS"],
    "SHOW_HISTORY": False,
    "SHOW_LANGUAGES": True,
    "SHOW_VIEW_ON_SITE": False,
    "DASHBOARD_CALLBACK": "dashboard.views.home_callback",
    "SIDEBAR": {
        "show_search": False,
        "show_all_applications": False,
        "navigation": [
            {
                "title": _("Counter"),
                "items": [
                    _item("Dashboard", "dashboard", "index", "members_view"),
                    _item("Counter", "qr_code_scanner", "counter", "points_earn"),
                    _item("Members", "groups", "points_membership_changelist", "members_view"),
                    _item(
                        "Redemptions",
                        "redeem",
                        "rewards_redemption_changelist",
                        "redemptions_view",
                        badge="dashboard.admin.pending_redemptions_badge",
                    ),
                ],
            },
            {
                "title": _("Programme"),
                "items": [
                    _item("Rewards", "card_giftcard", "rewards_reward_changelist", "rewards_edit"),
                    _item(
                        "Reward categories",
                        "category",
                        "rewards_rewardcategory_changelist",
                        "rewards_edit",
                    ),
                    _item("Tiers", "military_tech", "points_tier_changelist", "tiers_edit"),
                    _item("Campaigns", "campaign", "points_campaign_changelist", "campaigns_edit"),
                    _item(
                        "Points settings",
                        "tune",
                        "points_pointssettings_changelist",
                        "settings_points",
                    ),
                    _item("Join poster", "qr_code_2", "join_poster", "poster_print"),
                ],
            },
            {
                "title": _("Messages"),
                "items": [
                    _item(
                        "Broadcasts",
                        "campaign",
                        "notifications_broadcast_changelist",
                        "notifications_edit",
                    ),
                    _item(
                        "Notification templates",
                        "edit_notifications",
                        "messaging_eventsetting_changelist",
                        "notifications_edit",
                    ),
                    _item(
                        "Notification log",
                        "notifications",
                        "messaging_delivery_changelist",
                        "notifications_edit",
                        badge="dashboard.notifications_admin.dead_letters_badge",
                    ),
                ],
            },
            {
                "title": _("Records"),
                "items": [
                    _item(
                        "Ledger", "receipt_long", "points_ledgerentry_changelist", "reports_view"
                    ),
                    _item("Staff", "badge", "auth_user_changelist", "staff_manage"),
                    _item("Business profile", "storefront", "profile", "profile_edit"),
                    _item("Subscription", "credit_card", "subscription", "billing_manage"),
                    _item("Audit log", "history", "admin_logentry_changelist", "staff_manage"),
                ],
            },
        ],
    },
}

# --- logging: every line names the schema it ran in ----------------------------------

LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "tenant_context": {"()": "django_tenants.log.TenantContextFilter"},
        "secret_paths": {"()": "loyalty.logfilters.SecretPathFilter"},
    },
    "formatters": {
        "tenant": {
            "format": "%(asctime)s %(levelname)s [%(schema_name)s] %(name)s: %(message)s",
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["tenant_context", "secret_paths"],
            "formatter": "tenant",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own console handlers would print each line twice, without the schema.
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.server": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # gunicorn's request lines, through the same filters (no set-password token).
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
        "celery": {"level": LOG_LEVEL},
        # Provider SDKs log whole requests (SendGrid: the mail and its API key) at
        # DEBUG: a message's link or code never reaches the server log through them.
        "python_http_client": {"level": "WARNING"},
        "twilio": {"level": "WARNING"},
    },
}

# --- merchants -----------------------------------------------------------------

# Subdomains that can never be a merchant's slug.
RESERVED_SLUGS = [
    "www",
    "api",
    "admin",
    "app",
    "static",
    "media",
    "mail",
    "help",
    "support",
    "status",
    "docs",
    "billing",
    "public",
    "platform",
    "dashboard",
    "login",
]
# Words a merchant address may not contain.
# Refused anywhere in an address.
BLOCKED_SLUG_WORDS = ["fuck", "shit", "porn", "nazi"]
# Refused at the start of any word of an address ("scam-shop", "sexshop"), so that
# "essex-cafe" or "skill-gym" stay possible.
BLOCKED_SLUG_STARTS = ["sex", "kill", "scam", "casino"]
DEFAULT_CURRENCY = "JOD"
TRIAL_DAYS = 14

# --- billing (Stripe) ------------------------------------------------------------
# Without a secret key billing is not configured: the subscription page says so and
# merchants stay on the plans the platform gives them (demo mode). Test-mode keys
# (sk_test_...) run the whole flow against Stripe's test mode (README, "Billing").
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
# The signing secret of the webhook endpoint (whsec_...), from the Stripe dashboard or
# `stripe listen`.
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
# How old a signed webhook may be, in seconds, before it is refused as a replay.
STRIPE_WEBHOOK_TOLERANCE = env.int("STRIPE_WEBHOOK_TOLERANCE", default=300)
# Where the SDK sends its calls; the tests point it at a local stub.
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
# The currency merchants are billed in: JOD (plan prices as they are) or USD (each
# plan's USD price).
BILLING_CURRENCY = env("BILLING_CURRENCY", default="JOD").upper()
# Days a merchant whose payment failed keeps working (with a banner) before the
# dashboard turns read-only.
PAST_DUE_GRACE_DAYS = env.int("PAST_DUE_GRACE_DAYS", default=7)
# Days before the trial's end when the owner is reminded by email.
TRIAL_REMINDER_DAYS = [3, 1]
# Self-serve signup: attempts per client address per hour, and how long the link that
# confirms the owner's email works.
SIGNUP_ATTEMPTS_PER_IP_PER_HOUR = 10
OWNER_EMAIL_CHECK_DAYS = 7
# Where a suspended merchant's owner reaches the platform (shown on the suspended page).
PLATFORM_SUPPORT_EMAIL = env("PLATFORM_SUPPORT_EMAIL", default="support@loyalty.jo")
