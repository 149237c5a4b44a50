"""French by default, English on request, and a chosen language remembered per person."""

import re

import pytest
from django.test import Client

from ondijon.models import LanguagePreference

pytestmark = pytest.mark.django_db


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]*)"', response.content.decode()).group(1)


def test_pages_are_french_by_default_and_english_on_a_browser_asking_for_it(make_user):
    client = Client()
    assert html_lang(client.get("/accounts/login/")) == "fr"
    assert client.get("/accounts/login/").headers["Content-Language"] == "fr"
    assert html_lang(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")) == "en"
    client.force_login(make_user("operator"))
    assert html_lang(client.get("/", follow=True)) == "fr"
    assert html_lang(client.get("/status/")) == "fr"


def test_the_chosen_language_is_remembered_on_the_account_across_browsers(make_user):
    user = make_user("operator")
    first = Client()
    first.force_login(user)
    answer = first.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert answer.status_code == 302
    assert LanguagePreference.objects.get(user=user).language == "en"
    assert html_lang(first.get("/", follow=True)) == "en"
    # Another browser, asking for French, with no language cookie: the choice follows the person.
    second = Client()
    second.force_login(user)
    assert html_lang(second.get("/", follow=True, HTTP_ACCEPT_LANGUAGE="fr")) == "en"
    second.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert LanguagePreference.objects.get(user=user).language == "fr"
    assert html_lang(second.get("/", follow=True, HTTP_ACCEPT_LANGUAGE="en")) == "fr"


def test_an_unknown_language_is_not_remembered(make_user):
    user = make_user("operator")
    client = Client()
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert not LanguagePreference.objects.filter(user=user).exists()
    assert html_lang(client.get("/", follow=True)) == "fr"


def test_the_switch_works_before_login_with_the_cookie_alone():
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert html_lang(client.get("/accounts/login/")) == "en"


def test_api_errors_follow_accept_language(api_client_for):
    client = api_client_for("operator")
    english = client.get("/api/v1/equipment/?page=x", HTTP_ACCEPT_LANGUAGE="en")
    french = client.get("/api/v1/equipment/?page=x", HTTP_ACCEPT_LANGUAGE="fr")
    assert english.status_code == french.status_code == 404
    assert english.headers["Content-Language"] == "en"
    assert french.headers["Content-Language"] == "fr"
    assert english.json()["detail"] != french.json()["detail"]


def test_the_script_catalogue_is_served_to_anyone_as_a_file():
    answer = Client().get("/jsi18n/")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/javascript")
    assert "django.gettext" in answer.content.decode()
