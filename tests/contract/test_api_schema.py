"""The schema is the truth: schemathesis calls every operation of `/api/schema/` with data
generated from the schema itself, as callers of a role that may call it, and every answer is
checked against the schema: no server error, no response that breaks its documented shape.

Bounded for CI (a fixed seed, a few examples per operation, in-process WSGI calls on the test
database); the counts are printed. `API_FUZZ_EXAMPLES` raises the examples per operation for a
longer hunt on a workstation.
"""

import contextlib
import os
from collections import Counter

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from equipment.tokens import issue_token
from ondijon import roles

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "8"))
SEED = 20261202
CHECKS = {"server error": not_a_server_error, "schema violation": response_schema_conformance}


def role_for(path: str) -> str:
    """A role whose permissions let it call the operation (else only 403s would be checked)."""
    if path.startswith(("/api/v1/calls", "/api/v1/categories", "/api/v1/articles")):
        return roles.HOTLINE_AGENT
    if path.startswith("/api/v1/referrals"):
        return roles.SOCIAL_SUPPORT
    if path == "/api/v1/teams/mine/":
        return roles.FIELD_TEAM
    return roles.ADMINISTRATOR


@pytest.fixture
def city(district, streetlight, make_user):
    """A little of everything, so that generated ids sometimes name a real object."""
    from hotline.models import Category
    from interventions import services as interventions
    from interventions.models import Officer
    from supervision.alerts.services import raise_alert

    team = interventions.create_team(
        {"call_sign": "ECL-01", "service": "lighting", "latitude": 47.32, "longitude": 5.04}
    )
    interventions.create_intervention(
        {
            "title": "Lamp out",
            "category": "lighting",
            "service": "lighting",
            "priority": 2,
            "latitude": 47.32,
            "longitude": 5.04,
        }
    )
    raise_alert({"title": "Leak", "category": "water", "source": "operator"})
    Category.objects.create(code="noise", name="Noise")
    headers = {}
    for role in {
        role_for(p) for p in ("/api/v1/calls", "/api/v1/referrals", "/", "/api/v1/teams/mine/")
    }:
        user = make_user(role, username=f"fuzz-{role}")
        if role == roles.FIELD_TEAM:
            Officer.objects.create(user=user, team=team)
        headers[role] = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    _, device_key = issue_token("fuzz gateway", all_equipment=True)
    headers["device"] = {"Authorization": f"Token {device_key}"}
    return headers


def both_modes(operation):
    """Valid data (the happy paths must answer as documented) and invalid data (refused with a
    4xx, never a 500), from the same seed."""
    strategies = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE)]
    with contextlib.suppress(Exception):  # an operation with nothing that can be invalid
        strategies.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    return st.one_of(*strategies)


def fuzz(operation, auth: dict, counts: Counter, failures: list[str]):
    """A hypothesis test of one operation: calls, counts, and collects what the checks found."""

    @seed(SEED)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=both_modes(operation))
    def call(case):
        response = case.call(headers=auth)
        counts["requests"] += 1
        counts[f"status {response.status_code // 100}xx"] += 1
        for name, check in CHECKS.items():
            try:
                case.validate_response(response, checks=[check], headers=auth)
            except (Exception, BaseExceptionGroup) as failure:  # schemathesis's FailureGroup
                counts[name + "s"] += 1
                failures.append(
                    f"{name}: {operation.label} {response.status_code} "
                    f"{case.path_parameters or ''} {case.query or ''} "
                    f"{str(case.body)[:200] if case.body is not None else ''}\n"
                    f"  {str(failure).strip()[:600]}"
                )

    return call


@pytest.fixture
def wsgi_app():
    """The project's WSGI application on the test database: as Django's test client does, the
    connection is not closed at the end of each request (the test's transaction holds it)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_every_operation_answers_as_its_schema_says(city, wsgi_app, capsys):
    app = wsgi_app
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", app, headers=city[roles.ADMINISTRATOR]
    )
    counts: Counter = Counter()
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        path = operation.path
        auth = city["device"] if path == "/api/v1/telemetry/" else city[role_for(path)]

        fuzz(operation, auth, counts, failures)()
        counts["operations"] += 1
    with capsys.disabled():
        print(
            f"\nschemathesis (seed {SEED}, {EXAMPLES} examples per operation): "
            f"{counts['operations']} operations, {counts['requests']} requests, "
            f"{counts['server errors']} server errors, "
            f"{counts['schema violations']} response-schema violations; "
            + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k.startswith("status"))
        )
        for failure in failures[:40]:
            print(failure)
    assert counts["operations"] > 0
    assert not failures, f"{len(failures)} failures (first ones above)"
