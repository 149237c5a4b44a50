"""The Django project itself: applications, middleware, pages, languages, static files, logs."""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_float, env_int, env_str

BASE_DIR = Path(__file__).resolve().parents[2]

DEBUG = env_bool("DEBUG", False)

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
    "axes",
    "ondijon",
    "equipment",
    "interventions",
    "hotline",
    "geography",
    "supervision",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "ondijon.csp.content_security_policy",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in person's chosen language wins over the browser's (ondijon/languages.py).
    "ondijon.languages.remembered_language",
    # An unreachable database or Redis answers 503 with Retry-After, never 500.
    "ondijon.outage.OutageMiddleware",
    # Every page needs a login unless marked @login_not_required (DRF views answer 401 themselves).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused for too many failures into the login page's lockout answer.
    "axes.middleware.AxesMiddleware",
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
                # LANGUAGE_CODE for <html lang> and the language switch.
                "django.template.context_processors.i18n",
                "ondijon.context_processors.platform",
                "ondijon.context_processors.top_bar",
            ],
        },
    },
]

# --- Internationalisation -------------------------------------------------------------
# French first: the room is French municipal staff; English is the second language. A browser
# that asks for English (Accept-Language) or a person who chose it gets English; the API's
# error messages follow Accept-Language too (LocaleMiddleware).
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
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

# --- Map ------------------------------------------------------------------------------
# Empty MAP_TILE_URL means offline: maps draw the imported streets served by the app instead
# (geography/basemap.py). A city's own raster tile file (MBTiles: MAP_TILE_FILE) is served by
# the app too, at /map/tiles/{z}/{x}/{y}.
MAP_TILE_URL = env_str("MAP_TILE_URL")
MAP_TILE_FILE = env_str("MAP_TILE_FILE")
if MAP_TILE_FILE and not MAP_TILE_URL:
    MAP_TILE_URL = "/map/tiles/{z}/{x}/{y}"
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION")
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

# --- Outages ---------------------------------------------------------------------------
# What a 503 tells clients while the database or Redis is unreachable (ondijon/outage.py).
OUTAGE_RETRY_AFTER_SECONDS = env_int("OUTAGE_RETRY_AFTER_SECONDS", 5)

# --- The platform's processes ------------------------------------------------------------
# Each long-running process reports it is alive this often (ondijon/liveness.py; 0: never);
# one silent for PROCESS_SILENT_SECONDS is shown, and logged, as stopped.
PROCESS_REPORT_SECONDS = env_float("PROCESS_REPORT_SECONDS", 10)
PROCESS_SILENT_SECONDS = env_float("PROCESS_SILENT_SECONDS", 35)

# --- Platform -------------------------------------------------------------------------
CITY_NAME = env_str("CITY_NAME", "Dijon Métropole")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "daphne": {"level": "WARNING"},
        # Periodic jobs run every few seconds: their "task succeeded" lines would drown the log.
        "celery.app.trace": {"level": "WARNING"},
    },
}
