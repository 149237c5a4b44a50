"""Hotline pages and form endpoints: each role allowed or refused, bad input -> 400."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from hotline import services
from hotline.models import (
    Article,
    Call,
    CallbackCampaign,
    CampaignCall,
    Category,
    HotlineMode,
    Referral,
    ReferralNote,
    VulnerablePerson,
)
from ondijon import roles as r

ALL = set(r.ROLE_LABELS)


@pytest.fixture
def hotline_data(db):
    forms = Category.objects.create(code="declaration-forms", name="Forms", shortcut="1")
    article = Article.objects.create(
        key="attestation",
        title="Travel form",
        body="Print it.",
        category=forms,
        source="national",
        valid_from=timezone.now() - timedelta(days=1),
    )
    call = services.take_call(
        {"category": forms, "outcome": "call_back", "caller_name": "Jean Dupont"},
        handling_seconds=30,
        callback_due_at=timezone.now() + timedelta(hours=1),
    )
    referral = services.create_referral(
        {"person_name": "Lucienne Roux", "phone": "0380", "consent": True, "register_consent": True}
    )
    campaign = services.start_callback_campaign("Heatwave", "heatwave")
    return {
        "forms": forms,
        "article": article,
        "callback": call.callback,
        "referral": referral,
        "person": referral.register_entry,
        "campaign": campaign,
        "campaign_call": campaign.calls.get(),
    }


def client_for(make_user, role):
    client = Client()
    client.force_login(make_user(role))
    return client


# (url template, form data, roles allowed, what changed when allowed)
WRITES = {
    "log call": (
        "/hotline/calls/",
        {"category": "declaration-forms", "handling_seconds": "12", "outcome": "answered"},
        {r.ADMINISTRATOR, r.HOTLINE_AGENT},
        lambda d: Call.objects.count() == 2,
    ),
    "call-back done": (
        "/hotline/callbacks/{callback.pk}/done/",
        {"result": "Rang back"},
        {r.ADMINISTRATOR, r.HOTLINE_AGENT},
        lambda d: services.callback_queue().count() == 0,
    ),
    "referral move": (
        "/hotline/referrals/{referral.pk}/move/",
        {"status": "contacted", "note": "Rang her"},
        {r.ADMINISTRATOR, r.SOCIAL_SUPPORT, r.SOCIAL_SUPPORT_LEAD},
        lambda d: Referral.objects.get().status == "contacted",
    ),
    "referral note": (
        "/hotline/referrals/{referral.pk}/note/",
        {"note": "Neighbour helps"},
        {r.ADMINISTRATOR, r.SOCIAL_SUPPORT, r.SOCIAL_SUPPORT_LEAD},
        lambda d: ReferralNote.objects.count() == 1,
    ),
    "leave register": (
        "/hotline/register/{person.pk}/leave/",
        {},
        {r.ADMINISTRATOR, r.SOCIAL_SUPPORT, r.SOCIAL_SUPPORT_LEAD},
        lambda d: VulnerablePerson.objects.get().left_at is not None,
    ),
    "start campaign": (
        "/hotline/campaigns/start/",
        {"name": "Cold spell", "crisis": "cold"},
        {r.ADMINISTRATOR, r.SUPERVISOR},
        lambda d: CallbackCampaign.objects.count() == 2,
    ),
    "close campaign": (
        "/hotline/campaigns/{campaign.pk}/close/",
        {},
        {r.ADMINISTRATOR, r.SUPERVISOR},
        lambda d: CallbackCampaign.objects.get().closed_at is not None,
    ),
    "campaign outcome": (
        "/hotline/campaign-calls/{campaign_call.pk}/outcome/",
        {"outcome": "reached_ok"},
        {r.ADMINISTRATOR, r.HOTLINE_AGENT},
        lambda d: CampaignCall.objects.get().outcome == "reached_ok",
    ),
    "24/7": (
        "/hotline/round-the-clock/",
        {"enabled": "on"},
        {r.ADMINISTRATOR, r.SUPERVISOR},
        lambda d: HotlineMode.objects.filter(round_the_clock=True).exists(),
    ),
}


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize("name", sorted(WRITES))
def test_hotline_writes_per_role(make_user, hotline_data, role, name):
    url, data, allowed, changed = WRITES[name]
    response = client_for(make_user, role).post(url.format(**hotline_data), data)
    if role in allowed:
        assert response.status_code in (201, 302), response.content[:300]
        assert changed(hotline_data)
    else:
        assert response.status_code == 403
        assert not changed(hotline_data)


@pytest.mark.parametrize("role", sorted(ALL))
def test_campaign_work_page_per_role(make_user, hotline_data, role):
    url = f"/hotline/campaigns/{hotline_data['campaign'].pk}/"
    response = client_for(make_user, role).get(url)
    allowed = {r.HOTLINE_AGENT}  # administrators do not read the register
    assert response.status_code == (200 if role in allowed else 403)
    if role in allowed:
        assert "Lucienne Roux" in response.content.decode()


HOTLINE_PAGES = [
    "/hotline/",
    "/hotline/callbacks/",
    "/hotline/referrals/",
    "/hotline/register/",
    "/hotline/campaigns/",
    "/hotline/campaigns/{campaign.pk}/",
    "/hotline/statistics/",
    "/hotline/statistics.csv",
    "/hotline/figures.json",
    "/api/v1/calls/",
    "/api/v1/referrals/",
]
SEES_PERSONAL_DATA = {r.HOTLINE_AGENT, r.SOCIAL_SUPPORT, r.SOCIAL_SUPPORT_LEAD}


@pytest.mark.parametrize("role", sorted(ALL))
def test_personal_data_only_for_agents_and_social_support(make_user, hotline_data, role):
    """Every hotline page a role can open shows names and phones only to those who need them."""
    client = client_for(make_user, role)
    seen = set()
    for url in HOTLINE_PAGES:
        response = client.get(url.format(**hotline_data))
        content = response.content.decode()
        if response.status_code == 200 and ("Jean Dupont" in content or "Lucienne Roux" in content):
            seen.add(url)
    if role in SEES_PERSONAL_DATA:
        assert seen
    else:
        assert seen == set()


def test_log_call_refuses_bad_input_field_by_field(make_user, hotline_data):
    client = client_for(make_user, r.HOTLINE_AGENT)
    response = client.post(
        "/hotline/calls/",
        {"category": "nope", "handling_seconds": "-3", "outcome": "referral"},
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"category", "handling_seconds", "referral_consent"} <= set(errors)
    response = client.post(
        "/hotline/calls/",
        {
            "category": "declaration-forms",
            "handling_seconds": "5",
            "outcome": "intervention",
            "intervention_title": "Light out",
            "intervention_service": "lighting",
        },
    )
    assert response.status_code == 201
    assert response.json()["intervention"].startswith("INT-")
    assert Call.objects.count() == 2


def test_answers_are_searched_as_typed(make_user, hotline_data):
    client = client_for(make_user, r.HOTLINE_AGENT)
    found = client.get("/hotline/answers/", {"q": "which travel form", "category": "x"}).json()
    assert [a["title"] for a in found["answers"]] == ["Travel form"]
    assert client.get("/hotline/answers/", {"q": "swimming"}).json()["answers"] == []


def test_bad_moves_and_periods_are_400(make_user, hotline_data):
    social = client_for(make_user, r.SOCIAL_SUPPORT)
    url = f"/hotline/referrals/{hotline_data['referral'].pk}/move/"
    assert social.post(url, {"status": "supported"}).status_code == 400  # new -> supported
    assert social.post(url, {"status": "bogus"}).status_code == 400
    assert Referral.objects.get().status == "new"
    supervisor = client_for(make_user, r.SUPERVISOR)
    assert (
        supervisor.get(
            "/hotline/statistics/", {"start": "2020-04-10", "end": "2020-03-01"}
        ).status_code
        == 400
    )
    assert supervisor.get("/hotline/statistics.csv", {"start": "not a date"}).status_code == 400
    assert (
        supervisor.post("/hotline/campaigns/start/", {"name": "", "crisis": "flood"}).status_code
        == 400
    )
    assert CallbackCampaign.objects.count() == 1


def test_statistics_page_and_csv(make_user, hotline_data):
    supervisor = client_for(make_user, r.SUPERVISOR)
    today = timezone.localdate().isoformat()
    page = supervisor.get("/hotline/statistics/", {"start": today, "end": today})
    assert page.status_code == 200
    stats = page.context["stats"]
    assert stats["total_calls"] == 1 and stats["referrals"]["total"] == 1
    assert stats["handling"]["average_seconds"] == 30
    assert b'id="hotline-statistics"' in page.content and b"hotline/charts.js" in page.content
    csv = supervisor.get("/hotline/statistics.csv", {"start": today, "end": today})
    assert csv["Content-Type"].startswith("text/csv")
    # As French Excel opens it: UTF-8 with its byte order mark, `;` between fields.
    assert csv.content.startswith("\ufeff".encode())
    lines = csv.content.decode("utf-8-sig").splitlines()
    # In the reader's language (French by default), days as French Excel reads them.
    assert lines[0] == "section;clé;appels;durée moyenne (s);signalements"
    assert f"jour;{timezone.localdate():%d/%m/%Y};1;;1" in lines
    assert "catégorie;Forms;1;30;" in lines
    outcomes = {line.split(";")[1] for line in lines if line.startswith("issue;")}
    assert outcomes and outcomes <= {
        "Répondu",
        "Transféré",
        "Rappel",
        "Intervention créée",
        "Signalement",
    }


def test_figures_for_the_wall_kiosk(make_user, hotline_data):
    figures = client_for(make_user, r.WALL_DISPLAY).get("/hotline/figures.json").json()
    assert figures["calls_today"] == 1 and figures["register_size"] == 1
    assert figures["campaigns_running"] == 1


def test_admin_edit_publishes_a_new_version_for_every_agent(make_user, hotline_data):
    admin = client_for(make_user, r.ADMINISTRATOR)
    article = hotline_data["article"]
    url = f"/admin/hotline/article/{article.pk}/change/"
    form = admin.get(url).context["adminform"].form
    data = {
        name: form.initial.get(name) if form.initial.get(name) is not None else ""
        for name in form.fields
    }
    data.update(
        {
            "category": hotline_data["forms"].pk,
            "body": "Print it, or show it on your phone.",
            "valid_from_0": timezone.localtime().strftime("%Y-%m-%d"),
            "valid_from_1": timezone.localtime().strftime("%H:%M:%S"),
            "valid_until_0": "",
            "valid_until_1": "",
            "public": "on",
        }
    )
    data.pop("valid_from", None)
    data.pop("valid_until", None)
    response = admin.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    versions = list(Article.objects.filter(key="attestation").values_list("version", "body"))
    assert sorted(versions) == [(1, "Print it."), (2, "Print it, or show it on your phone.")]
    agent = client_for(make_user, r.HOTLINE_AGENT)
    found = agent.get("/hotline/answers/", {"q": "travel form"}).json()["answers"]
    assert [(a["version"], a["body"]) for a in found] == [
        (2, "Print it, or show it on your phone.")
    ]
