"""The events log reads in French: each entry's kind by its name (not its code) on the page, in
its CSV export and on the alert desk's history; the codes stay for filters and partners."""

import csv
import io

from django.test import Client

from ondijon import roles
from supervision.alerts import services as alerts
from tests.interventions.test_interventions import make_intervention


def signed_in(make_user, role) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(make_user(role))
    return client


def test_log_page_names_each_kind_in_french(make_user):
    make_intervention(title="Fuite, rue Monge", service="police")
    alerts.raise_alert({"title": "Fuite", "category": "water", "source": "operator"})
    page = signed_in(make_user, roles.OPERATOR).get("/log/").content.decode()
    assert "Intervention créée" in page and "Alerte levée" in page
    # The code is the cell's data, never its text.
    assert 'data-kind="alert.raised">Alerte levée<' in page
    assert ">alert.raised<" not in page and ">intervention.created<" not in page


def test_csv_export_reads_in_french(make_user):
    make_intervention(title="Fuite, rue Monge", service="police")
    response = signed_in(make_user, roles.SUPERVISOR).get("/log/export.csv?kind=intervention.")
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    header, first = list(csv.reader(io.StringIO(content), delimiter=";"))[:2]
    assert header[:4] == ["#", "Heure", "Type", "Code du type"]
    assert first[2:4] == ["Intervention créée", "intervention.created"]
    assert first[5:8] == ["Police municipale", "Intervention", "intervention"]


def test_alert_history_names_each_step_in_french(make_user):
    alert = alerts.raise_alert({"title": "Fuite", "category": "water", "source": "operator"})
    alerts.acknowledge_alert(alert, None)
    page = signed_in(make_user, roles.OPERATOR).get(f"/alerts/?alert={alert.pk}").content.decode()
    history = page[page.index('id="alert-history"') :]
    assert "Alerte levée" in history and "Alerte acquittée" in history
    assert ">raised<" not in history and ">acknowledged<" not in history


def test_kind_filter_offers_families_and_kinds_by_name(make_user):
    alert = alerts.raise_alert({"title": "Fuite", "category": "water", "source": "operator"})
    alerts.acknowledge_alert(alert, None)
    client = signed_in(make_user, roles.OPERATOR)
    page = client.get("/log/").content.decode()
    select = page[page.index('name="kind"') : page.index("</select>", page.index('name="kind"'))]
    assert '<optgroup label="Alerte">' in select
    assert '<option value="alert.">Alerte : tous les types</option>' in select
    assert '<option value="alert.raised">Alerte levée</option>' in select
    one = client.get("/log/", {"kind": "alert.raised"}).content.decode()
    family = client.get("/log/", {"kind": "alert."}).content.decode()
    assert 'data-kind="alert.raised"' in one and 'data-kind="alert.acknowledged"' not in one
    assert 'data-kind="alert.raised"' in family and 'data-kind="alert.acknowledged"' in family
