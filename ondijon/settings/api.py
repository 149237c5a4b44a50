"""The REST API (Django REST framework) and its OpenAPI schema."""

from .env import env_int, env_str

DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_BODY_BYTES", 5 * 1024 * 1024)
# What the API, the telemetry ingest and the trackers accept (ondijon/inputs.py): nothing dated
# before the platform's epoch, no planned date further ahead than INPUT_MAX_FUTURE_DAYS, no
# measured time (a reading, a position) more than MEASURED_TIME_FUTURE_SECONDS ahead of the
# server's clock, no JSON nested deeper than API_MAX_JSON_DEPTH.
INPUT_EARLIEST_TIME = env_str("INPUT_EARLIEST_TIME", "2000-01-01T00:00:00+00:00")
INPUT_MAX_FUTURE_DAYS = env_int("INPUT_MAX_FUTURE_DAYS", 3660)
MEASURED_TIME_FUTURE_SECONDS = env_int("MEASURED_TIME_FUTURE_SECONDS", 300)
API_MAX_JSON_DEPTH = env_int("API_MAX_JSON_DEPTH", 32)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous caller is told 401 with `WWW-Authenticate: Token`.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["ondijon.api.permissions.RolePermission"],
    "DEFAULT_PARSER_CLASSES": [
        "ondijon.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["ondijon.api.throttling.TokenRateThrottle"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "ondijon.api.pagination.Pagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "ondijon.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "ondijon.api.renderers.BrowsableAPI",
    ],
}
# Calls per token (ondijon/api/throttling.py), counted in the shared cache. Well above what a
# gateway, a tracker or the benches send (bench/README.md: tens of calls a second per token).
API_THROTTLE_RATES = {
    "device": env_str("API_THROTTLE_DEVICE_RATE", "30000/minute"),
    "api_token": env_str("API_THROTTLE_TOKEN_RATE", "12000/minute"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ondijon API",
    "DESCRIPTION": "City operations platform: equipment, interventions, hotline, supervision.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request and response bodies apart: what a caller must send is not what it gets back.
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `status`; the referral's is named, not given a hashed name.
    "ENUM_NAME_OVERRIDES": {"ReferralStatusEnum": "hotline.models.Referral.Status"},
    "SERVE_PERMISSIONS": ["ondijon.api.permissions.ApiUser"],
    # The live pages' JSON (wall, desks) and the events' payloads (supervision/api/shapes.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "supervision.api.shapes.add_live_pages",
    ],
    # Swagger UI from the installed sidecar package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
