"""Interventions in bulk, for tests about what a page costs as the city gets busy."""

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from interventions.models import Assignment, Intervention, Team


def open_interventions(count: int, start: int = 0) -> None:
    """`count` open interventions, each with its team on the way."""
    now = timezone.now()
    teams = Team.objects.bulk_create(
        Team(call_sign=f"Q-{n}", service="lighting", latitude=47.3, longitude=5.0)
        for n in range(start, start + count)
    )
    interventions = Intervention.objects.bulk_create(
        Intervention(
            reference=f"INT-Q{n}",
            title="Streetlight down",
            category="lighting",
            service="lighting",
            priority=2,
            status=Intervention.Status.EN_ROUTE,
            latitude=47.3,
            longitude=5.0,
            reported_at=now,
        )
        for n in range(start, start + count)
    )
    Assignment.objects.bulk_create(
        Assignment(intervention=intervention, team=team, assigned_at=now)
        for intervention, team in zip(interventions, teams, strict=True)
    )


def queries_of(read: Callable[[], Any]) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as queries:
        result = read()
    return len(queries), result
