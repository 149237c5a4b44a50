"""Script payloads planted in every text a person can write, the way each is written in real
life: through the REST API, the admin, or a desk. Each field gets its own tag (`X07`), so a
page that shows the text shows which field it came from, and a page that runs it says which.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from equipment import commands
from equipment import services as equipment_services
from equipment.models import District, Equipment, Site
from hotline import services as hotline_services
from hotline.models import Article, Call, CallbackCampaign, Category, Referral
from interventions import services as intervention_services
from interventions.models import Intervention, Officer, Team
from supervision.crisis import services as crisis
from supervision.models import Alert, AlertRule, CrisisMode, WallScreen
from tests import admin_forms

# Markup that runs if a page puts it into HTML: an inline handler, an inline script, an SVG
# handler, and a quote breaking out of an attribute. The short one fits a 30-character field.
LONG = '"\'><img src=x onerror="window.__xss=1"><script>window.__xss=1</script><svg onload=__xss=1>'
SHORT = "<img src=x onerror=__xss=1>"


@dataclass
class PlantedField:
    tag: str
    name: str  # "Team.call_sign"
    channel: str  # "api", "admin", "desk", "service"
    text: str


@dataclass
class PlantedCity:
    hostile: bool = True  # payloads, or plain words (to see pages work under the policy)
    fields: list[PlantedField] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)  # page name -> path
    admin_urls: list[str] = field(default_factory=list)  # change forms the admin filled in

    def text(self, name: str, channel: str, max_length: int = 5000) -> str:
        tag = f"X{len(self.fields) + 1:02d}"
        if not self.hostile:
            value = f"{tag} Place Darcy"
        elif len(tag + LONG) <= max_length:
            value = tag + LONG
        else:
            value = tag + SHORT
        assert len(value) <= max_length, (name, max_length)
        self.fields.append(PlantedField(tag, name, channel, value))
        return value


def created(response, what: str) -> dict:
    assert response.status_code in (200, 201), (what, response.status_code, response.content[:500])
    return response.json()


def api_create(api, path: str, body: dict, what: str) -> dict:
    """An object written through the REST API, as an integration would."""
    return created(api.post(path, body, format="json"), what)


def plant_city(password: str, hostile: bool = True) -> PlantedCity:
    """Write a small city whose every text is a payload; return the fields and the pages
    that show them (objects' own pages: a change form, a history, a campaign)."""
    city = PlantedCity(hostile=hostile)
    admin = get_user_model().objects.get(username="xss-administrator")
    api = APIClient()
    api.force_authenticate(admin)

    # Through the API: districts, equipment, teams, interventions, alerts.
    district = api_create(
        api,
        "/api/v1/districts/",
        {
            "code": "xss-district",
            "name": city.text("District.name", "api", 100),
            "center_latitude": 47.322,
            "center_longitude": 5.041,
            "boundary": [[5.03, 47.31], [5.05, 47.31], [5.05, 47.33], [5.03, 47.33]],
        },
        "district",
    )
    equipment = api_create(
        api,
        "/api/v1/equipment/",
        {
            "code": city.text("Equipment.code", "api", 40),
            "name": city.text("Equipment.name", "api", 150),
            "kind": "streetlight",
            "district": district["code"],
            "latitude": 47.3221,
            "longitude": 5.0412,
            "state": {"lamp": "on"},
        },
        "equipment",
    )
    team = api_create(
        api,
        "/api/v1/teams/",
        {
            "call_sign": city.text("Team.call_sign", "api", 30),
            "vehicle": city.text("Team.vehicle", "api", 60),
            "service": "police",
        },
        "team",
    )
    intervention = api_create(
        api,
        "/api/v1/interventions/",
        {
            "title": city.text("Intervention.title", "api", 200),
            "description": city.text("Intervention.description", "api"),
            "address": city.text("Intervention.address", "api", 200),
            "category": city.text("Intervention.category", "api", 50),
            "service": "police",
            "priority": 2,
            "latitude": 47.3305,
            "longitude": 5.0405,
        },
        "intervention",
    )
    alert = api_create(
        api,
        "/api/v1/alerts/",
        {
            "title": city.text("Alert.title", "api", 200),
            "category": city.text("Alert.category", "api", 50),
            "severity": 4,
            "source": "operator",
            "latitude": 47.321,
            "longitude": 5.04,
        },
        "alert",
    )
    category_row = Category.objects.create(code="xss-category", name="Category", shortcut="9")
    # Through the services the desks call: a team's position (so it shows on maps), an
    # officer, a rule, a wall screen, an approved answer, a crisis mode with its messages; the
    # texts an administrator writes are then typed into the admin's forms (below).
    team_row = Team.objects.get(pk=team["id"])
    intervention_services.report_team_position(team_row, 47.325, 5.045, timezone.now())
    district_row = District.objects.get(code="xss-district")
    equipment_row = Equipment.objects.get(pk=equipment["id"])
    equipment_services.update_equipment(equipment_row, {"status": "fault"})

    crew = get_user_model().objects.get(username="xss-field_team")
    crew.first_name = city.text("User.first_name", "service", 150)
    crew.last_name = city.text("User.last_name", "service", 150)
    crew.save()
    Officer.objects.create(user=crew, team=team_row, service="police", badge_number="PM-X1")

    rule = AlertRule.objects.create(
        name="Rule",
        kind=AlertRule.Kind.STATUS,
        equipment_kind="streetlight",
        match_text="fault",
        severity=Alert.Severity.HIGH,
        category=city.text("AlertRule.category", "service", 50),
        procedure="Procedure",
    )
    Alert.objects.filter(pk=alert["id"]).update(rule=rule)

    screen = WallScreen.objects.create(
        slug="xss-wall",
        name="Wall",
        panels=[choice for choice, _ in WallScreen.Panel.choices],
        map_layers=[choice for choice, _ in WallScreen.MapLayer.choices],
    )
    Article.objects.create(
        key="xss-answer",
        category=category_row,
        title="Answer",
        body="Body",
        source=Article.Source.LOCAL,
        valid_from=timezone.now() - timedelta(days=1),
    )
    mode = CrisisMode.objects.create(
        code="xss-mode",
        name="Mode",
        description=city.text("CrisisMode.description", "service"),
    )
    mode.actions.create(position=1, type="wall_banner", text=city.text("Banner text", "service"))
    mode.actions.create(position=2, type="public_message", text="Public message")
    command = commands.request_command(
        equipment_row, "off", reason=city.text("Command.reason", "service", 300), actor=admin
    )
    city.admin_urls.append(reverse("admin:equipment_command_change", args=[command.pk]))
    plant_through_the_admin(city, admin, district_row)
    mode.refresh_from_db()

    # Through the desks: the hotline agent logs a call that refers an isolated person.
    agent = get_user_model().objects.get(username="xss-hotline_agent")
    desk = Client()
    desk.force_login(agent)  # the login form itself is walked by the test
    created(
        desk.post(
            "/hotline/calls/",
            {
                "category": "xss-category",
                "question": city.text("Call.question", "desk", 5000),
                "answer": city.text("Call.answer", "desk", 5000),
                "caller_name": city.text("Call.caller_name", "desk", 150),
                "caller_phone": "0380000000",
                "district": district_row.pk,
                "outcome": Call.Outcome.REFERRAL,
                "handling_seconds": 60,
                "referral_address": city.text("Referral.address", "desk", 200),
                "referral_needs": city.text("Referral.needs", "desk", 2000),
                "referral_consent": "on",
                "referral_register": "on",
            },
        ),
        "call",
    )
    call = Call.objects.get(agent=agent)
    hotline_services.request_callback(call, timezone.now() + timedelta(hours=1))
    referral = Referral.objects.get(call=call)
    hotline_services.add_referral_note(referral, city.text("ReferralNote.text", "service"), agent)
    campaign = hotline_services.start_callback_campaign(
        city.text("CallbackCampaign.name", "service", 150),
        CallbackCampaign.Crisis.HEATWAVE,
        agent,
    )

    # The assignment and the crisis mode in force, so that the field phone, the wall and the
    # public page show them.
    intervention_row = Intervention.objects.get(pk=intervention["id"])
    intervention_services.assign_team(intervention_row, team_row)
    crisis.activate(mode, admin, city.text("ModeActivation.reason", "service", 300), confirmed=True)

    city.urls.update(
        {
            "equipment history": f"/equipment/{equipment_row.code}/history/",
            "wall screen": f"/wall/{screen.slug}/",
            "crisis pre-check": f"/crisis/modes/{mode.code}/",
            "alert on the desk": f"/alerts/?alert={alert['id']}",
            "campaign": f"/hotline/campaigns/{campaign.pk}/",
        }
    )
    return city


def plant_through_the_admin(city: PlantedCity, admin, district: District) -> None:
    """The texts an administrator types into the admin's forms: into objects of their own
    (a second district, device, team, a market) and the rule, wall screen, answer, category
    and crisis mode planted above."""
    site = Client()
    site.force_login(admin)

    def fill_in(obj, **fields: tuple[str, int]) -> None:
        """Type a payload into each form field (its planted name and maximum length)."""
        info = obj._meta.app_label, obj._meta.model_name
        url = reverse("admin:{}_{}_change".format(*info), args=[obj.pk])
        texts = {
            name: city.text(label, "admin", length) for name, (label, length) in fields.items()
        }
        admin_forms.save(site, url, **texts)
        city.admin_urls.append(url)

    place = {"latitude": 47.3233, "longitude": 5.0386}
    other_district = District.objects.create(
        code="xss-admin-district",
        name="Second district",
        center_latitude=47.3,
        center_longitude=5.0,
    )
    fill_in(other_district, name=("District.name", 100))
    device = Equipment.objects.create(
        code="XSS-ADMIN-1", kind=Equipment.Kind.STREETLIGHT, district=district, **place
    )
    fill_in(device, name=("Equipment.name", 150))
    fill_in(
        Team.objects.create(call_sign="ADMIN-1", service="police"), call_sign=("Team.call_sign", 30)
    )
    market = Site.objects.create(
        code="xss-market",
        name="Market",
        kind=Site.Kind.MARKET,
        district=district,
        capacity=100,
        **place,
    )
    fill_in(market, name=("Site.name (a market)", 150), address=("Site.address", 200))
    fill_in(
        AlertRule.objects.get(name="Rule"),
        name=("AlertRule.name", 120),
        procedure=("AlertRule.procedure", 5000),
    )
    fill_in(WallScreen.objects.get(slug="xss-wall"), name=("WallScreen.name", 100))
    fill_in(Category.objects.get(code="xss-category"), name=("Category.name", 100))
    fill_in(
        Article.objects.get(key="xss-answer"),
        title=("Article.title", 200),
        body=("Article.body", 5000),
    )
    newest = Article.objects.filter(key="xss-answer").order_by("-version").first()
    city.admin_urls.append(reverse("admin:hotline_article_change", args=[newest.pk]))
    fill_in(
        CrisisMode.objects.get(code="xss-mode"),
        name=("CrisisMode.name", 100),
        **{"actions-1-text": ("Public message", 5000)},
    )
