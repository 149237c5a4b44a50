"""What administrators change in the admin is in the events log, and a wall that applies the
events ends where a fresh one starts: alerts, alert rules, wall screens, crisis modes."""

import copy

import pytest
from django.test import Client

from ondijon import roles
from supervision.alerts import services
from supervision.models import Alert, AlertRule, CrisisMode, Event, PlaybookAction, WallScreen
from supervision.wall import state as wall
from tests import admin_forms


def replayed(old: dict) -> dict:
    return wall.apply_frame(
        copy.deepcopy(old), wall.frame_of(old["seq"], wall.events_after(old["seq"]))
    )


def logged(kind: str) -> list[Event]:
    return list(Event.objects.filter(kind=kind).order_by("seq"))


@pytest.fixture
def admin_site(make_user) -> Client:
    client = Client()
    client.force_login(make_user(roles.ADMINISTRATOR, username="site-admin"))
    return client


@pytest.fixture
def alert(db) -> Alert:
    return services.raise_alert(
        {"title": "Leak", "category": "water", "severity": 3, "source": "operator"}
    )


def test_editing_an_alert_in_the_admin_reaches_the_wall(admin_site, alert):
    old = wall.build_snapshot()
    admin_forms.save(
        admin_site, f"/admin/supervision/alert/{alert.pk}/change/", severity="5", title="Big leak"
    )
    [event] = logged("alert.updated")
    assert event.actor_label == "site-admin"
    assert sorted(event.payload["fields"]) == ["severity", "title"]
    fresh = wall.build_snapshot()
    assert fresh["alert"][str(alert.pk)]["title"] == "Big leak"
    assert replayed(old) == fresh


def test_resolving_an_alert_in_the_admin_takes_it_off_the_wall(admin_site, alert):
    old = wall.build_snapshot()
    admin_forms.save(admin_site, f"/admin/supervision/alert/{alert.pk}/change/", status="resolved")
    fresh = wall.build_snapshot()
    assert str(alert.pk) not in fresh["alert"]
    assert replayed(old) == fresh


def test_alerts_are_closed_not_deleted(admin_site, alert):
    response = admin_site.post(f"/admin/supervision/alert/{alert.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    admin_forms.bulk_delete(admin_site, "/admin/supervision/alert/", [alert.pk])
    assert Alert.objects.filter(pk=alert.pk).exists()


RULE = {
    "name": "Low pressure",
    "enabled": "on",
    "kind": "threshold",
    "equipment_kind": "water_sensor",
    "metric": "pressure_bar",
    "comparison": "below",
    "value": "2.5",
    "clear_value": "",
    "match_text": "",
    "subtract_metric": "",
    "duration_seconds": "60",
    "clear_after_seconds": "0",
    "severity": "4",
    "category": "water",
    "procedure": "Send the water crew.",
    "suggested_steps": "[]",
}


def test_alert_rules_written_in_the_admin_are_logged(admin_site):
    response = admin_site.post("/admin/supervision/alertrule/add/", RULE)
    assert response.status_code == 302, admin_forms.admin_errors(response)
    rule = AlertRule.objects.get()
    admin_forms.save(admin_site, f"/admin/supervision/alertrule/{rule.pk}/change/", severity="5")
    admin_site.post(  # the list's "enabled" column, edited in place
        "/admin/supervision/alertrule/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(rule.pk),
            "_save": "Save",
        },
    )
    assert not AlertRule.objects.get().enabled
    admin_forms.bulk_delete(admin_site, "/admin/supervision/alertrule/", [rule.pk])
    assert not AlertRule.objects.exists()
    kinds = list(Event.objects.filter(subject_type="alert_rule").values_list("kind", "payload"))
    assert [kind for kind, _ in kinds] == [
        "alert_rule.created",
        "alert_rule.updated",
        "alert_rule.updated",
        "alert_rule.deleted",
    ]
    assert kinds[1][1]["fields"] == ["severity"]
    assert kinds[2][1]["fields"] == ["enabled"]


def test_wall_screens_configured_in_the_admin_are_logged(admin_site):
    screen = WallScreen.objects.create(slug="side", name="Side wall", panels=["map"])
    admin_forms.save(
        admin_site, f"/admin/supervision/wallscreen/{screen.pk}/change/", panels=["map", "alerts"]
    )
    [event] = logged("wall_screen.updated")
    assert event.payload["wall_screen"]["panels"] == ["map", "alerts"]
    admin_site.post(f"/admin/supervision/wallscreen/{screen.pk}/delete/", {"post": "yes"})
    assert [e.subject_label for e in logged("wall_screen.deleted")] == ["Side wall"]


def test_a_crisis_mode_and_its_playbook_edited_in_the_admin_are_logged_together(admin_site):
    mode = CrisisMode.objects.create(code="flood", name="Flood")
    PlaybookAction.objects.create(mode=mode, position=1, type="wall_banner", text="Flood")
    url = f"/admin/supervision/crisismode/{mode.pk}/change/"
    admin_forms.save(admin_site, url, name="Flood alert", **{"actions-0-text": "Flood: stay home"})
    [event] = logged("crisis_mode.updated")
    assert event.subject_label == "Flood alert"
    assert [step["text"] for step in event.payload["crisis_mode"]["actions"]] == [
        "Flood: stay home"
    ]
    assert set(event.payload["fields"]) == {"name", "actions"}
