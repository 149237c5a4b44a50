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


def test_kinds_are_left_out_by_their_french_names(make_user):
    alert = alerts.raise_alert({"title": "Fuite", "category": "water", "source": "operator"})
    alerts.acknowledge_alert(alert, None)
    make_intervention(title="Fuite, rue Monge", service="police")
    client = signed_in(make_user, roles.OPERATOR)
    page = client.get("/log/").content.decode()
    box = page[page.index('id="log-exclude"') : page.index("</details>")]
    # Each family and each kind is a check box named in French; no code to type.
    assert "<legend>Alerte</legend>" in box
    assert '<input type="checkbox" class="inline-check" name="exclude_kinds" value="alert.">' in box
    assert 'value="alert.acknowledged"> Alerte acquittée</label>' in box
    assert 'value="intervention."> Intervention : tous les types</label>' in box
    assert 'type="text" name="exclude_kinds"' not in page

    chosen = {"exclude_kinds": ["alert.acknowledged", "intervention."]}
    page = client.get("/log/", chosen)
    kinds = {row[0].kind for row in page.context["rows"]}
    assert "alert.raised" in kinds
    assert not kinds & {"alert.acknowledged", "intervention.created"}
    text = page.content.decode()
    # What is hidden is said by name, and the boxes stay ticked for the next filter.
    assert "Exclus : Alerte acquittée, Intervention : tous les types." in text
    assert 'value="alert.acknowledged" checked>' in text
    assert 'value="alert.raised">' in text

    # The CSV export leaves out the same kinds.
    export = client.get("/log/export.csv", chosen)
    content = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "alert.raised" in content and "alert.acknowledged" not in content
    assert "intervention.created" not in content


def test_an_unknown_kind_to_leave_out_is_an_error_not_the_whole_log(make_user):
    alerts.raise_alert({"title": "Fuite", "category": "water", "source": "operator"})
    client = signed_in(make_user, roles.OPERATOR)
    page = client.get("/log/", {"exclude_kinds": "alert.nonsense"})
    assert page.status_code == 400
    assert page.context["rows"] == []
    assert "alert.nonsense" in page.content.decode() and "Sélectionnez un choix valide" in (
        page.content.decode()
    )
    export = client.get("/log/export.csv", {"exclude_kinds": "alert.nonsense"})
    assert export.status_code == 400
    assert "exclude_kinds" in export.json()["errors"]


def test_room_view_and_whole_log_are_one_link_apart(make_user):
    from interventions import services as interventions
    from tests.interventions.test_interventions import make_team

    interventions.report_team_position(make_team("ECL-07", "lighting"), 47.33, 5.06)
    client = signed_in(make_user, roles.OPERATOR)
    page = client.get("/log/", {"kind": "team."}).content.decode()
    assert 'data-kind="team.moved"' not in page and 'data-kind="team.created"' in page
    link = page.split('id="movements-toggle"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert link == "?kind=team.&amp;movements=on"
    whole = client.get("/log/", {"kind": "team.", "movements": "on"}).content.decode()
    assert 'data-kind="team.moved"' in whole
    assert 'href="?kind=team." id="movements-toggle">Événements de la salle seulement<' in whole
