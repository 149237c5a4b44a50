"""The wall page: scripts from files only (its policy forbids any other), and the language and
time zone of its dates from the settings, not from the kiosk."""

import json
import re

import pytest
from django.test import Client

from ondijon import roles
from supervision.models import WallScreen

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


@pytest.fixture
def kiosk(make_user):
    WallScreen.objects.get_or_create(slug="main", defaults={"name": "Main wall"})
    client = Client()
    client.force_login(make_user(roles.WALL_DISPLAY))
    return client


def wall_config(response) -> dict:
    found = re.search(
        r'<script id="wall-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.DOTALL,
    )
    return json.loads(found.group(1))


def test_wall_page_runs_only_script_files_of_its_own_origin(kiosk):
    response = kiosk.get("/wall/main/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy.split("; ")
    assert "unsafe-inline" not in policy
    tags = SCRIPT_TAG.findall(response.content.decode())
    assert tags
    for attributes in tags:  # a file, or data that never runs
        assert "src=" in attributes or 'type="application/json"' in attributes
    assert any('type="module"' in a and "wall.js" in a for a in tags)


def test_wall_dates_follow_the_settings_language_and_time_zone(kiosk, settings):
    settings.TIME_ZONE = "America/Montreal"
    settings.LANGUAGE_CODE = "fr"
    config = wall_config(kiosk.get("/wall/main/"))
    assert (config["locale"], config["timeZone"]) == ("fr", "America/Montreal")


def test_wall_dates_are_in_the_language_the_page_is_shown_in(kiosk):
    config = wall_config(kiosk.get("/wall/main/", headers={"accept-language": "fr"}))
    assert config["locale"] == "fr"


def test_a_fresh_install_names_its_main_wall_in_french(db):
    assert WallScreen.objects.get(slug="main").name == "Mur principal"
