"""Every response carries the site's strict Content-Security-Policy: a name planted with
markup can never run script, even on a page that forgot to treat it as text."""

import pytest

from ondijon import roles

STRICT = [
    "script-src 'self'",
    "style-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
]


def directives(response) -> list[str]:
    return response["Content-Security-Policy"].split("; ")


@pytest.mark.parametrize(
    "path",
    ["/", "/dispatch/", "/alerts/", "/log/", "/crisis/", "/wall/", "/admin/", "/api/v1/teams/"],
)
def test_every_page_carries_the_strict_policy(client, make_user, path):
    client.force_login(make_user(roles.ADMINISTRATOR, is_superuser=True))
    response = client.get(path, HTTP_ACCEPT="text/html" if path != "/api/v1/teams/" else "*/*")
    assert response.status_code == 200
    for directive in STRICT:
        assert directive in directives(response)
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_public_pages_and_refusals_carry_it_too(client):
    for path in ["/status/", "/accounts/login/", "/no-such-page/"]:
        assert "script-src 'self'" in directives(client.get(path))


def test_developer_pages_allow_inline_styles_only(client, make_user):
    """DRF's browsable API and Swagger UI come with inline styles: those apply, and their
    scripts stay as strict as everywhere else (Swagger's start-up script is a file)."""
    client.force_login(make_user(roles.ADMINISTRATOR, is_superuser=True))
    for path in ["/api/v1/teams/", "/api/docs/"]:
        response = client.get(path, HTTP_ACCEPT="text/html")
        assert response.status_code == 200
        policy = directives(response)
        assert "style-src 'self' 'unsafe-inline'" in policy
        assert "script-src 'self'" in policy
        assert "<script>" not in response.content.decode()


def test_map_tiles_from_the_configured_server_are_allowed(monkeypatch):
    import importlib

    from ondijon.settings import security

    monkeypatch.setenv("MAP_TILE_URL", "https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    from ondijon.settings import base

    try:
        importlib.reload(base)
        importlib.reload(security)
        assert "img-src 'self' data: https://*.tiles.example.org" in (
            security.CONTENT_SECURITY_POLICY.split("; ")
        )
    finally:
        monkeypatch.delenv("MAP_TILE_URL")
        importlib.reload(base)
        importlib.reload(security)
