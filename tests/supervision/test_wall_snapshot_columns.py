"""The wall's snapshot on the wire: the equipment in columns, which give back exactly the rows
that frames carry, however the database writes them."""

import json

import pytest
from django.db import connection

from equipment.models import Equipment
from equipment.services import equipment_snapshot
from supervision.wall import state as wall

pytestmark = pytest.mark.django_db

# Coordinates whose 7th decimal and beyond would round either way (and a negative one).
AWKWARD = [(47.3221005, 5.0412995), (47.32214449999, 5.04125500001), (-0.0000005, -1.2345675)]


def devices(district) -> list[Equipment]:
    made = []
    for n, (lat, lon) in enumerate(AWKWARD):
        made.append(
            Equipment.objects.create(
                code=f"DEV-{n}",
                kind=[Equipment.Kind.STREETLIGHT, Equipment.Kind.BOLLARD, Equipment.Kind.BUS][n],
                status=[Equipment.Status.OK, Equipment.Status.FAULT, Equipment.Status.OFFLINE][n],
                district=district,
                latitude=lat,
                longitude=lon,
            )
        )
    return made


def as_frames_carry(made: list[Equipment]) -> dict:
    return {str(e.pk): wall.equipment_row(equipment_snapshot(e)) for e in made}


def test_columns_give_back_the_rows_a_frame_carries(district):
    made = devices(district)
    Equipment.objects.filter(pk=made[1].pk).delete()  # a gap in the ids
    del made[1]
    columns = json.loads(wall.equipment_columns_json())
    assert wall.equipment_rows(columns) == as_frames_carry(made)
    assert wall.build_snapshot()["equipment"] == as_frames_carry(made)
    # Kinds and statuses by index, ids as steps from the previous one.
    assert columns["kinds"][columns["kind"][1]] == "bus"
    assert sum(columns["id"]) == made[-1].pk


def test_the_database_writes_the_columns_python_would(district):
    made = devices(district)
    Equipment.objects.create(
        code="BAD\nCODE", kind="streetlight", district=district, latitude=47.3, longitude=5.0
    )
    rows = Equipment.objects.order_by("pk").values_list(
        "pk", "code", "kind", "status", "district_id", "latitude", "longitude"
    )
    in_python = wall._columns_of_rows(rows)
    assert json.loads(wall.equipment_columns_json()) == in_python
    # A code with a line break: the codes go as a list, and still come back whole.
    assert "code" in in_python and "codes" not in in_python
    assert [row[0] for row in wall.equipment_rows(in_python).values()][-1] == "BAD\nCODE"
    Equipment.objects.filter(code="BAD\nCODE").delete()
    columns = json.loads(wall.equipment_columns_json())
    assert columns["codes"] == "DEV-0\nDEV-1\nDEV-2"
    assert wall.equipment_rows(columns) == as_frames_carry(made)
    assert connection.vendor in {"postgresql", "sqlite"}


def test_no_equipment_makes_empty_columns():
    columns = json.loads(wall.equipment_columns_json())
    assert columns["id"] == [] and wall.equipment_rows(columns) == {}


def test_past_the_panels_first_rows_the_alerts_go_as_the_columns_the_wall_counts(
    district, monkeypatch
):
    """The panel's first alerts by priority go whole; the others (and the grouped and shelved
    ones) as columns of what the wall counts, positions null where they are their device's."""
    from supervision.alerts import services
    from supervision.models import Alert

    monkeypatch.setattr(wall, "WALL_FULL_ALERTS", 2)
    lamp, bollard, _ = devices(district)

    def alert(title: str, severity: int, device=None, at=None) -> int:
        lat, lon = at or ((device.latitude, device.longitude) if device else (None, None))
        data = {"title": title, "source": "operator", "category": "lighting"}
        data |= {"severity": severity, "equipment": device, "latitude": lat, "longitude": lon}
        return services.raise_alert(data).pk

    oldest_s4 = alert("S4 first", 4, lamp)
    newest_s4 = alert("S4 second", 4, lamp)
    s5 = alert("S5", 5, bollard)
    elsewhere = alert("S2 elsewhere", 2, lamp, at=(47.4, 5.1))
    nowhere = alert("S1 nowhere", 1)
    shelved = alert("S5 shelved", 5, bollard)
    services.shelve_alert(Alert.objects.get(pk=shelved), None, 600, "Known")
    sent = json.loads(wall.wire_snapshot())
    assert set(sent["alert"]) == {str(s5), str(newest_s4)}  # the S5, then the newest S4
    columns = sent["alert_columns"]
    ids = [sum(columns["id"][: n + 1]) for n in range(len(columns["id"]))]
    assert ids == sorted([oldest_s4, elsewhere, nowhere, shelved])
    by_id = {
        pk: {name: columns[name][n] for name in ("severity", "equipment", "shelved", "lat", "lon")}
        for n, pk in enumerate(ids)
    }
    assert by_id[oldest_s4] == {
        "severity": 4, "equipment": lamp.pk, "shelved": 0, "lat": None, "lon": None
    }  # fmt: skip
    assert by_id[shelved]["shelved"] == 1 and by_id[nowhere]["lat"] is None
    south, west = columns["corner"]
    assert (south + by_id[elsewhere]["lat"], west + by_id[elsewhere]["lon"]) == (
        47_400_000,
        5_100_000,
    )
    assert columns["categories"] == ["lighting"] and set(columns["category"]) == {0}
