"""The operators' alert desk (/alerts/): who may open it and act, what each button changes and
logs, the rule's suggested steps, refusals as messages (never a 500), and the live socket."""

import re
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from equipment import services as equipment_services
from equipment.models import Command, Equipment, Site
from interventions.models import Intervention
from ondijon import roles as r
from ondijon.asgi import application
from supervision.alerts import services
from supervision.models import Alert, AlertRule, Event
from supervision.wall import state as wall

# These tests check the wording of messages: they read them in English (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("english")

ALL = set(r.ROLE_LABELS)
# Written out here, not read from roles.py, so a permission slipping into a role fails a test.
DESK = {r.ADMINISTRATOR, r.SUPERVISOR, r.OPERATOR, r.DISPATCHER}  # supervision.change_alert
COMMANDS = {r.ADMINISTRATOR, r.SUPERVISOR, r.OPERATOR}  # equipment.add_command
ORIGIN = (b"origin", b"http://127.0.0.1")

STEPS = [
    {"action": "send_command", "command": "on"},
    {"action": "create_intervention", "service": "police"},
    {"action": "send_command", "command": "reset"},
]


@pytest.fixture
def rule(db):
    return AlertRule.objects.create(
        name="Streetlight fault",
        kind="status",
        equipment_kind="streetlight",
        match_text="fault",
        severity=Alert.Severity.LOW,
        category="lighting",
        procedure="Check the feeding cabinet; if it is fine, send a lighting crew.",
        suggested_steps=STEPS,
    )


@pytest.fixture
def alert(rule, streetlight):
    site = Site.objects.create(
        code="halles",
        name="Les Halles",
        kind="market",
        district=streetlight.district,
        latitude=47.32,
        longitude=5.04,
        address="Rue Quentin",
    )
    Equipment.objects.filter(pk=streetlight.pk).update(site=site)
    return raise_rule_alert(rule, streetlight)


def raise_rule_alert(rule, equipment, **fields) -> Alert:
    return services.raise_alert(
        {
            "title": f"{rule.name}: {equipment.code}",
            "source": Alert.Source.RULE,
            "severity": rule.severity,
            "category": rule.category,
            "equipment": equipment,
            "rule": rule,
            "details": {"metric": "status", "value": "fault", "occurrences": 1},
            **fields,
        }
    )


@pytest.fixture
def client_for(make_user):
    def make(role: str) -> Client:
        client = Client()
        client.force_login(make_user(role, username=f"{role}-desk"))
        return client

    return make


def desk_url(alert: Alert | None = None, **filters) -> str:
    query = "&".join(
        [f"{k}={v}" for k, v in filters.items()] + ([f"alert={alert.pk}"] if alert else [])
    )
    return f"/alerts/?{query}"


def alert_events(alert: Alert) -> list[str]:
    return list(
        Event.objects.filter(subject_type="alert", subject_id=str(alert.pk))
        .order_by("seq")
        .values_list("kind", flat=True)
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- Who may open the desk ----------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(ALL))
def test_desk_page_per_role(client_for, alert, role):
    response = client_for(role).get(desk_url(alert))
    assert response.status_code == (200 if role in DESK else 403)
    if role in DESK:
        assert b"Check the feeding cabinet" in response.content


@pytest.mark.parametrize("role", sorted(ALL))
def test_queue_json_per_role(client_for, alert, role):
    response = client_for(role).get("/alerts/queue.json")
    assert response.status_code == (200 if role in DESK else 403)
    if role in DESK:
        body = response.json()
        assert [a["id"] for a in body["alerts"]] == [alert.pk]
        assert body["seq"] == wall.last_seq() and body["truncated"] is False


def test_anonymous_is_sent_to_login(alert):
    client = Client()
    for url in ("/alerts/", "/alerts/queue.json"):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    response = client.post(f"/alerts/{alert.pk}/acknowledge/")
    assert response.status_code == 302 and "login" in response["Location"]
    alert.refresh_from_db()
    assert alert.status == Alert.Status.RAISED


@pytest.mark.parametrize("role", sorted(ALL))
def test_home_links_the_desk_for_those_who_may_use_it(client_for, role):
    content = client_for(role).get("/", follow=True).content
    assert (b'href="/alerts/"' in content) == (role in DESK)


# --- Each button, per role ----------------------------------------------------------------

ACTIONS = {
    # name: (url tail, form data, status afterwards, event kind)
    "acknowledge": ("acknowledge", {}, "acknowledged", "alert.acknowledged"),
    "qualify": (
        "qualify",
        {"qualify-severity": "5", "qualify-category": "public_safety"},
        "qualified",
        "alert.qualified",
    ),
    "resolve": ("resolve", {"resolve-note": "Lamp replaced"}, "resolved", "alert.resolved"),
    "close": ("close", {"close-note": "Duplicate"}, "closed", "alert.closed"),
    "intervention step": (
        "step",
        {"action": "create_intervention", "target": "police"},
        "qualified",
        "alert.updated",
    ),
    "command step": (
        "step",
        {"action": "send_command", "target": "on"},
        "raised",
        "alert.command_requested",
    ),
}
ALLOWED = {name: DESK for name in ACTIONS} | {"command step": COMMANDS}


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_each_button_per_role(client_for, alert, role, name):
    tail, data, status, kind = ACTIONS[name]
    events_before = Event.objects.count()
    client = client_for(role)
    response = client.post(f"/alerts/{alert.pk}/{tail}/", {**data, "filters": "severity=2"})
    alert.refresh_from_db()
    if role not in ALLOWED[name]:
        assert response.status_code == 403
        assert alert.status == Alert.Status.RAISED
        assert Event.objects.count() == events_before
        return
    # Back to the desk, same filters, same alert selected, with a message saying what happened.
    assert response.status_code == 302
    assert response["Location"] == f"/alerts/?severity=2&alert={alert.pk}"
    assert alert.status == status
    last = Event.objects.filter(subject_type="alert", subject_id=str(alert.pk)).last()
    assert last.kind == kind and last.actor_label == f"{role}-desk"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert any(str(alert.pk) in m or "requested" in m or "created" in m for m in messages_of(page))


def test_each_step_changes_the_alert_and_writes_its_event(client_for, alert):
    client = client_for(r.OPERATOR)
    client.post(f"/alerts/{alert.pk}/acknowledge/")
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.acknowledged_by.username == "operator-desk"
    client.post(
        f"/alerts/{alert.pk}/qualify/", {"qualify-severity": "4", "qualify-category": "safety"}
    )
    alert.refresh_from_db()
    assert (alert.status, alert.severity, alert.category) == ("qualified", 4, "safety")
    client.post(f"/alerts/{alert.pk}/resolve/", {"resolve-note": "Cabinet fuse replaced"})
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.resolved_at is not None
    client.post(f"/alerts/{alert.pk}/close/", {"close-note": ""})
    alert.refresh_from_db()
    assert alert.status == "closed" and alert.closed_at is not None
    assert alert_events(alert) == [
        "alert.raised",
        "alert.acknowledged",
        "alert.qualified",
        "alert.resolved",
        "alert.closed",
    ]
    resolved = Event.objects.get(kind="alert.resolved", subject_id=str(alert.pk))
    assert resolved.payload["note"] == "Cabinet fuse replaced"
    assert resolved.payload["alert"]["status"] == "resolved"
    # The history on the page tells the same story, in order.
    page = client.get(desk_url(alert, status="closed")).content.decode()
    history = page[page.index('id="alert-history"') :]
    steps = re.findall(r"</time></td><td>([A-Za-z ]+)</td>", history)
    assert steps == [
        "Alert raised",
        "Alert acknowledged",
        "Alert qualified",
        "Alert resolved",
        "Alert closed",
    ]
    assert "note: Cabinet fuse replaced" in history


def test_qualify_links_an_intervention_by_reference(client_for, alert, streetlight):
    from interventions.services import create_intervention

    intervention = create_intervention(
        {
            "title": "Lamp",
            "category": "lighting",
            "service": "lighting",
            "priority": 3,
            "latitude": 47.32,
            "longitude": 5.04,
        }
    )
    client_for(r.SUPERVISOR).post(
        f"/alerts/{alert.pk}/qualify/",
        {
            "qualify-severity": "2",
            "qualify-category": "lighting",
            "qualify-intervention": intervention.reference.lower(),
        },
    )
    alert.refresh_from_db()
    assert alert.intervention == intervention and alert.status == "qualified"


# --- Suggested steps ----------------------------------------------------------------------


def test_page_shows_procedure_steps_and_what_the_alert_is_about(client_for, alert):
    page = client_for(r.OPERATOR).get(desk_url(alert)).content.decode()
    assert "Check the feeding cabinet; if it is fine, send a lighting crew." in page
    assert "Send command on</button>" in page
    assert "Create intervention (police)</button>" in page
    # A command the device's kind does not take is shown, disabled, with the reason.
    reset = re.search(r"<button[^>]*>Send command reset</button>\s*<span[^>]*>([^<]*)<", page)
    assert reset and "disabled" in reset.group(0)
    assert "take on, off, dim, not &#x27;reset&#x27;" in reset.group(1)
    for text in ("SL-TEST-1", "Les Halles", "Rue Quentin", "Centre", "47.32210", "fault"):
        assert text in page
    assert "<td>Alert raised</td>" in page  # history


def test_dispatcher_sees_the_command_step_refused(client_for, alert):
    page = client_for(r.DISPATCHER).get(desk_url(alert)).content.decode()
    button = re.search(r"<button[^>]*>Send command on</button>", page).group(0)
    assert "disabled" in button and "Your role cannot do this." in page
    assert "disabled" not in re.search(r"<button[^>]*>Create intervention", page).group(0)


def test_intervention_step_creates_it_with_the_steps_service(client_for, alert, streetlight):
    client = client_for(r.OPERATOR)
    response = client.post(
        f"/alerts/{alert.pk}/step/", {"action": "create_intervention", "target": "police"}
    )
    alert.refresh_from_db()
    intervention = Intervention.objects.get()
    # The step's service, not the one the streetlight would give (lighting).
    assert intervention.service == "police"
    assert alert.intervention == intervention and alert.status == "qualified"
    assert list(intervention.equipment.all()) == [streetlight]
    assert intervention.created_by.username == "operator-desk"
    assert Event.objects.filter(kind="intervention.created").count() == 1
    page = client.get(response["Location"])
    assert f"Intervention {intervention.reference} created (police)." in messages_of(page)
    # Twice: refused, said on the page.
    response = client.post(
        f"/alerts/{alert.pk}/step/",
        {"action": "create_intervention", "target": "police"},
        follow=True,
    )
    assert response.status_code == 200
    assert any("already has intervention" in m for m in messages_of(response))
    assert Intervention.objects.count() == 1


def test_command_step_requests_the_command_naming_the_alert(client_for, alert, streetlight):
    client = client_for(r.OPERATOR)
    response = client.post(
        f"/alerts/{alert.pk}/step/", {"action": "send_command", "target": "on"}, follow=True
    )
    assert response.status_code == 200
    command = Command.objects.get()
    assert (command.equipment, command.action) == (streetlight, "on")
    assert command.reason == f"Alert #{alert.pk}: {alert.title}"
    assert command.requested_by.username == "operator-desk"
    assert command.origin == f"alert:{alert.pk}"
    assert Event.objects.filter(kind="command.requested", subject_id=str(command.pk)).exists()
    logged = Event.objects.get(kind="alert.command_requested")
    assert logged.payload["command"]["id"] == command.pk
    assert any("Command on requested on SL-TEST-1" in m for m in messages_of(response))
    page = response.content.decode()
    assert 'id="alert-commands"' in page and "on → SL-TEST-1" in page


def test_command_to_an_offline_device_fails_at_once_with_a_message(client_for, alert, streetlight):
    Equipment.objects.filter(pk=streetlight.pk).update(status=Equipment.Status.OFFLINE)
    client = client_for(r.OPERATOR)
    page = client.get(desk_url(alert)).content.decode()
    assert "The device is offline: the command will fail." in page
    response = client.post(
        f"/alerts/{alert.pk}/step/", {"action": "send_command", "target": "on"}, follow=True
    )
    assert response.status_code == 200
    command = Command.objects.get()
    assert command.status == Command.Status.FAILED
    assert any("failed" in m and "SL-TEST-1 is offline" in m for m in messages_of(response))
    assert Event.objects.filter(kind="command.failed").count() == 1
    logged = Event.objects.get(kind="alert.command_requested")
    assert logged.payload["command"]["status"] == "failed"
    assert 'class="error"' in response.content.decode()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            {"action": "send_command", "target": "reset"},
            "SL-TEST-1 cannot take the command 'reset': Must be one of on, off, dim",
            id="command the device does not take",
        ),
        pytest.param(
            {"action": "send_command", "target": "off"},
            "does not suggest send command 'off'",
            id="step the rule does not suggest",
        ),
        pytest.param(
            {"action": "explode", "target": "now"},
            "That step is not one the desk knows.",
            id="unknown action",
        ),
    ],
)
def test_refused_steps_are_messages_not_errors(client_for, alert, data, expected):
    response = client_for(r.OPERATOR).post(f"/alerts/{alert.pk}/step/", data, follow=True)
    assert response.status_code == 200
    assert any(expected in m for m in messages_of(response)), messages_of(response)
    assert not Command.objects.exists() and not Intervention.objects.exists()
    assert alert_events(alert) == ["alert.raised"]


def test_step_on_a_closed_alert_is_a_conflict_message(client_for, alert):
    client = client_for(r.OPERATOR)
    client.post(f"/alerts/{alert.pk}/close/")
    for data in (
        {"action": "send_command", "target": "on"},
        {"action": "create_intervention", "target": "police"},
    ):
        response = client.post(f"/alerts/{alert.pk}/step/", data, follow=True)
        assert response.status_code == 200
        assert "Alert is closed: its suggested steps are over." in messages_of(response)
    assert not Command.objects.exists() and not Intervention.objects.exists()


def test_steps_follow_the_rule_as_it_is_now(client_for, alert, rule):
    rule.procedure = "New procedure: call the cabinet's supplier."
    rule.suggested_steps = [{"action": "create_intervention", "service": "lighting"}]
    rule.save()
    client = client_for(r.OPERATOR)
    page = client.get(desk_url(alert)).content.decode()
    assert "New procedure: call the cabinet&#x27;s supplier." in page
    assert "Send command on" not in page
    response = client.post(
        f"/alerts/{alert.pk}/step/", {"action": "send_command", "target": "on"}, follow=True
    )
    assert any("does not suggest" in m for m in messages_of(response))


# --- Conflicts and bad input --------------------------------------------------------------


def test_lifecycle_conflicts_come_back_as_messages(client_for, alert):
    client = client_for(r.OPERATOR)
    client.post(f"/alerts/{alert.pk}/acknowledge/")
    response = client.post(f"/alerts/{alert.pk}/acknowledge/", follow=True)
    assert response.status_code == 200
    assert "Alert is acknowledged, not raised." in messages_of(response)
    client.post(f"/alerts/{alert.pk}/close/")
    for tail, data in (
        ("resolve", {"resolve-note": "Too late"}),
        ("qualify", {"qualify-severity": "3", "qualify-category": "x"}),
        ("close", {}),
    ):
        response = client.post(f"/alerts/{alert.pk}/{tail}/", data, follow=True)
        assert response.status_code == 200
        assert any("Alert is closed" in m for m in messages_of(response)), tail
    assert alert_events(alert) == ["alert.raised", "alert.acknowledged", "alert.closed"]


@pytest.mark.parametrize(
    ("tail", "data", "field", "error"),
    [
        ("qualify", {"qualify-severity": "9", "qualify-category": "x"}, "severity", "valid choice"),
        ("qualify", {"qualify-severity": "3", "qualify-category": "  "}, "category", "required"),
        (
            "qualify",
            {"qualify-severity": "3", "qualify-category": "x", "qualify-intervention": "INT-0"},
            "intervention",
            "No intervention INT-0.",
        ),
        ("resolve", {"resolve-note": ""}, "note", "This field is required."),
        ("close", {"close-note": "x" * 2001}, "note", "at most 2000 characters"),
    ],
)
def test_bad_input_gives_field_errors_and_changes_nothing(
    client_for, alert, tail, data, field, error
):
    response = client_for(r.OPERATOR).post(
        f"/alerts/{alert.pk}/{tail}/", {**data, "filters": "status=open"}
    )
    assert response.status_code == 400
    form = response.context[f"{tail}_form"]
    assert any(error in message for message in form.errors[field]), form.errors
    assert error.replace("'", "&#x27;") in response.content.decode()
    assert response.context["selected"] == alert  # the page shows the same alert
    alert.refresh_from_db()
    assert alert.status == Alert.Status.RAISED
    assert alert_events(alert) == ["alert.raised"]


def test_unknown_alert_is_404_and_get_on_a_button_is_405(client_for, alert):
    client = client_for(r.OPERATOR)
    assert client.post("/alerts/999999/acknowledge/").status_code == 404
    assert client.get(f"/alerts/{alert.pk}/acknowledge/").status_code == 405
    assert client.get("/alerts/?alert=999999").status_code == 200  # nothing selected


# --- The queue ----------------------------------------------------------------------------


def queue_ids(content: bytes) -> list[int]:
    queue = content.decode().split('id="alert-queue"')[1].split("</ol>")[0]
    return [int(i) for i in re.findall(r'<li data-alert="(\d+)"', queue)]


def test_queue_most_severe_then_newest_first_with_filters(client_for, rule, streetlight):
    now = timezone.now()

    def make(title, severity, category, minutes_ago, status="raised"):
        alert = services.raise_alert(
            {"title": title, "source": "operator", "severity": severity, "category": category}
        )
        Alert.objects.filter(pk=alert.pk).update(
            raised_at=now - timedelta(minutes=minutes_ago), status=status
        )
        return alert.pk

    old_high = make("old high", 4, "water", 30)
    new_high = make("new high", 4, "lighting", 5)
    critical = make("critical", 5, "water", 60)
    low = make("low", 2, "lighting", 1)
    acknowledged = make("acknowledged", 3, "water", 2, "acknowledged")
    resolved = make("resolved", 5, "water", 0, "resolved")
    client = client_for(r.OPERATOR)
    assert queue_ids(client.get("/alerts/").content) == [
        critical,
        new_high,
        old_high,
        acknowledged,
        low,
    ]
    assert queue_ids(client.get("/alerts/?severity=4").content) == [critical, new_high, old_high]
    assert queue_ids(client.get("/alerts/?category=water").content) == [
        critical,
        old_high,
        acknowledged,
    ]
    assert queue_ids(client.get("/alerts/?status=acknowledged").content) == [acknowledged]
    assert queue_ids(client.get("/alerts/?status=resolved").content) == [resolved]
    # A stale or hand-made query still shows the open queue, never an error.
    assert len(queue_ids(client.get("/alerts/?status=nope&severity=x").content)) == 5


def test_page_embeds_its_sequence_number_and_snapshots(client_for, alert):
    response = client_for(r.OPERATOR).get(desk_url(alert))
    config = response.context["config"]
    assert config["seq"] == wall.last_seq()
    assert config["alerts"] == [services.alert_snapshot(alert)]
    assert config["selected"] == alert.pk and config["socketPath"] == "/ws/alerts/"
    assert b'id="alert-desk-config"' in response.content


# --- The API follows the same permission for an alert's intervention -------------------------


@pytest.mark.parametrize("role", sorted(ALL))
def test_api_intervention_from_alert_per_role(api_client_for, alert, role):
    response = api_client_for(role).post(f"/api/v1/alerts/{alert.pk}/intervention/")
    assert response.status_code == (201 if role in DESK else 403), response.content[:200]


# --- The live socket ----------------------------------------------------------------------


@pytest.fixture
def session_cookie(transactional_db, make_user):
    def cookie_for(role: str) -> tuple[bytes, bytes]:
        client = Client()
        client.force_login(make_user(role, username=f"{role}-ws"))
        return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())

    return cookie_for


def desk_socket(headers, after: int) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/ws/alerts/?after={after}", headers=headers)


@pytest.mark.parametrize("role", sorted(ALL))
async def test_desk_socket_per_role(session_cookie, role):
    cookie = await sync_to_async(session_cookie)(role)
    socket = desk_socket([ORIGIN, cookie], after=await sync_to_async(wall.last_seq)())
    connected, _ = await socket.connect()
    assert connected == (role in DESK)
    await socket.disconnect()


async def test_desk_socket_refuses_anonymous(session_cookie):
    connected, _ = await desk_socket([ORIGIN], after=0).connect()
    assert not connected


async def test_desk_socket_sends_alerts_only(session_cookie, streetlight):
    cookie = await sync_to_async(session_cookie)(r.OPERATOR)
    start = await sync_to_async(wall.last_seq)()
    socket = desk_socket([ORIGIN, cookie], after=start)
    assert (await socket.connect())[0]
    first = await socket.receive_json_from()
    assert (first["type"], first["after"], first["seq"]) == ("frame", start, start)

    def change_then_raise() -> Alert:
        equipment_services.update_equipment(
            Equipment.objects.get(pk=streetlight.pk), {"status": "fault"}
        )
        return services.raise_alert(
            {"title": "Lamp out", "source": "operator", "severity": 4, "category": "lighting"}
        )

    alert = await sync_to_async(change_then_raise)()
    frames, seq = [], start
    while seq < start + 2:
        frame = await socket.receive_json_from(timeout=5)
        if frame["type"] == "frame":
            assert frame["after"] == seq
            frames.append(frame)
            seq = frame["seq"]
    objects = {}
    for frame in frames:
        assert set(frame) == {"type", "after", "seq", "objects"}  # no equipment, calls, mode
        assert set(frame["objects"]) <= {"alert"}
        objects.update(frame["objects"].get("alert", {}))
    assert objects[str(alert.pk)]["title"] == "Lamp out"
    assert objects[str(alert.pk)]["status"] == "raised"
    await socket.disconnect()
