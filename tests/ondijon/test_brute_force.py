"""Guessing passwords or flooding the API does not work: a login is locked per account and per
address after a few failures (each lockout is in the events log, an administrator can lift
it), and a token that calls the API too often is told to wait (429 with Retry-After)."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.test import Client, override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from equipment.tokens import issue_token
from ondijon import roles
from supervision.models import Event

PASSWORD = "correct horse battery staple"  # the make_user fixture's password


def log_in(username: str, password: str, address: str = "10.1.1.1") -> Client:
    client = Client(REMOTE_ADDR=address)
    client.post("/accounts/login/", {"username": username, "password": password})
    return client


def logged_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def test_fifty_wrong_passwords_then_the_right_one_does_not_log_in(make_user):
    make_user(roles.OPERATOR, username="operator")
    for _ in range(50):
        assert not logged_in(log_in("operator", "guess"))
    client = Client(REMOTE_ADDR="10.1.1.1", HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/accounts/login/", {"username": "operator", "password": PASSWORD})
    assert not logged_in(client)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed logins" in page and 'id="id_username"' in page


def test_an_account_is_locked_whatever_address_the_guesses_come_from(make_user):
    make_user(roles.DISPATCHER, username="dispatcher")
    for n in range(10):
        log_in("dispatcher", "guess", address=f"10.2.0.{n}")
    assert not logged_in(log_in("dispatcher", PASSWORD, address="10.2.1.1"))


def test_an_address_is_locked_whatever_accounts_it_tries(make_user):
    make_user(roles.OPERATOR, username="operator")
    for n in range(10):
        log_in(f"user{n}", "guess", address="10.3.0.1")
    assert not logged_in(log_in("operator", PASSWORD, address="10.3.0.1"))
    assert logged_in(log_in("operator", PASSWORD, address="10.3.0.2"))


def test_a_few_mistakes_do_not_lock_anyone_out(make_user):
    make_user(roles.OPERATOR, username="operator")
    for _ in range(2):
        log_in("operator", "typo")
    assert logged_in(log_in("operator", PASSWORD))


def test_a_lockout_is_an_event_of_the_log_once(make_user):
    make_user(roles.OPERATOR, username="operator")
    for _ in range(20):
        log_in("operator", "guess", address="10.4.0.1")
    lockouts = Event.objects.filter(kind="security.login_locked_out")
    assert lockouts.count() == 1
    event = lockouts.get()
    assert (event.subject_type, event.subject_id) == ("account", "operator")
    assert event.payload == {"username": "operator", "ip_address": "10.4.0.1"}


def test_an_administrator_unlocks_an_account_from_the_admin(make_user):
    from axes.models import AccessAttempt

    make_user(roles.OPERATOR, username="operator")
    for _ in range(10):
        log_in("operator", "guess", address="10.5.0.1")
    assert not logged_in(log_in("operator", PASSWORD, address="10.5.0.1"))
    admin = Client()
    admin.force_login(make_user(roles.ADMINISTRATOR, username="admin"))
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "10.5.0.1" in listing.content.decode()
    response = admin.post(
        "/admin/axes/accessattempt/",
        {
            "action": "unlock",
            "_selected_action": list(AccessAttempt.objects.values_list("pk", flat=True)),
        },
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    unlock = Event.objects.get(kind="security.login_unlocked")
    assert unlock.actor_label == "admin" and unlock.payload["usernames"] == ["operator"]
    assert logged_in(log_in("operator", PASSWORD, address="10.5.0.1"))


# --- The API -------------------------------------------------------------------------------


@pytest.fixture
def low_rates():
    with override_settings(API_THROTTLE_RATES={"device": "3/minute", "api_token": "3/minute"}):
        yield


def test_a_device_token_calling_too_often_is_told_when_to_retry(db, low_rates):
    token, key = issue_token("gateway 7", all_equipment=True)
    cache.delete(f"throttle_device_{token.pk}")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    answers = [client.post("/api/v1/telemetry/", {"readings": []}, format="json") for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    assert answers[3].status_code == 429
    assert 0 < int(answers[3]["Retry-After"]) <= 60


def test_an_api_token_calling_too_often_is_told_when_to_retry(make_user, low_rates):
    user = make_user(roles.OPERATOR, username="integration")
    cache.delete(f"throttle_api_token_{user.pk}")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    answers = [client.get("/api/v1/alerts/") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[3]["Retry-After"]) > 0


def test_the_desks_in_a_browser_session_are_not_throttled(make_user, low_rates):
    client = Client()
    client.force_login(make_user(roles.OPERATOR))
    assert {client.get("/api/v1/alerts/").status_code for _ in range(6)} == {200}


def test_the_cache_is_shared_redis_in_production_and_local_on_the_embedded_default():
    from tests.ondijon.test_deployment import settings_in_subprocess

    assert settings_in_subprocess({"DEBUG": "1"}, "s.CACHES['default']['BACKEND']") == repr(
        "django.core.cache.backends.locmem.LocMemCache"
    )
    assert settings_in_subprocess(
        {"SECRET_KEY": "x", "REDIS_URL": "redis://cache:6379/1"},
        "s.CACHES['default']['BACKEND'], s.CACHES['default']['LOCATION']",
    ) == repr(("django.core.cache.backends.redis.RedisCache", "redis://cache:6379/1"))


def test_daphne_answers_a_locked_out_login_with_the_login_page(asgi_server, make_user):
    """The production server runs the middleware asynchronously: same answer there."""
    import requests

    make_user(roles.OPERATOR, username="operator")
    session = requests.Session()
    session.headers["Accept-Language"] = "en"

    def attempt(password: str) -> requests.Response:
        session.get(f"{asgi_server}/accounts/login/", timeout=30)
        return session.post(
            f"{asgi_server}/accounts/login/",
            data={"username": "operator", "password": password},
            headers={"X-CSRFToken": session.cookies["csrftoken"], "Referer": asgi_server},
            allow_redirects=False,
            timeout=30,
        )

    assert attempt("guess").status_code == 200
    for _ in range(5):
        attempt("guess")
    locked = attempt(PASSWORD)
    assert locked.status_code == 429 and "Too many failed logins" in locked.text
    assert "sessionid" not in session.cookies
