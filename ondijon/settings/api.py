"""The REST API (Django REST framework) and its OpenAPI schema."""

from .env import env_int, env_str

DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_BODY_BYTES", 5 * 1024 * 1024)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous caller is told 401 with `WWW-Authenticate: Token`.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["ondijon.api.permissions.RolePermission"],
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
        "rest_framework.renderers.BrowsableAPIRenderer",
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
    "SERVE_PERMISSIONS": ["ondijon.api.permissions.ApiUser"],
    # Swagger UI from the installed sidecar package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
