"""Callers' and referred people's data (GDPR, CNIL): read only by the roles that need it, an
administrator only with the permission granted explicitly, and every read written down for the
social support lead to list."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from hotline import services
from hotline.models import Call, Category, PersonalDataRead, Referral
from hotline.retention import anonymise_expired_personal_data
from interventions.models import Intervention
from ondijon import roles as r


def role_user(role: str | None, username: str, **extra) -> User:
    user = User.objects.create_user(username, password=None, **extra)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def grant_personal_data(user) -> None:
    user.user_permissions.add(Permission.objects.get(codename="view_personal_data"))


@pytest.fixture
def people(db):
    category = Category.objects.create(code="other", name="Other", shortcut="1")
    agent = role_user(r.HOTLINE_AGENT, "agent")
    call = services.take_call(
        {"category": category, "outcome": "call_back", "caller_name": "Jean Dupont"},
        agent,
        handling_seconds=20,
        callback_due_at=timezone.now() + timedelta(hours=1),
    )
    referral = services.create_referral(
        {
            "person_name": "Lucienne Roux",
            "phone": "0380",
            "consent": True,
            "register_consent": True,
        },
        agent,
    )
    return {"agent": agent, "call": call, "referral": referral, "category": category}


@pytest.fixture(params=["administrator role", "superuser"])
def administrator(request, db):
    if request.param == "superuser":
        return User.objects.create_superuser("root", "", None)
    return role_user(r.ADMINISTRATOR, "admin", is_staff=True)


def test_the_administrators_role_lacks_the_personal_data_permissions(db):
    granted = set(
        Group.objects.get(name=r.ADMINISTRATOR).permissions.values_list("codename", flat=True)
    )
    assert {"view_personal_data", "audit_personal_data"}.isdisjoint(granted)
    assert "view_referral" in granted  # everything else stays theirs


def test_administrators_do_not_read_personal_data_in_the_api(people, administrator):
    client = api(administrator)
    calls = client.get("/api/v1/calls/").json()["results"]
    assert calls and all("caller_name" not in call for call in calls)
    assert client.get(f"/api/v1/calls/{people['call'].pk}/").json().get("caller_name") is None
    assert client.get("/api/v1/referrals/").status_code == 403
    assert client.get(f"/api/v1/referrals/{people['referral'].pk}/").status_code == 403


def test_administrators_do_not_read_personal_data_in_the_admin(people, administrator):
    client = page(administrator)
    call_page = client.get(f"/admin/hotline/call/{people['call'].pk}/change/")
    assert call_page.status_code == 200
    assert "Jean Dupont" not in call_page.content.decode()
    for url in (
        "/admin/hotline/referral/",
        f"/admin/hotline/referral/{people['referral'].pk}/change/",
        "/admin/hotline/vulnerableperson/",
        f"/admin/hotline/vulnerableperson/{people['referral'].register_entry.pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert "Lucienne Roux" not in response.content.decode()
    index = client.get("/admin/").content.decode()
    assert "/admin/hotline/referral/" not in index


def test_administrators_do_not_read_personal_data_pages(people, administrator):
    client = page(administrator)
    for url in ("/hotline/callbacks/", "/hotline/referrals/", "/hotline/register/"):
        assert client.get(url).status_code == 403, url
    assert PersonalDataRead.objects.count() == 0


def test_an_administrator_granted_the_permission_reads_and_is_recorded(people, administrator):
    grant_personal_data(administrator)
    administrator = User.objects.get(pk=administrator.pk)  # no cached permissions
    client = page(administrator)
    response = client.get(f"/admin/hotline/referral/{people['referral'].pk}/change/")
    assert "Lucienne Roux" in response.content.decode()
    read = PersonalDataRead.objects.get()
    assert (read.reader, read.record_type, read.record_id, read.via) == (
        administrator,
        "referral",
        people["referral"].pk,
        "admin change page",
    )


def reads_of(user) -> set[tuple[str, int, str]]:
    return {
        (read.record_type, read.record_id, read.via)
        for read in PersonalDataRead.objects.filter(reader=user)
    }


def test_every_read_through_the_api_is_recorded(people):
    agent, call, referral = people["agent"], people["call"], people["referral"]
    client = api(agent)
    assert client.get("/api/v1/calls/").json()["results"][0]["caller_name"] == "Jean Dupont"
    client.get(f"/api/v1/calls/{call.pk}/")
    client.get("/api/v1/referrals/")
    client.get(f"/api/v1/referrals/{referral.pk}/")
    assert reads_of(agent) == {
        ("call", call.pk, "api call list"),
        ("call", call.pk, "api call retrieve"),
        ("referral", referral.pk, "api referral list"),
        ("referral", referral.pk, "api referral retrieve"),
    }
    before = PersonalDataRead.objects.get(record_type="call", via="api call list").read_at
    assert timezone.now() - before < timedelta(minutes=5)


def test_every_read_through_the_pages_is_recorded(people):
    agent, social = people["agent"], role_user(r.SOCIAL_SUPPORT, "social")
    person = people["referral"].register_entry
    assert "Jean Dupont" in page(agent).get("/hotline/callbacks/").content.decode()
    assert "Lucienne Roux" in page(social).get("/hotline/referrals/").content.decode()
    page(social).get("/hotline/register/")
    assert reads_of(agent) == {("call", people["call"].pk, "page call-backs")}
    assert reads_of(social) == {
        ("referral", people["referral"].pk, "page referrals"),
        ("vulnerable_person", person.pk, "page register"),
    }


def test_the_social_support_lead_lists_who_read_what(people, administrator):
    api(people["agent"]).get("/api/v1/calls/")
    lead = role_user(r.SOCIAL_SUPPORT_LEAD, "lead")
    response = page(lead).get("/hotline/personal-data-reads/", {"record_type": "call"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "agent" in content and "api call list" in content
    assert "Jean Dupont" not in content  # the register names records, not people
    for other in (role_user(r.SOCIAL_SUPPORT, "social"), people["agent"], administrator):
        assert page(other).get("/hotline/personal-data-reads/").status_code == 403
    bad = page(lead).get("/hotline/personal-data-reads/", {"record_id": "x"})
    assert bad.status_code == 400


def test_records_are_labelled_without_the_persons_name(people):
    referral = people["referral"]
    assert "Lucienne" not in str(referral) and "Lucienne" not in str(referral.register_entry)


def test_the_desk_asks_for_the_interventions_description_apart_from_the_callers_words(people):
    response = page(people["agent"]).post(
        "/hotline/calls/",
        {
            "category": "other",
            "handling_seconds": "30",
            "question": "My neighbour Mrs Martin, 06 01 02 03 04, saw a fly-tip",
            "outcome": "intervention",
            "intervention_title": "Fly-tip",
            "intervention_service": "cleaning",
            "intervention_description": "Bags by the north gate",
        },
    )
    assert response.status_code == 201, response.content
    intervention = Intervention.objects.get()
    assert intervention.description == "Bags by the north gate"
    assert "Martin" not in intervention.title + intervention.description


def test_retention_anonymises_what_of_the_call_reached_an_intervention(people, settings):
    settings.HOTLINE_CALLER_RETENTION_DAYS = 30
    old = services.take_call(
        {"category": people["category"], "outcome": "intervention", "question": "Mrs Martin"},
        people["agent"],
        handling_seconds=10,
        intervention={"title": "Fly-tip", "service": "cleaning", "description": "Ring Mrs Martin"},
    )
    recent = services.take_call(
        {"category": people["category"], "outcome": "intervention"},
        people["agent"],
        handling_seconds=10,
        intervention={"title": "Light out", "service": "lighting", "description": "Pole 12"},
    )
    Call.objects.filter(pk=old.pk).update(started_at=timezone.now() - timedelta(days=40))

    anonymise_expired_personal_data()

    old_intervention = Intervention.objects.get(pk=old.intervention_id)
    assert "Martin" not in old_intervention.description
    assert old_intervention.title == "Fly-tip"  # the work itself stays in the history
    assert Intervention.objects.get(pk=recent.intervention_id).description == "Pole 12"
    assert Referral.objects.get().person_name == "Lucienne Roux"  # not closed: kept
