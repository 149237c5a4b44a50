"""The device console's selections: preview, batches with progress, rollback to the prior
states, and who may. Acknowledgements come from the simulated devices (tests' settings:
they answer at once)."""

import json

import pytest
from django.test import Client, override_settings

from equipment.models import Command, Equipment
from ondijon import roles as r
from supervision.console import selection as selections
from supervision.models import CommandSelection, Event

ALL = set(r.ROLE_LABELS)
COMMAND = {r.ADMINISTRATOR, r.SUPERVISOR, r.OPERATOR}


@pytest.fixture
def lights(make_equipment):
    made = [
        make_equipment(
            f"SL-{n:05d}",
            "streetlight",
            {"lamp": "on", "dim": 100 - n},
            latitude=47.30 + n * 0.001,
            longitude=5.04,
        )
        for n in range(1, 6)
    ]
    Equipment.objects.filter(code="SL-00005").update(status=Equipment.Status.OFFLINE)
    make_equipment("BOL-01", "bollard", {"position": "raised"})
    return made


def test_preview_counts_the_selection_and_names_the_devices_that_cannot_take_it(lights):
    found = selections.preview({"kind": "streetlight"}, "dim", {"level": 97})
    assert found["devices"] == 5
    assert found["offline"] == 1 and found["offline_codes"] == ["SL-00005"]
    assert found["unchanged"] == 1  # SL-00003 is already at 97
    assert found["will_change"] == 3
    boxed = selections.preview(
        {"kind": "streetlight", "box": [47.3005, 5.0, 47.3025, 5.1]}, "dim", {"level": 20}
    )
    assert boxed["devices"] == 2


def test_a_polygon_drawn_on_the_map_takes_the_devices_inside_its_outline(lights):
    # A triangle whose bounding box holds SL-00001 to SL-00004 (47.301 to 47.304, all at
    # 5.04), but whose slanted side leaves SL-00004 outside: only the outline counts.
    triangle = [[47.3005, 5.03], [47.3045, 5.03], [47.3005, 5.06]]
    found = selections.preview({"kind": "streetlight", "polygon": triangle}, "dim", {"level": 20})
    assert found["devices"] == 3
    codes = set(
        selections.selected(
            selections.clean_criteria({"kind": "streetlight", "polygon": triangle})
        ).values_list("code", flat=True)
    )
    assert codes == {"SL-00001", "SL-00002", "SL-00003"}


@pytest.mark.parametrize(
    "criteria, field",
    [
        ({}, "kind"),
        ({"kind": "bus"}, "kind"),
        ({"kind": "streetlight", "district": "nowhere"}, "district"),
        ({"kind": "streetlight", "box": [47.4, 5.0, 47.3, 5.1]}, "box"),
        ({"kind": "streetlight", "box": "all"}, "box"),
        ({"kind": "streetlight", "status": "sleepy"}, "status"),
        ({"kind": "streetlight", "polygon": [[47.3, 5.0], [47.31, 5.01]]}, "polygon"),
        ({"kind": "streetlight", "polygon": [[47.3, 5.0], [47.3, 5.0], [47.3, 5.0]]}, "polygon"),
        ({"kind": "streetlight", "polygon": [[47.3, 5.0], [47.31, "x"], [95, 5.0]]}, "polygon"),
        ({"kind": "streetlight", "polygon": "everywhere"}, "polygon"),
    ],
)
def test_bad_selections_get_field_errors(lights, criteria, field):
    with pytest.raises(selections.InvalidCommand) as refused:
        selections.preview(criteria, "dim", {"level": 20})
    assert field in refused.value.errors


@override_settings(CONSOLE_SELECTION_BATCH=2)
def test_a_selection_goes_out_in_batches_and_rolls_back_to_the_prior_states(
    lights, make_user, django_capture_on_commit_callbacks
):
    operator = make_user(r.OPERATOR)
    before = dict(Equipment.objects.filter(kind="streetlight").values_list("code", "state"))
    with django_capture_on_commit_callbacks(execute=True):
        selection = selections.send_to_selection(
            {"kind": "streetlight"}, "dim", {"level": 30},
            reason="Night dimming", confirmed=False, actor=operator,
        )  # fmt: skip
    selection.refresh_from_db()
    assert selection.status == CommandSelection.Status.SENT
    report = selections.progress(selection)["apply"]
    # The offline device fails at once; the others are acknowledged by the devices.
    assert (report["total"], report["acknowledged"], report["failed"]) == (5, 4, 1)
    assert report["failures"][0]["equipment"] == "SL-00005"
    # Batches of at most two: [1, 2] and [3, 4] handed to the devices one batch at a time;
    # the third, [5], failed at once (offline) and sent nothing.
    assert Event.objects.filter(kind="commands.sent").count() == 2
    assert set(
        Command.objects.filter(origin=selection.origin).values_list("reason", flat=True)
    ) == {"Night dimming"}
    assert Equipment.objects.get(code="SL-00001").state["dim"] == 30

    with django_capture_on_commit_callbacks(execute=True):
        selections.roll_back(selection, operator)
    selection.refresh_from_db()
    assert selection.status == CommandSelection.Status.ROLLED_BACK
    restore = selections.progress(selection)["restore"]
    assert (restore["total"], restore["acknowledged"]) == (4, 4)
    after = dict(Equipment.objects.filter(kind="streetlight").values_list("code", "state"))
    assert after == before
    with pytest.raises(selections.Conflict):
        selections.roll_back(selection, operator)
    kinds = set(Event.objects.filter(subject_type="selection").values_list("kind", flat=True))
    assert kinds == {
        "selection.sending", "selection.sent", "selection.rolling_back", "selection.rolled_back"
    }  # fmt: skip


def test_public_safety_selection_needs_a_confirmation_and_a_reason(lights, make_user):
    with pytest.raises(selections.InvalidCommand) as refused:
        selections.send_to_selection(
            {"kind": "bollard"},
            "lower",
            {},
            reason="",
            confirmed=False,
            actor=make_user(r.OPERATOR),
        )
    assert set(refused.value.errors) == {"confirm", "reason"}
    assert not CommandSelection.objects.exists()


@pytest.mark.parametrize("role", sorted(ALL))
def test_who_commands_a_selection(lights, make_user, role, django_capture_on_commit_callbacks):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(role))
    allowed = role in COMMAND
    assert client.get("/console/selection/").status_code == (200 if allowed else 403)
    body = {"selection": {"kind": "streetlight"}, "action": "off", "params": {}}
    preview = client.post(
        "/console/selection/preview.json", json.dumps(body), content_type="application/json"
    )
    assert preview.status_code == (200 if allowed else 403)
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            "/console/selection/send.json",
            json.dumps({**body, "reason": "Test"}),
            content_type="application/json",
        )
    if not allowed:
        assert sent.status_code == 403
        assert not CommandSelection.objects.exists()
        return
    assert sent.status_code == 201
    pk = sent.json()["selection"]["id"]
    progress = client.get(f"/console/selections/{pk}/progress.json")
    assert progress.json()["apply"]["acknowledged"] == 4
    bad = client.post(
        "/console/selection/preview.json",
        json.dumps({**body, "params": {"level": 3}}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and set(bad.json()) == {"params"}
    with django_capture_on_commit_callbacks(execute=True):
        back = client.post(f"/console/selections/{pk}/rollback.json")
    assert back.status_code == 200
    assert client.post(f"/console/selections/{pk}/rollback.json").status_code == 409
