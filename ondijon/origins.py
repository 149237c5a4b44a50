"""Which pages may open a live socket: those of the platform's own origin (scheme, host and
port, as the browser sent them in `Origin`), or of a trusted origin (CSRF_TRUSTED_ORIGINS).

Channels' AllowedHostsOriginValidator compares the host only: a page served by any other
program on the same host (another port) or over plain HTTP could open the room's sockets
with the user's session cookie. Here the whole origin must match.
"""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]  # scheme, host, port


def parse_origin(value: str) -> Origin | None:
    """`scheme://host[:port]` as (scheme, host, port), the default port filled in; None for
    anything else (`null`, a path, another scheme)."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value.decode("latin1")
    return None


def request_scheme(scope: dict) -> str:
    """http or https, as Django's `request.scheme` decides it (SECURE_PROXY_SSL_HEADER)."""
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        name = meta_name.removeprefix("HTTP_").replace("_", "-").lower().encode()
        value = header(scope, name)
        if value is not None:
            return "https" if value.split(",", 1)[0].strip() == secure_value else "http"
    return "https" if scope.get("scheme") in ("wss", "https") else "http"


def trusted(origin: Origin) -> bool:
    scheme, host, port = origin
    for entry in settings.CSRF_TRUSTED_ORIGINS:
        wildcard = "://*." in entry
        allowed = parse_origin(entry.replace("://*.", "://", 1))
        if allowed is None or allowed[0] != scheme or allowed[2] != port:
            continue
        if host == allowed[1] or (wildcard and host.endswith("." + allowed[1])):
            return True
    return False


def same_origin(scope: dict, origin: Origin) -> bool:
    """The socket's page comes from the address the socket itself was opened on."""
    scheme = request_scheme(scope)
    host_header = header(scope, b"host")
    if host_header is None:
        # No browser opens a socket without Host: an in-process client (tests, tools). Its
        # origin must still be an allowed host on its scheme's default port.
        return (
            origin[0] == scheme
            and origin[2] == DEFAULT_PORTS[scheme]
            and validate_host(origin[1], settings.ALLOWED_HOSTS)
        )
    domain, port = split_domain_port(host_header)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    try:
        port_number = int(port) if port else DEFAULT_PORTS[scheme]
    except ValueError:
        return False
    return origin == (scheme, domain, port_number)


def origin_allowed(scope: dict) -> bool:
    value = header(scope, b"origin")
    origin = parse_origin(value) if value is not None else None
    return origin is not None and (same_origin(scope, origin) or trusted(origin))


class SameOriginValidator:
    """ASGI middleware of the WebSocket routes: a handshake from another origin is refused
    (HTTP 403) before any consumer runs."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
