"""A change to the alert rules takes effect on the next telemetry batch, whatever made it, and
an edit that was rolled back never takes effect at all."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from equipment.ingest import ingest
from equipment.models import Equipment
from supervision.models import Alert, AlertRule, RuleCondition

T0 = datetime.now(UTC) - timedelta(hours=1)


class Abandoned(Exception):
    """Raised to roll an administrator's edit back."""


def reading(seconds: float, pressure_bar: float) -> dict:
    time = (T0 + timedelta(seconds=seconds)).isoformat()
    return {"device": "WS-C1", "time": time, "metrics": {"pressure_bar": pressure_bar}}


def pressure_rule(**fields) -> AlertRule:
    return AlertRule.objects.create(
        **{
            "name": "Pressure drop",
            "kind": AlertRule.Kind.THRESHOLD,
            "equipment_kind": "water_sensor",
            "metric": "pressure_bar",
            "comparison": "below",
            "value": 2.5,
            "duration_seconds": 0,
            "clear_after_seconds": 60,
            "category": "water",
            **fields,
        }
    )


@pytest.fixture
def sensor(district):
    return Equipment.objects.create(
        code="WS-C1", kind="water_sensor", district=district, latitude=47.32, longitude=5.04
    )


# Committed transactions, as in production: a rule left behind by a rolled-back edit or a
# deletion makes the batch's own commit fail on the foreign key.
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_rule_created_then_rolled_back_never_fires(sensor):
    with pytest.raises(Abandoned), transaction.atomic():
        pressure_rule()
        ingest([reading(0, 2.0)])  # the draft fires inside its own transaction only
        raise Abandoned
    assert not AlertRule.objects.exists()

    ingest([reading(10, 2.0)])
    assert not Alert.objects.exists()
    assert not RuleCondition.objects.exists()


def test_a_rolled_back_edit_leaves_the_rule_as_it_was(sensor):
    rule = pressure_rule()
    ingest([reading(0, 3.0)])
    with pytest.raises(Abandoned), transaction.atomic():
        rule.value = 1.0
        rule.save()
        ingest([reading(10, 3.0)])
        raise Abandoned

    ingest([reading(20, 2.0)])  # below the committed 2.5, above the abandoned 1.0
    assert Alert.objects.get().rule == rule


def test_a_deleted_rule_stops_firing_at_once(sensor):
    rule = pressure_rule()
    ingest([reading(0, 3.0)])  # all is well: the rule is read
    rule.delete()

    ingest([reading(10, 2.0)])
    assert not Alert.objects.exists()
    assert not RuleCondition.objects.exists()


def test_a_rule_disabled_by_a_bulk_update_stops_firing_at_once(sensor):
    pressure_rule()
    ingest([reading(0, 3.0)])
    AlertRule.objects.update(enabled=False)

    ingest([reading(10, 2.0)])
    assert not Alert.objects.exists()


def test_a_rule_enabled_by_a_bulk_update_fires_at_once(sensor):
    pressure_rule(enabled=False)
    ingest([reading(0, 2.0)])
    assert not Alert.objects.exists()
    AlertRule.objects.update(enabled=True)

    ingest([reading(10, 2.0)])
    assert Alert.objects.count() == 1


def test_a_rule_deleted_in_bulk_stops_the_periodic_checks_too(sensor):
    from supervision.alerts.rules import run_checks

    pressure_rule(name="Silent sensor", kind=AlertRule.Kind.ABSENCE, metric="", duration_seconds=60)
    ingest([reading(0, 3.0)])
    AlertRule.objects.all().delete()

    run_checks(now=T0 + timedelta(hours=2))
    assert not Alert.objects.exists()
