"""Who may reach the platform and how: secret key, hosts, origins, passwords, sessions."""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .base import DEBUG, MAP_TILE_URL
from .env import env_bool, env_int, env_list, env_str

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "ondijon-development-only-not-for-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Kiosk wall screens stay logged in for a long time.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 24 * 30)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Content-Security-Policy of every response (ondijon/csp.py): scripts, styles, fonts and
# sockets of the platform's own origin only; images also from the map's tile server.
# Leaflet sets its positions through the DOM's style properties, which `style-src 'self'`
# allows, so no page of the room needs inline styles (the developers' pages do: ondijon/csp.py).
MAP_TILE_ORIGIN = ""
if MAP_TILE_URL:
    _tiles = urlsplit(MAP_TILE_URL)
    # `{s}` is the tile servers' subdomain letter: any subdomain of that host.
    MAP_TILE_ORIGIN = f"{_tiles.scheme}://{_tiles.netloc}".replace("{s}", "*")
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        " ".join(["img-src 'self' data:", MAP_TILE_ORIGIN]).strip(),
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)
