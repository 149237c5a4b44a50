"""What a newcomer on each desk relies on through a shift: the social team's queue, the call
desk's counts and names, answers found without accents, the events log's room view, CSV
files French Excel opens, a resolved intervention offering no team."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from equipment.models import District
from hotline import services
from hotline.models import Article, Category, Referral
from interventions import services as interventions
from ondijon import roles
from supervision.log import timeline as log
from tests.interventions.test_interventions import make_intervention, make_team


def logged_in(make_user, role) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(role))
    return client


def refer(name: str, district=None, days_ago: int = 0) -> Referral:
    referral = services.create_referral(
        {"person_name": name, "consent": True, "district": district}
    )
    if days_ago:
        Referral.objects.filter(pk=referral.pk).update(
            created_at=timezone.now() - timedelta(days=days_ago)
        )
    return referral


@pytest.fixture
def queue(db):
    north = District.objects.create(
        code="N", name="Fontaine d'Ouche", center_latitude=47.32, center_longitude=5.0
    )
    return {
        "old": refer("Lucienne Roux", days_ago=3),
        "middle": refer("Marcel Petit", district=north, days_ago=1),
        "new": refer("Jeanne Lefèvre"),
        "north": north,
    }


def shown(client, **query) -> list[str]:
    page = client.get("/hotline/referrals/", query)
    assert page.status_code == 200
    return [r.person_name for r in page.context["referrals"]]


def test_social_queue_is_newest_first_searchable_and_flags_new_arrivals(make_user, queue):
    social = logged_in(make_user, roles.SOCIAL_SUPPORT)
    assert shown(social) == ["Jeanne Lefèvre", "Marcel Petit", "Lucienne Roux"]
    assert shown(social, name="petit") == ["Marcel Petit"]
    assert shown(social, district=queue["north"].pk) == ["Marcel Petit"]
    three_days_ago = timezone.localdate() - timedelta(days=3)
    assert shown(social, day=three_days_ago.isoformat()) == ["Lucienne Roux"]
    assert social.get("/hotline/referrals/", {"day": "not a date"}).status_code == 400
    page = social.get("/hotline/referrals/").content.decode()
    assert page.count("new-arrival") == 1
    assert f'data-referral="{queue["new"].pk}"' in page.split("new-arrival")[1][:80]


def test_a_referral_step_is_chosen_forward_only(make_user, queue):
    social = logged_in(make_user, roles.SOCIAL_SUPPORT)
    referral = queue["new"]
    move = f"/hotline/referrals/{referral.pk}/move/"
    assert services.next_referral_steps(Referral.Status.CONTACTED) == [
        (Referral.Status.SUPPORTED, "Supported"),
        (Referral.Status.CLOSED, "Closed"),
    ]
    # Nothing is chosen for the person: posting no step moves nothing.
    assert social.post(move, {"status": ""}).status_code == 400
    assert social.post(move, {"status": "contacted"}).status_code == 302
    assert social.post(move, {"status": "new"}).status_code == 400
    referral.refresh_from_db()
    assert referral.status == Referral.Status.CONTACTED
    row = (
        social.get("/hotline/referrals/")
        .content.decode()
        .split(f'data-referral="{referral.pk}"')[1]
    )
    options = row.split("</select>")[0]
    assert 'value="supported"' in options and 'value="new"' not in options
    assert 'value="contacted"' not in options and 'value="" selected' in options


def test_call_desk_counts_calls_and_logs_names_not_codes(make_user, db):
    Category.objects.create(code="lighting", name="Éclairage public", shortcut="e")
    agent = logged_in(make_user, roles.HOTLINE_AGENT)
    assert agent.get("/hotline/").content.decode().count('id="calls-today" data-count="0"') == 1
    data = {"category": "lighting", "handling_seconds": "20", "outcome": "answered"}
    for expected in (1, 2):
        saved = agent.post("/hotline/calls/", data).json()
        assert saved["calls_today"] == expected
        assert saved["calls_today_text"] == f"{expected} call{'s' if expected > 1 else ''} today"
    assert saved["call"]["category_name"] == "Éclairage public"
    assert saved["call"]["outcome_label"] == "Answered"


def test_answers_are_found_without_accents_or_capitals(db):
    lighting = Category.objects.create(code="lighting", name="Éclairage public")
    Article.objects.create(
        key="panne",
        title="Éclairage public en panne",
        body="Signaler la rue à la mairie.",
        category=lighting,
        source="city",
        valid_from=timezone.now() - timedelta(days=1),
    )
    assert [a.key for a in services.search_answers("ECLAIRAGE")] == ["panne"]
    assert [a.key for a in services.search_answers("eclairage de ma rue")] == ["panne"]
    assert services.search_answers("zzz") == []


def test_events_log_room_view_leaves_out_movements_unless_asked(make_user, db):
    team = make_team("ECL-07", "lighting")
    interventions.report_team_position(team, 47.33, 5.06)
    make_intervention(title="Lamp out")
    kinds = [e.kind for e in log.timeline({})]
    assert "team.moved" not in kinds and "intervention.created" in kinds
    assert "team.moved" in [e.kind for e in log.timeline({"movements": True})]
    assert "intervention.created" not in [
        e.kind for e in log.timeline({"exclude_kinds": ["intervention."]})
    ]
    operator = logged_in(make_user, roles.OPERATOR)
    page = operator.get("/log/", {"exclude_kinds": "team., note."})
    assert page.status_code == 200
    assert {row[0].kind for row in page.context["rows"]} == {"intervention.created"}
    page = operator.get("/log/", {"movements": "on"})
    assert "team.moved" in {row[0].kind for row in page.context["rows"]}


def test_a_resolved_intervention_offers_no_team_to_send(make_user, db):
    intervention = make_intervention(title="Lamp out")
    make_team("ECL-08", "lighting")
    api = APIClient()
    api.force_authenticate(make_user(roles.DISPATCHER))
    url = f"/api/v1/interventions/{intervention.pk}/candidates/"
    assert api.get(url).json()["assignable"] is True
    team = make_team("ECL-09", "lighting")
    interventions.assign_team(intervention, team)
    for step in ("en_route", "on_site", "resolved"):
        intervention = interventions.change_status(intervention, step)
    assert api.get(url).json()["assignable"] is False
    detail = api.get(f"/api/v1/interventions/{intervention.pk}/").json()
    assert "address" in detail
