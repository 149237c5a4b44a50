"""The API writes only what the services' rules allow: a referral's status moves through its
flow, consent is not taken back, and the server's clock sets every time it owns."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIClient

from hotline import services
from hotline.models import Call, Category, Referral
from interventions.models import Intervention
from ondijon import roles as r
from ondijon.urls import api_router

LONG_AGO = "2001-01-01T00:00:00Z"


def client_as(role: str, username: str) -> APIClient:
    user = User.objects.create_user(username, password=None)
    user.groups.add(Group.objects.get(name=role))
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def agent(db):
    return client_as(r.HOTLINE_AGENT, "agent")


@pytest.fixture
def social(db):
    return client_as(r.SOCIAL_SUPPORT, "social")


def test_a_referral_cannot_be_created_already_closed(agent):
    response = agent.post(
        "/api/v1/referrals/",
        {"person_name": "Jeanne D.", "consent": True, "status": "closed", "closed_at": LONG_AGO},
        format="json",
    )
    assert response.status_code == 201, response.content
    referral = Referral.objects.get()
    assert (referral.status, referral.closed_at) == ("new", None)
    assert referral.created_at > timezone.now() - timedelta(minutes=5)


def test_a_referral_cannot_be_created_without_consent(agent):
    response = agent.post(
        "/api/v1/referrals/", {"person_name": "Jeanne D.", "consent": False}, format="json"
    )
    assert response.status_code == 400
    assert "consent" in response.json()
    assert not Referral.objects.exists()


def test_status_and_consent_are_not_editable_fields(social):
    referral = services.create_referral({"person_name": "Jeanne D.", "consent": True})
    services.move_referral(referral, "closed")
    url = f"/api/v1/referrals/{referral.pk}/"
    response = social.patch(url, {"status": "new", "consent": False}, format="json")
    assert response.status_code == 200, response.content
    referral.refresh_from_db()
    assert (referral.status, referral.consent) == ("closed", True)


def test_the_status_moves_only_through_the_flow(social):
    referral = services.create_referral({"person_name": "Jeanne D.", "consent": True})
    move = f"/api/v1/referrals/{referral.pk}/move/"
    assert social.post(move, {"status": "supported"}, format="json").status_code == 400
    response = social.post(move, {"status": "contacted", "note": "Rang her"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "contacted"
    assert social.post(move, {"status": "closed"}, format="json").status_code == 200
    back = social.post(move, {"status": "new"}, format="json")
    assert back.status_code == 400 and "status" in back.json()
    referral.refresh_from_db()
    assert referral.status == "closed" and referral.notes.count() == 1


def test_the_move_action_is_the_social_teams(agent, social):
    referral = services.create_referral({"person_name": "Jeanne D.", "consent": True})
    response = agent.post(f"/api/v1/referrals/{referral.pk}/move/", {"status": "contacted"})
    assert response.status_code in (403, 404)
    assert Referral.objects.get().status == "new"


def test_the_service_refuses_a_status_jump_and_consent_removed(db):
    referral = services.create_referral({"person_name": "Jeanne D.", "consent": True})
    referral = services.move_referral(referral, "closed")
    with pytest.raises(ValidationError):
        services.update_referral(referral, {"status": "new"})
    referral = Referral.objects.get()
    with pytest.raises(ValidationError):
        services.update_referral(referral, {"consent": False})
    assert Referral.objects.filter(status="closed", consent=True).count() == 1


def test_a_call_cannot_be_back_dated(agent):
    Category.objects.create(code="other", name="Other")
    response = agent.post(
        "/api/v1/calls/",
        {"category": "other", "started_at": LONG_AGO, "ended_at": LONG_AGO},
        format="json",
    )
    assert response.status_code == 201, response.content
    call = Call.objects.get()
    assert call.started_at > timezone.now() - timedelta(minutes=5)
    patched = agent.patch(f"/api/v1/calls/{call.pk}/", {"started_at": LONG_AGO}, format="json")
    assert patched.status_code == 200
    call.refresh_from_db()
    assert call.started_at > timezone.now() - timedelta(minutes=5)


def test_an_intervention_cannot_be_back_dated(db):
    dispatcher = client_as(r.DISPATCHER, "dispatcher")
    payload = {
        "title": "Light out",
        "category": "lighting",
        "service": "lighting",
        "priority": 3,
        "latitude": 47.32,
        "longitude": 5.04,
        "reported_at": LONG_AGO,
    }
    response = dispatcher.post("/api/v1/interventions/", payload, format="json")
    assert response.status_code == 201, response.content
    intervention = Intervention.objects.get()
    assert intervention.reported_at > timezone.now() - timedelta(minutes=5)
    url = f"/api/v1/interventions/{intervention.pk}/"
    assert dispatcher.patch(url, {"reported_at": LONG_AGO}, format="json").status_code == 200
    intervention.refresh_from_db()
    assert intervention.reported_at > timezone.now() - timedelta(minutes=5)


# Times a person enters on purpose (a due time, a validity), not the server's clock.
ENTERED_BY_PEOPLE: set[tuple[str, str]] = set()


def writable_times() -> list[tuple[str, str]]:
    found = []
    for prefix, viewset, _ in api_router.registry:
        serializer_class = getattr(viewset, "serializer_class", None)
        writes = any(hasattr(viewset, name) for name in ("create", "update"))
        if serializer_class is None or not writes:
            continue
        for name, field in serializer_class().get_fields().items():
            if isinstance(field, serializers.DateTimeField) and not field.read_only:
                found.append((prefix, name))
    return found


def test_no_server_set_time_is_writable_through_the_api(db):
    """Walks the router: every date-time a writable serializer takes is one a person enters."""
    assert set(writable_times()) <= ENTERED_BY_PEOPLE
