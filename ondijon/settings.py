"""Settings for ondijon, all taken from the environment.

Unset DATABASE_URL means an SQLite file (WAL); unset REDIS_URL means the in-memory channel
layer and in-process jobs. See README.md for the production variables.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "ondijon-development-only-not-for-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leaflet",
    "ondijon",
    "equipment",
    "interventions",
    "hotline",
    "supervision",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a login unless marked @login_not_required (DRF views answer 401 themselves).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "ondijon.urls"
ASGI_APPLICATION = "ondijon.asgi.application"
WSGI_APPLICATION = None

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
                "ondijon.context_processors.platform",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
SQLITE_PATH = Path(os.environ.get("SQLITE_PATH", BASE_DIR / "db.sqlite3"))
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            # The test database must be a file: live-server and channels tests share it
            # between threads and processes.
            "TEST": {"NAME": str(SQLITE_PATH.with_name(SQLITE_PATH.stem + "-test.sqlite3"))},
            "OPTIONS": {
                # IMMEDIATE makes writers queue on the lock instead of failing on upgrade.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DATABASE_IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, Celery -----------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 times a read out after 5 s by default, which aborts the layer's
                # blocking receive on any socket idle that long (channels_redis issue #422).
                "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
                "prefix": os.environ.get("CHANNEL_PREFIX", "ondijon"),
                # Frames are batched so a screen's channel holds few messages; the capacity
                # is still sized for bursts, and the replay by sequence number repairs any loss.
                "capacity": int(os.environ.get("CHANNEL_CAPACITY", "1000")),
                "expiry": 30,
                # Live sockets renew their membership at each heartbeat (supervision/consumers.py).
                "group_expiry": int(os.environ.get("CHANNEL_GROUP_EXPIRY", "300")),
            },
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"group_expiry": int(os.environ.get("CHANNEL_GROUP_EXPIRY", "300"))},
        }
    }
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Europe/Paris"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_BEAT_SCHEDULE: dict = {}

# --- Auth -----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Kiosk wall screens stay logged in for a long time.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(60 * 60 * 24 * 30)))
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- REST API -------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("MAX_BODY_BYTES", str(5 * 1024 * 1024)))
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous caller is told 401 with `WWW-Authenticate: Token`.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["ondijon.permissions.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "ondijon.pagination.Pagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "ondijon.api_errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ondijon API",
    "DESCRIPTION": "City operations platform: equipment, interventions, hotline, supervision.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["ondijon.permissions.ApiUser"],
    # Swagger UI from the installed sidecar package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Map ------------------------------------------------------------------------------
# Empty MAP_TILE_URL means offline: maps draw the districts served by the app instead.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")
MAP_CENTER = (47.322, 5.041)
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": MAP_CENTER,
    "DEFAULT_ZOOM": 13,
    "MIN_ZOOM": 10,
    "MAX_ZOOM": 19,
    "TILES": [("tiles", MAP_TILE_URL, {"attribution": MAP_TILE_ATTRIBUTION})]
    if MAP_TILE_URL
    else [],
    "RESET_VIEW": False,
}

# --- Platform -------------------------------------------------------------------------
CITY_NAME = os.environ.get("CITY_NAME", "Dijon Métropole")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"daphne": {"level": "WARNING"}},
}

# --- Interventions --------------------------------------------------------------------
# Target time from report to on-site, per priority (P1..P4), in minutes.
INTERVENTION_TARGET_MINUTES = {1: 15, 2: 30, 3: 120, 4: 480}

# --- Telemetry and alert rules (issue 4) ------------------------------------------------
TELEMETRY_MAX_READINGS = int(os.environ.get("TELEMETRY_MAX_READINGS", "5000"))
# Readings older than this are purged by the `equipment.purge_readings` job.
TELEMETRY_RETENTION_DAYS = int(os.environ.get("TELEMETRY_RETENTION_DAYS", "90"))
# Numeric metrics whose every change the wall shows (others: status, text and booleans only).
TELEMETRY_WALL_METRICS = set(env_list("TELEMETRY_WALL_METRICS", "occupancy,in,out,count"))
# Called inside each ingest transaction with the batch's device updates (rules, in memory).
TELEMETRY_BATCH_HANDLERS = [
    "supervision.rules.evaluate_batch",
    # Issue 7: a market's occupancy follows its gates' counters in the same transaction.
    "supervision.markets.evaluate_batch",
]
# Called inside each site change's transaction with the site before and after it: the events
# of what else the change shows (a market's name and capacity on the wall).
SITE_CHANGE_HANDLERS = ["supervision.markets.site_changed"]
MQTT_URL = os.environ.get("MQTT_URL", "mqtt://127.0.0.1:1883")
MQTT_TOPICS = env_list("MQTT_TOPICS", "city/+/+/telemetry")
# The simulator that `demo` starts: readings per second (0 = off) and transport.
SIMULATOR_RATE = float(os.environ.get("SIMULATOR_RATE", "50"))
CELERY_BEAT_SCHEDULE.update(
    {
        "rule-checks": {
            "task": "supervision.tasks.run_rule_checks",
            "schedule": float(os.environ.get("RULE_CHECK_SECONDS", "15")),
        },
        "purge-readings": {"task": "equipment.tasks.purge_readings", "schedule": 3600.0},
    }
)

# --- Dispatch (issue 5) ---------------------------------------------------------------
# Travel-time estimate used to rank teams: any class with `seconds(team_lat, team_lon, lat,
# lon, service) -> float`. The default: crow-flies distance x road-detour factor / mean speed.
DISPATCH_ETA_ESTIMATOR = os.environ.get(
    "DISPATCH_ETA_ESTIMATOR", "interventions.dispatch.DetourEstimator"
)
DISPATCH_ROAD_DETOUR_FACTOR = float(os.environ.get("DISPATCH_ROAD_DETOUR_FACTOR", "1.35"))
DISPATCH_MEAN_SPEED_KMH = {
    "police": 40.0,
    "lighting": 30.0,
    "roads": 30.0,
    "water": 30.0,
    "cleaning": 20.0,
    "green_spaces": 25.0,
    "buildings": 30.0,
}
DISPATCH_DEFAULT_SPEED_KMH = 30.0
# A team whose last position is older than this is listed apart, marked stale.
DISPATCH_STALE_POSITION_SECONDS = int(os.environ.get("DISPATCH_STALE_POSITION_SECONDS", "300"))
# The estimator ranks the nearest teams as the crow flies (so a slow road-routing estimator
# only ever sees a few dozen teams, however large the fleet).
DISPATCH_PREFILTER = 40
# Ranking first looks within this half-side (metres) of the incident, then the whole fleet.
DISPATCH_SEARCH_BOX_M = float(os.environ.get("DISPATCH_SEARCH_BOX_M", "5000"))
DISPATCH_CANDIDATES = 5

# --- Wall screens (supervision) --------------------------------------------------------
# A screen receives at most one frame per WALL_FRAME_SECONDS (latest state per object), a
# heartbeat every WALL_HEARTBEAT_SECONDS, and shows "data stale" after WALL_STALE_SECONDS
# without either. Further behind than WALL_REPLAY_LIMIT events, it reloads a snapshot.
WALL_FRAME_SECONDS = float(os.environ.get("WALL_FRAME_SECONDS", "0.15"))
WALL_HEARTBEAT_SECONDS = float(os.environ.get("WALL_HEARTBEAT_SECONDS", "5"))
WALL_STALE_SECONDS = float(os.environ.get("WALL_STALE_SECONDS", "15"))
WALL_REPLAY_LIMIT = int(os.environ.get("WALL_REPLAY_LIMIT", "20000"))

# --- Hotline (Allo Mairie) ------------------------------------------------------------
# Opening hours per weekday (Monday = 0): list of ("HH:MM", "HH:MM") ranges, local time.
# A crisis mode can switch the hotline to 24/7 (hotline.services.set_round_the_clock).
HOTLINE_OPENING_HOURS = {
    0: [("08:30", "18:00")],
    1: [("08:30", "18:00")],
    2: [("08:30", "18:00")],
    3: [("08:30", "18:00")],
    4: [("08:30", "18:00")],
    5: [("09:00", "12:30")],
    6: [],
}
# Callers' personal data is anonymised after this many days; the statistics stay.
HOTLINE_CALLER_RETENTION_DAYS = int(os.environ.get("HOTLINE_CALLER_RETENTION_DAYS", "90"))
# Closed referrals and people who left the register: the social team's own retention.
HOTLINE_REFERRAL_RETENTION_DAYS = int(os.environ.get("HOTLINE_REFERRAL_RETENTION_DAYS", "365"))
CELERY_BEAT_SCHEDULE["hotline-anonymise-personal-data"] = {
    "task": "hotline.tasks.anonymise_expired_personal_data",
    "schedule": 3600.0,
}

# --- Commands to equipment and crisis modes (issue 7) ---------------------------------
# How commands reach devices: "equipment.adapters.MqttAdapter" in production (with the
# `listen_command_acks` command running), the simulated devices by default.
COMMAND_ADAPTER = os.environ.get("COMMAND_ADAPTER", "equipment.adapters.SimulatedAdapter")
COMMAND_MQTT_URL = os.environ.get("MQTT_URL", "mqtt://127.0.0.1:1883")
COMMAND_MQTT_TIMEOUT_S = float(os.environ.get("COMMAND_MQTT_TIMEOUT_S", "10"))
COMMAND_TOPIC_PREFIX = os.environ.get("COMMAND_TOPIC_PREFIX", "city")
COMMAND_ACK_TIMEOUT_S = float(os.environ.get("COMMAND_ACK_TIMEOUT_S", "10"))
COMMAND_MAX_ATTEMPTS = int(os.environ.get("COMMAND_MAX_ATTEMPTS", "3"))
COMMAND_SEND_BATCH = int(os.environ.get("COMMAND_SEND_BATCH", "200"))
COMMAND_SIMULATOR = {
    "seed": int(os.environ.get("COMMAND_SIMULATOR_SEED", "7")),
    "failure_rate": float(os.environ.get("COMMAND_SIMULATOR_FAILURE_RATE", "0.01")),
    "min_delay_s": float(os.environ.get("COMMAND_SIMULATOR_MIN_DELAY_S", "0.2")),
    "max_delay_s": float(os.environ.get("COMMAND_SIMULATOR_MAX_DELAY_S", "1.5")),
}
CELERY_IMPORTS = [
    *globals().get("CELERY_IMPORTS", []),
    "equipment.command_tasks",
    "supervision.crisis_tasks",
]
CELERY_BEAT_SCHEDULE["expire-overdue-commands"] = {
    "task": "equipment.command_tasks.expire_overdue_commands",
    "schedule": 2.0,
}
CELERY_BEAT_SCHEDULE["emergency-vehicle-priority"] = {
    "task": "supervision.crisis_tasks.update_priorities",
    "schedule": 3.0,
}
CELERY_BEAT_SCHEDULE["market-regulation"] = {
    "task": "supervision.crisis_tasks.regulate_markets",
    "schedule": 5.0,
}
CELERY_BEAT_SCHEDULE["locked-building-watch"] = {
    "task": "supervision.crisis_tasks.watch_locked_buildings",
    "schedule": 2.0,
}
# Emergency-vehicle and bus priority at traffic signals.
PRIORITY_CORRIDOR_M = float(os.environ.get("PRIORITY_CORRIDOR_M", "60"))
PRIORITY_AHEAD_M = float(os.environ.get("PRIORITY_AHEAD_M", "400"))
PRIORITY_TIMEOUT_S = float(os.environ.get("PRIORITY_TIMEOUT_S", "120"))
BUS_PRIORITY_DELAY_S = int(os.environ.get("BUS_PRIORITY_DELAY_S", "120"))
BUS_PRIORITY_RADIUS_M = float(os.environ.get("BUS_PRIORITY_RADIUS_M", "150"))
# Periodic jobs run every few seconds: their "task succeeded" lines would drown the log.
LOGGING["loggers"]["celery.app.trace"] = {"level": "WARNING"}
# Crisis modes: the switch records the plan in one short transaction, then commands go out
# in batches of this many, each in its own transaction, so the events log's numbering lock is
# never held for long (a Celery task; on the embedded default, the in-process jobs thread).
CRISIS_SEND_BATCH = int(os.environ.get("CRISIS_SEND_BATCH", "200"))
# A plan with commands still to send and no batch for this long shows as stalled (retry).
CRISIS_STALLED_SECONDS = float(os.environ.get("CRISIS_STALLED_SECONDS", "30"))
# Background jobs without a Celery worker: "thread" (one in-process jobs thread) or "inline"
# (run at once in the caller: the tests' default).
IN_PROCESS_JOBS = os.environ.get("IN_PROCESS_JOBS", "thread")
# Markets reopen their gates once occupancy is back under this share of capacity.
MARKET_REOPEN_RATIO = float(os.environ.get("MARKET_REOPEN_RATIO", "0.9"))
# The hotline's number on the public status page (its hours: HOTLINE_OPENING_HOURS).
HOTLINE_PHONE = os.environ.get("HOTLINE_PHONE", "0 800 21 00 00")
