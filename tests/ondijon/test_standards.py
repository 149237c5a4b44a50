"""Per-standard read access (ondijon/standards.py): public, API key or off, with a rate."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from ondijon.standards import StandardView


class Probe(StandardView, APIView):
    standard = "probe"

    def get(self, request):
        return Response({"ok": True})


def call(query: str = "", **headers) -> int:
    request = APIRequestFactory().get(f"/probe{query}", **headers)
    return Probe.as_view()(request).status_code


@pytest.fixture
def key(make_user):
    return Token.objects.create(user=make_user(username="partner")).key


@pytest.mark.django_db
def test_public_off_and_api_key(settings, key, make_user):
    settings.STANDARDS_THROTTLE_RATES = {}
    settings.STANDARDS_ACCESS = {"probe": "public"}
    assert call() == 200
    settings.STANDARDS_ACCESS = {"probe": "off"}
    assert call() == 404
    assert call(f"?api_key={key}") == 404
    settings.STANDARDS_ACCESS = {}  # not configured: off
    assert call() == 404
    settings.STANDARDS_ACCESS = {"probe": "api_key"}
    assert call() == 403
    assert call("?api_key=wrong") == 403
    assert call(f"?api_key={key}") == 200
    assert call(HTTP_AUTHORIZATION=f"Token {key}") == 200
    inactive = Token.objects.create(user=make_user(username="gone", is_active=False)).key
    assert call(f"?api_key={inactive}") == 403


@pytest.mark.django_db
def test_rate_per_key_or_address(settings, key):
    from django.core.cache import cache

    cache.clear()
    settings.STANDARDS_ACCESS = {"probe": "public"}
    settings.STANDARDS_THROTTLE_RATES = {"probe": "2/minute"}
    assert [call() for _ in range(3)] == [200, 200, 429]
    # A partner with its key is counted apart from the anonymous readers of its address.
    assert [call(f"?api_key={key}") for _ in range(3)] == [200, 200, 429]
    cache.clear()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("standard", "path"),
    [
        ("cap", "/cap/feed.atom"),
        ("open311", "/open311/v2/services.json"),
        ("ngsi_ld", "/ngsi-ld/v1/types"),
        ("ngsi_ld", "/ngsi-ld/v1/entities"),
        ("ngsi_ld", "/ngsi-ld/v1/temporal/entities?type=Streetlight"),
    ],
)
def test_each_standards_endpoints_keep_its_access_and_rate(client, settings, standard, path):
    """The real endpoints, not only the mixin: each follows its own standard's setting."""
    from django.core.cache import cache

    cache.clear()
    settings.STANDARDS_ACCESS = {standard: "public"}
    settings.STANDARDS_THROTTLE_RATES = {standard: "2/minute"}
    assert [client.get(path).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get(path).headers.get("Retry-After")
    cache.clear()
    settings.STANDARDS_ACCESS = {standard: "api_key"}
    assert client.get(path).status_code == 403
    settings.STANDARDS_ACCESS = {standard: "off"}
    assert client.get(path).status_code == 404
    cache.clear()
