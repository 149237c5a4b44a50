"""The wall's snapshot costs the same few queries however many interventions are open."""

import pytest

from interventions.models import Intervention, Team
from supervision.wall import state as wall
from tests.interventions.factories import open_interventions, queries_of


@pytest.mark.django_db
def test_the_wall_snapshot_does_not_query_per_open_intervention():
    open_interventions(10)
    few, snapshot = queries_of(wall.build_snapshot)
    assert len(snapshot["intervention"]) == 10
    open_interventions(190, start=10)
    many, snapshot = queries_of(wall.build_snapshot)
    assert len(snapshot["intervention"]) == 200
    assert many == few, f"{few} queries with 10 open interventions, {many} with 200"
    # Each intervention still names its team.
    team = Team.objects.get(call_sign="Q-150")
    item = Intervention.objects.get(reference="INT-Q150")
    assert snapshot["intervention"][str(item.pk)]["teams"] == [team.pk]
