"""Production over HTTPS: the README's production variables give a `check --deploy` with no
warning, and a live page's socket is accepted only from the page's own origin (scheme, host
and port) or a trusted one."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from ondijon.origins import SameOriginValidator

# A refused or accepted handshake goes through the consumer, which closes old database
# connections first (Channels): on PostgreSQL that is database access.
pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def readme_production_variables() -> dict[str, str]:
    """The `export NAME=value` lines of the README's production section, as a shell would."""
    section = (ROOT / "README.md").read_text().split("## Production stack", 1)[1]
    section = section.split("\n## ", 1)[0]
    variables = {}
    for line in section.splitlines():
        if line.startswith("export "):
            for name, value in re.findall(r"([A-Z_]+)=(\S+)", line):
                variables[name] = value
    return variables


def test_the_readme_names_the_https_variables():
    variables = readme_production_variables()
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "SSL_REDIRECT", "HSTS_SECONDS", "SECURE_COOKIES"):
        assert name in variables, name
    assert variables["SECRET_KEY"] == "..."  # a placeholder the test gives a real value for


def test_check_deploy_is_clean_with_the_readmes_production_variables():
    variables = readme_production_variables()
    # The placeholder stands for a long random key, as `check --deploy` wants.
    variables["SECRET_KEY"] = "k" * 20 + "".join(chr(ord("a") + n % 26) for n in range(7, 60))
    clean = {
        name: value
        for name, value in os.environ.items()
        if name
        not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    # No server is needed by the checks: the database and Redis are the README's examples.
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "ondijon.settings", **variables},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output


def test_production_https_settings_come_from_the_environment():
    from tests.ondijon.test_deployment import settings_in_subprocess

    out = settings_in_subprocess(
        {
            "SECRET_KEY": "x",
            "SSL_REDIRECT": "true",
            "HSTS_SECONDS": "31536000",
            "HSTS_INCLUDE_SUBDOMAINS": "true",
            "HSTS_PRELOAD": "true",
            "SECURE_COOKIES": "true",
            "PROXY_SSL_HEADER": "X-Forwarded-Proto",
        },
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        " s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_PROXY_SSL_HEADER",
    )
    assert out == repr(
        (True, 31536000, True, True, True, True, ("HTTP_X_FORWARDED_PROTO", "https"))
    )
    assert settings_in_subprocess(
        {"DEBUG": "1"}, "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS"
    ) == (repr((False, 0)))


@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_redirected_to_https_but_the_health_check(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 301 and response["Location"].startswith("https://")
    assert client.get("/healthz").status_code == 200


# --- WebSocket origins ------------------------------------------------------------------------


class Accepting(AsyncWebsocketConsumer):
    async def connect(self):
        await self.accept()


async def handshake(origin: str | None, host: str | None, scheme: str = "ws", extra=()) -> bool:
    headers = [*extra]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if host is not None:
        headers.append((b"host", host.encode()))
    communicator = WebsocketCommunicator(
        SameOriginValidator(Accepting.as_asgi()), "/ws/wall/main/", headers=headers
    )
    communicator.scope["scheme"] = scheme
    connected, _ = await communicator.connect(timeout=10)
    await communicator.disconnect()
    return connected


HOSTS = override_settings(ALLOWED_HOSTS=["ops.example.org", "127.0.0.1"], CSRF_TRUSTED_ORIGINS=[])


@HOSTS
@pytest.mark.parametrize(
    "origin, host, scheme, accepted",
    [
        ("https://ops.example.org", "ops.example.org", "wss", True),
        ("https://ops.example.org:443", "ops.example.org", "wss", True),
        ("http://127.0.0.1:8000", "127.0.0.1:8000", "ws", True),
        # Same host, another port: another site (another program on the same machine).
        ("https://ops.example.org:8443", "ops.example.org", "wss", False),
        ("http://127.0.0.1:9999", "127.0.0.1:8000", "ws", False),
        # Same host and port, another scheme.
        ("http://ops.example.org", "ops.example.org", "wss", False),
        ("https://ops.example.org", "ops.example.org", "ws", False),
        # Another host, or a host not allowed.
        ("https://evil.example", "ops.example.org", "wss", False),
        ("https://evil.example", "evil.example", "wss", False),
        ("null", "ops.example.org", "wss", False),
        (None, "ops.example.org", "wss", False),
        ("https://ops.example.org.evil.example", "ops.example.org", "wss", False),
    ],
)
async def test_a_socket_is_accepted_only_from_its_pages_own_origin(origin, host, scheme, accepted):
    assert await handshake(origin, host, scheme) is accepted


@HOSTS
async def test_without_a_host_header_only_an_allowed_host_on_its_default_port_is_accepted():
    assert await handshake("http://127.0.0.1", None)
    assert not await handshake("http://127.0.0.1:8001", None)
    assert not await handshake("http://evil.example", None)


@override_settings(
    ALLOWED_HOSTS=["ops.example.org"], SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")
)
async def test_behind_a_tls_proxy_the_scheme_is_the_proxys_word():
    proxied = [(b"x-forwarded-proto", b"https")]
    assert await handshake("https://ops.example.org", "ops.example.org", "ws", proxied)
    assert not await handshake("http://ops.example.org", "ops.example.org", "ws", proxied)
    assert not await handshake("https://ops.example.org", "ops.example.org", "ws")


@override_settings(
    ALLOWED_HOSTS=["ops.example.org"],
    CSRF_TRUSTED_ORIGINS=["https://wall.example.org:8443", "https://*.rooms.example.org"],
)
async def test_a_trusted_origin_is_accepted_with_its_exact_scheme_and_port():
    assert await handshake("https://wall.example.org:8443", "ops.example.org", "wss")
    assert not await handshake("https://wall.example.org", "ops.example.org", "wss")
    assert await handshake("https://east.rooms.example.org", "ops.example.org", "wss")
    assert not await handshake("http://east.rooms.example.org", "ops.example.org", "wss")


def test_the_live_sockets_go_through_the_same_origin_check():
    from ondijon.asgi import application

    assert isinstance(application.application_mapping["websocket"], SameOriginValidator)


@pytest.mark.django_db(transaction=True)
async def test_a_logged_in_wall_from_another_port_is_refused(make_user):
    from asgiref.sync import sync_to_async
    from django.test import Client

    from ondijon import roles
    from ondijon.asgi import application
    from supervision.models import WallScreen

    def wall_cookie() -> bytes:
        # Transactional tests flush the tables, the migration's main screen included.
        WallScreen.objects.get_or_create(
            slug="main", defaults={"name": "Main wall", "panels": WallScreen.Panel.values}
        )
        client = Client()
        client.force_login(make_user(roles.WALL_DISPLAY))
        return f"sessionid={client.cookies['sessionid'].value}".encode()

    cookie = (b"cookie", await sync_to_async(wall_cookie)())

    async def connects(origin: bytes) -> bool:
        socket = WebsocketCommunicator(
            application,
            "/ws/wall/main/?after=0",
            headers=[(b"origin", origin), (b"host", b"127.0.0.1:8000"), cookie],
        )
        connected, _ = await socket.connect(timeout=10)
        await socket.disconnect()
        return connected

    assert not await connects(b"http://127.0.0.1:8001")
    assert await connects(b"http://127.0.0.1:8000")
