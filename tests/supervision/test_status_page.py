"""The public status page: no login, the mode and its message, answers, markets, hotline."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from equipment.models import Equipment, Site
from hotline.models import Article, Category
from ondijon import roles
from supervision.crisis import services as crisis
from supervision.models import CrisisMode, PlaybookAction

# These tests check the wording of messages: they read them in English (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def answers(db):
    category = Category.objects.create(code="forms", name="Forms")
    now = timezone.now()
    Article.objects.create(
        key="attestation",
        version=1,
        title="Travel form v1",
        body="Old answer",
        category=category,
        source="national",
        valid_from=now - timedelta(days=2),
    )
    Article.objects.create(
        key="attestation",
        version=2,
        title="Travel form",
        body="Print the form or copy it.",
        category=category,
        source="national",
        valid_from=now - timedelta(days=1),
    )
    Article.objects.create(
        key="internal",
        version=1,
        title="Agents only",
        body="Not for the public",
        category=category,
        source="local",
        valid_from=now - timedelta(days=1),
        public=False,
    )


def test_status_page_needs_no_login_and_shows_normal_mode(answers, settings):
    response = Client().get("/status/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Normal" in page and "No special measures" in page
    assert "Print the form or copy it." in page
    assert "Old answer" not in page and "Agents only" not in page
    assert settings.HOTLINE_PHONE in page
    assert "Mon–Fri 08:30–18:00; Sat 09:00–12:30" in page
    assert 'name="viewport"' in page and "<html lang=" in page


def test_status_page_shows_the_crisis_mode_message_and_full_markets(
    district, make_equipment, make_user
):
    mode = CrisisMode.objects.create(code="health-emergency", name="Health emergency")
    PlaybookAction.objects.create(mode=mode, position=1, type="hotline_24_7")
    PlaybookAction.objects.create(
        mode=mode, position=2, type="public_message", text="Stay at home except for essentials."
    )
    crisis.activate(mode, make_user(roles.SUPERVISOR), "Decree", confirmed=True)
    site = Site.objects.create(
        code="halles",
        name="Les Halles",
        kind="market",
        district=district,
        latitude=47.32,
        longitude=5.04,
        capacity=200,
    )
    make_equipment("MG-1", "market_gate", {"in": 250, "out": 50, "display": "full"}, site=site)

    page = Client().get("/status/").content.decode()
    assert "Health emergency" in page
    assert "Stay at home except for essentials." in page
    assert "24 hours a day, 7 days a week" in page
    assert "Les Halles" in page and "Full" in page and "200 of 200 people inside" in page
    assert Equipment.objects.get(code="MG-1").state["display"] == "full"


def test_status_page_is_fast(answers, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):  # a fixed number, whatever the data
        assert Client().get("/status/").status_code == 200
