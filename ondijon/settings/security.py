"""Who may reach the platform and how: secret key, hosts, origins, passwords, sessions."""

from datetime import timedelta
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
if MAP_TILE_URL and urlsplit(MAP_TILE_URL).netloc:  # a tile file is served from 'self'
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
# --- HTTPS (production: README, "Production stack") ----------------------------------------
# Plain HTTP asked for is redirected to HTTPS, except the health check that the load balancer
# and docker-compose make over plain HTTP inside the network.
SECURE_SSL_REDIRECT = env_bool("SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Browsers keep to HTTPS for this long once they have seen the platform over it.
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", False)
# Behind a TLS-terminating proxy: the header (e.g. X-Forwarded-Proto) by which it says that
# the client used HTTPS. Set it only when the proxy always sets or strips that header.
_PROXY_SSL_HEADER = env_str("PROXY_SSL_HEADER")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https") if _PROXY_SSL_HEADER else None
)

# --- Logins: lockout after repeated failures (django-axes) -----------------------------------
# Axes' backend comes first: it refuses a locked-out account or address before any password
# is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failures are counted per account and per address: either one reaching the limit locks it
# (guessing one account's password from many addresses, or many accounts' from one).
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
# Unlocked by itself after this long (a room that mistypes at 3 a.m. is not shut out for the
# night), or at once by an administrator (admin, Lockouts).
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "ondijon.views.login_locked_out"
# The project's own admin of lockouts (ondijon/lockouts_admin.py) unlocks through a service.
AXES_ENABLE_ADMIN = False
# The address is REMOTE_ADDR: behind a reverse proxy, run daphne with `--proxy-headers` so that
# it is the client's (from X-Forwarded-For), not the proxy's.
