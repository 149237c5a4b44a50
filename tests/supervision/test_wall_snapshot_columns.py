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
