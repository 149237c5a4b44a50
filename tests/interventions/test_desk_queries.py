"""The dispatch desk's state costs the same few queries however many interventions are open."""

import pytest

from interventions import services
from interventions.models import Intervention, Team
from tests.interventions.factories import open_interventions, queries_of


@pytest.mark.django_db
def test_the_desk_state_does_not_query_per_open_intervention():
    open_interventions(10)
    few, state = queries_of(services.desk_state)
    assert len(state["intervention"]) == 10
    open_interventions(190, start=10)
    many, state = queries_of(services.desk_state)
    assert len(state["intervention"]) == 200
    assert many == few, f"{few} queries with 10 open interventions, {many} with 200"
    team = Team.objects.get(call_sign="Q-150")
    item = Intervention.objects.get(reference="INT-Q150")
    assert state["intervention"][str(item.pk)]["teams"] == [team.pk]
