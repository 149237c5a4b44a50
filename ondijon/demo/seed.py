"""The demo metropolis: a Dijon-like city at the scale of Dijon's connected control centre.

Deterministic (seeded) and idempotent: every object has a stable code, so running it again
adds nothing and changes nothing.
"""

import math
import random
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from equipment.models import Camera, District, Equipment, Site
from geography import services as geography
from geography.models import Address, Street
from interventions.models import Officer, Service, Team
from ondijon import bus, roles
from ondijon.demo.districts import voronoi_cells
from ondijon.demo.hotline import seed_hotline_demo
from ondijon.demo.playbooks import seed_playbooks
from ondijon.demo.rules import seed_alert_rules
from ondijon.demo.streets import StreetSnapper
from ondijon.demo.streets import build as build_streets
from ondijon.geo import offset
from supervision.models import WallScreen

SEED = 2019  # the year Dijon's control centre opened

# The 23 communes of Dijon Métropole: (code, name, latitude, longitude, population).
COMMUNES = [
    ("dijon", "Dijon", 47.3220, 5.0410, 159_000),
    ("chenove", "Chenôve", 47.2915, 5.0065, 14_000),
    ("talant", "Talant", 47.3370, 5.0050, 11_000),
    ("chevigny", "Chevigny-Saint-Sauveur", 47.3000, 5.1350, 11_000),
    ("quetigny", "Quetigny", 47.3130, 5.1060, 9_600),
    ("longvic", "Longvic", 47.2880, 5.0640, 9_000),
    ("fontaine", "Fontaine-lès-Dijon", 47.3430, 5.0210, 9_000),
    ("saint-apollinaire", "Saint-Apollinaire", 47.3330, 5.0830, 7_500),
    ("marsannay", "Marsannay-la-Côte", 47.2710, 4.9900, 5_300),
    ("plombieres", "Plombières-lès-Dijon", 47.3370, 4.9650, 2_600),
    ("neuilly-crimolois", "Neuilly-Crimolois", 47.2780, 5.1140, 2_600),
    ("sennecey", "Sennecey-lès-Dijon", 47.2890, 5.1050, 2_300),
    ("perrigny", "Perrigny-lès-Dijon", 47.2650, 5.0100, 1_700),
    ("ahuy", "Ahuy", 47.3700, 5.0220, 1_300),
    ("daix", "Daix", 47.3520, 5.0020, 1_500),
    ("hauteville", "Hauteville-lès-Dijon", 47.3650, 4.9950, 1_200),
    ("ouges", "Ouges", 47.2620, 5.0760, 1_500),
    ("fenay", "Fénay", 47.2370, 5.0600, 1_600),
    ("bretenieres", "Bretenière", 47.2380, 5.1090, 900),
    ("magny-sur-tille", "Magny-sur-Tille", 47.2870, 5.1700, 900),
    ("bressey-sur-tille", "Bressey-sur-Tille", 47.3110, 5.1800, 1_000),
    ("corcelles-les-monts", "Corcelles-les-Monts", 47.2990, 4.9400, 650),
    ("flavignerot", "Flavignerot", 47.2830, 4.9450, 200),
]
# Their codes in INSEE's official geographic code (Côte-d'Or, 21), as public alerts name them.
INSEE_CODES = {
    "dijon": "21231",
    "chenove": "21166",
    "talant": "21617",
    "chevigny": "21171",
    "quetigny": "21515",
    "longvic": "21355",
    "fontaine": "21278",
    "saint-apollinaire": "21540",
    "marsannay": "21390",
    "plombieres": "21485",
    "neuilly-crimolois": "21452",
    "sennecey": "21605",
    "perrigny": "21481",
    "ahuy": "21003",
    "daix": "21223",
    "hauteville": "21315",
    "ouges": "21473",
    "fenay": "21263",
    "bretenieres": "21105",
    "magny-sur-tille": "21371",
    "bressey-sur-tille": "21103",
    "corcelles-les-monts": "21192",
    "flavignerot": "21271",
}
METRO_BBOX = (4.91, 47.215, 5.21, 47.395)  # min_lon, min_lat, max_lon, max_lat
PEDESTRIAN_CENTRE = (47.3218, 5.0395)  # place de la Libération / rue de la Liberté
MARKETS = [
    ("halles-dijon", "Les Halles de Dijon", 47.3233, 5.0386, 2_500, 4),
    ("marche-fontaine-d-ouche", "Marché de la Fontaine d'Ouche", 47.3170, 5.0080, 800, 2),
    ("marche-chenove", "Marché de Chenôve", 47.2920, 5.0090, 600, 2),
]

# Dijon's published figures, and plausible ones where none were published.
STREETLIGHTS = 34_000
STREETLIGHTS_PER_CABINET = 50
JUNCTIONS = 113
CAMERAS = 269
BOLLARDS = 26
PUBLIC_BUILDINGS = 180
BUILDINGS_WITH_BADGES = 36
BUSES = 180
PRIORITY_POINTS = 60
DELIVERY_BAYS = 150
WATER_SENSORS = 120
WATER_VALVES = 60
FLEET = {  # 205 geolocated vehicles
    Service.POLICE: 60,
    Service.LIGHTING: 30,
    Service.ROADS: 35,
    Service.WATER: 30,
    Service.CLEANING: 30,
    Service.GREEN_SPACES: 10,
    Service.BUILDINGS: 10,
}
CALL_SIGN_PREFIX = {
    Service.POLICE: "POL",
    Service.LIGHTING: "ECL",
    Service.ROADS: "VOI",
    Service.WATER: "EAU",
    Service.CLEANING: "PRO",
    Service.GREEN_SPACES: "ESV",
    Service.BUILDINGS: "BAT",
}

DEMO_USERS = [  # username, role, first name, last name
    ("admin", roles.ADMINISTRATOR, "Ada", "Admin"),
    ("supervisor", roles.SUPERVISOR, "Sophie", "Martin"),
    ("operator", roles.OPERATOR, "Olivier", "Bernard"),
    ("dispatcher", roles.DISPATCHER, "Denis", "Petit"),
    ("agent", roles.HOTLINE_AGENT, "Amélie", "Durand"),
    ("field", roles.FIELD_TEAM, "Fabien", "Moreau"),
    ("social", roles.SOCIAL_SUPPORT, "Sarah", "Lefèvre"),
    ("wall", roles.WALL_DISPLAY, "Écran", "Mur"),
]


@dataclass
class SeedReport:
    created_users: dict[str, str]  # username -> password, only for users created now
    counts: dict[str, int]


def streetlights_for(devices: int) -> int:
    """Streetlights that make a city of about `devices` devices: each comes with a share of a
    lighting cabinet, and every other kind keeps Dijon's count (about 1,000 devices)."""
    others = (
        JUNCTIONS
        + CAMERAS
        + BOLLARDS
        + DELIVERY_BAYS
        + WATER_SENSORS
        + WATER_VALVES
        + BUSES
        + PRIORITY_POINTS
    )
    per_light = 1 + 1 / STREETLIGHTS_PER_CABINET
    return max(STREETLIGHTS_PER_CABINET, round((devices - others) / per_light))


def seed_demo(password: str | None = None, streetlights: int | None = None) -> SeedReport:
    """The demo metropolis; `streetlights` scales it (Dijon's 34,000 by default; 146,000 make
    a 150,000-device metropolis, see `streetlights_for`)."""
    rng = random.Random(SEED)
    with transaction.atomic():
        districts = seed_districts()
        centres = [(d.latitude, d.longitude, d.population, d) for d in districts]
        seed_streets()
        seed_equipment(rng, centres, STREETLIGHTS if streetlights is None else streetlights)
        seed_sites_and_access(rng, centres)
        seed_fleet(rng, centres)
        seed_alert_rules()
        seed_hotline_demo()  # categories, approved answers, the first lockdown's calls
        seed_playbooks()  # crisis modes and their playbooks
        seed_cameras(rng)
        seed_wall_screens()
        created = seed_users(password)
        link_wall_kiosk()
        counts = {
            kind: Equipment.objects.filter(kind=kind).count() for kind in Equipment.Kind.values
        }
        counts.update(
            districts=District.objects.count(),
            teams=Team.objects.count(),
            sites=Site.objects.count(),
            streets=Street.objects.count(),
            addresses=Address.objects.count(),
        )
        if created:
            bus.emit(
                "demo.seeded",
                subject_type="platform",
                subject_label="Métropole de démonstration",
                payload=counts,
            )
    return SeedReport(created_users=created, counts=counts)


def seed_districts() -> list:
    cells = voronoi_cells([(lon, lat) for _, _, lat, lon, _ in COMMUNES], METRO_BBOX)
    districts = []
    for (code, name, lat, lon, population), ring in zip(COMMUNES, cells, strict=True):
        district, _ = District.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "center_latitude": lat,
                "center_longitude": lon,
                "population": population,
                "boundary": ring,
                "insee_code": INSEE_CODES[code],
            },
        )
        district.latitude, district.longitude = lat, lon
        districts.append(district)
    return districts


def nearest_district(centres, lat: float, lon: float):
    return min(centres, key=lambda c: (c[0] - lat) ** 2 + ((c[1] - lon) * 0.68) ** 2)[3]


# Equipment and vehicles stand along the demo's streets (set by seed_streets).
_snapper: StreetSnapper | None = None


def seed_streets() -> None:
    """The demo's street network and its BAN-format addresses (no download needed)."""
    global _snapper
    geography_ = build_streets(COMMUNES, INSEE_CODES)
    _snapper = geography_.snapper()
    if not Street.objects.filter(source=Street.Source.DEMO).exists():
        geography.import_streets(geography_.streets, source="demo")
        geography.import_addresses(geography_.addresses, source="demo")


def on_street(lat: float, lon: float) -> tuple[float, float]:
    return _snapper.snap(lat, lon) if _snapper is not None else (lat, lon)


def random_point(rng: random.Random, centres, spread_m: float = 1800.0) -> tuple[float, float]:
    """A point on a street near a commune centre, communes weighted by population (people
    need light)."""
    weights = [math.sqrt(c[2]) for c in centres]
    lat, lon, population, _ = rng.choices(centres, weights=weights)[0]
    spread = spread_m * (2.2 if population > 100_000 else 0.6)
    return on_street(*offset(lat, lon, rng.gauss(0, spread), rng.gauss(0, spread)))


def _equipment(code, kind, lat, lon, centres, **extra) -> Equipment:
    lat, lon = on_street(lat, lon)
    return Equipment(
        code=code,
        kind=kind,
        latitude=round(lat, 6),
        longitude=round(lon, 6),
        district=nearest_district(centres, lat, lon),
        **extra,
    )


def _create(objects: list) -> None:
    Equipment.objects.bulk_create(objects, batch_size=2000, ignore_conflicts=True)


def seed_equipment(rng: random.Random, centres, streetlights: int = STREETLIGHTS) -> None:
    kinds = Equipment.Kind
    cabinets = []
    for index in range(streetlights // STREETLIGHTS_PER_CABINET):
        lat, lon = random_point(rng, centres)
        cabinets.append(
            _equipment(
                f"LC-{index + 1:04d}",
                kinds.LIGHTING_CABINET,
                lat,
                lon,
                centres,
                state={"circuit": "on"},
            )
        )
    _create(cabinets)
    cabinet_ids = dict(
        Equipment.objects.filter(kind=kinds.LIGHTING_CABINET).values_list("code", "id")
    )
    lights = []
    for cabinet in cabinets:
        for _ in range(STREETLIGHTS_PER_CABINET):
            lat, lon = offset(
                cabinet.latitude, cabinet.longitude, rng.gauss(0, 180), rng.gauss(0, 180)
            )
            lights.append(
                _equipment(
                    f"SL-{len(lights) + 1:05d}",
                    kinds.STREETLIGHT,
                    lat,
                    lon,
                    centres,
                    parent_id=cabinet_ids[cabinet.code],
                    state={"lamp": "on", "dim": 100},
                )
            )
    _create(lights)

    junctions = []
    for index in range(JUNCTIONS):
        lat, lon = random_point(rng, centres, spread_m=1200)
        junctions.append(
            _equipment(
                f"TS-{index + 1:03d}",
                kinds.TRAFFIC_SIGNAL,
                lat,
                lon,
                centres,
                state={"mode": "normal", "plan": 1},
            )
        )
    _create(junctions)
    simple = [
        (CAMERAS, "CAM-{:03d}", kinds.CAMERA, 1500, {"preset": 1, "recording": True}),
        (DELIVERY_BAYS, "DB-{:03d}", kinds.DELIVERY_BAY, 900, {"occupied": False}),
        (
            WATER_SENSORS,
            "WS-{:03d}",
            kinds.WATER_SENSOR,
            2500,
            {"pressure_bar": 4.2, "flow_m3h": 12.0},
        ),
        (WATER_VALVES, "WV-{:03d}", kinds.WATER_VALVE, 2500, {"position": "open"}),
        (BUSES, "BUS-{:03d}", kinds.BUS, 2000, {"line": None, "delay_s": 0}),
    ]
    for count, pattern, kind, spread, state in simple:
        objects = []
        for index in range(count):
            lat, lon = random_point(rng, centres, spread_m=spread)
            extra_state = {"line": f"L{1 + index % 12}"} if kind == kinds.BUS else {}
            objects.append(
                _equipment(
                    pattern.format(index + 1),
                    kind,
                    lat,
                    lon,
                    centres,
                    state={**state, **extra_state},
                )
            )
        _create(objects)
    bollards = []
    for index in range(BOLLARDS):
        lat, lon = offset(*PEDESTRIAN_CENTRE, rng.uniform(-350, 350), rng.uniform(-450, 450))
        bollards.append(
            _equipment(
                f"BOL-{index + 1:02d}",
                kinds.BOLLARD,
                lat,
                lon,
                centres,
                state={"position": "raised"},
            )
        )
    _create(bollards)
    priority_points = []
    for index, junction in enumerate(junctions[:PRIORITY_POINTS]):
        priority_points.append(
            _equipment(
                f"PP-{index + 1:02d}",
                kinds.PRIORITY_POINT,
                junction.latitude,
                junction.longitude,
                centres,
                state={"junction": junction.code, "request": None},
            )
        )
    _create(priority_points)


def seed_sites_and_access(rng: random.Random, centres) -> None:
    sites = []
    for index in range(PUBLIC_BUILDINGS):
        lat, lon = random_point(rng, centres, spread_m=1400)
        sites.append(
            Site(
                code=f"PB-{index + 1:03d}",
                name=f"Bâtiment public {index + 1:03d}",
                kind=Site.Kind.PUBLIC_BUILDING,
                latitude=round(lat, 6),
                longitude=round(lon, 6),
                district=nearest_district(centres, lat, lon),
            )
        )
    for code, name, lat, lon, capacity, _ in MARKETS:
        sites.append(
            Site(
                code=code,
                name=name,
                kind=Site.Kind.MARKET,
                latitude=lat,
                longitude=lon,
                capacity=capacity,
                district=nearest_district(centres, lat, lon),
            )
        )
    Site.objects.bulk_create(sites, ignore_conflicts=True)
    site_ids = dict(Site.objects.values_list("code", "id"))
    access = []
    for site in sites[:BUILDINGS_WITH_BADGES]:
        access.append(
            _equipment(
                f"BA-{site.code}",
                Equipment.Kind.BUILDING_ACCESS,
                site.latitude,
                site.longitude,
                centres,
                site_id=site_ids[site.code],
                state={"locked": False, "badges": "normal"},
            )
        )
    _create(access)
    gates = []
    for code, _, lat, lon, _, gate_count in MARKETS:
        for gate in range(gate_count):
            angle = 2 * math.pi * gate / gate_count
            glat, glon = offset(lat, lon, 60 * math.sin(angle), 60 * math.cos(angle))
            gates.append(
                _equipment(
                    f"MG-{code}-{gate + 1}",
                    Equipment.Kind.MARKET_GATE,
                    glat,
                    glon,
                    centres,
                    site_id=site_ids[code],
                    state={"in": 0, "out": 0, "display": "open"},
                )
            )
    _create(gates)


# The supervision room's walls: (slug, name, panels, map layers, zoom). The main wall shows
# everything (commands to equipment included); the second follows traffic priority and market
# crowds in the centre, and the commands that hold junctions and set the market gates.
WALL_SCREENS = [
    # The main wall: a 3 x 3 video wall of 46-inch screens, 3.6 m wide, read from 4 m.
    (
        "main",
        "Mur principal",
        [panel for panel in WallScreen.Panel.values if panel != WallScreen.Panel.VIDEO],
        WallScreen.MapLayer.values,
        12,
        "3.60",
        "4.00",
    ),
    (
        "traffic-markets",
        "Priorité aux feux et marchés",
        ["map", "markets", "alerts", "figures", "commands"],
        ["districts", "teams", "markets", "priority"],
        14,
        # A 2 x 2 wall of 55-inch screens, 2.4 m wide, read from 3 m.
        "2.40",
        "3.00",
    ),
]


# The cameras of the demo's video wall, and the presets of its PTZ cameras.
VIDEO_WALL_CAMERAS = 8
DEMO_PRESETS = [{"token": "1", "name": "Vue large"}, {"token": "2", "name": "Entrée"}]


def seed_cameras(rng: random.Random) -> None:
    """Every demo camera as a stream: simulated (drawn by the media gateway), looking a way of
    its own; one in five can pan, tilt and zoom."""
    have = set(Camera.objects.values_list("pk", flat=True))
    rows = []
    for index, equipment in enumerate(
        Equipment.objects.filter(kind=Equipment.Kind.CAMERA).order_by("code")
    ):
        ptz = index % 5 == 0
        direction, angle = rng.uniform(0, 360), rng.choice([60, 75, 90])
        if equipment.pk in have:
            continue
        rows.append(
            Camera(
                equipment=equipment,
                simulated=True,
                ptz=ptz,
                presets=DEMO_PRESETS if ptz else [],
                direction=round(direction),
                field_angle=angle,
                range_m=150,
            )
        )
    Camera.objects.bulk_create(rows, batch_size=500)


def seed_wall_screens() -> None:
    """The demo's wall screens (the migrations create `main`; an existing screen is kept)."""
    for slug, name, panels, layers, zoom, width_m, distance_m in WALL_SCREENS:
        WallScreen.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "panels": list(panels),
                "map_layers": list(layers),
                "zoom": zoom,
                "width_m": Decimal(width_m),
                "viewing_distance_m": Decimal(distance_m),
            },
        )
    # The video wall: 2×2 tiles, the first three touring the city's cameras, the last one
    # for the camera on alarm.
    codes = list(
        Camera.objects.order_by("equipment__code").values_list("equipment__code", flat=True)[
            :VIDEO_WALL_CAMERAS
        ]
    )
    WallScreen.objects.get_or_create(
        slug="video",
        defaults={
            "name": "Vidéoprotection",
            "panels": [WallScreen.Panel.VIDEO],
            "video_layout": 4,
            "video_tiles": [
                {"cameras": codes[0:3], "tour_seconds": 20},
                {"cameras": codes[3:6], "tour_seconds": 20},
                {"cameras": codes[6:8], "tour_seconds": 30},
                {"cameras": codes[:1]},
            ],
            "alarm_tile": 4,
        },
    )


def link_wall_kiosk() -> None:
    """The `wall` kiosk shows the main wall: after login it opens it, not the list of the
    demo's screens (a kiosk an administrator linked elsewhere is kept)."""
    kiosk = get_user_model().objects.get(username="wall")
    if not WallScreen.objects.filter(kiosk=kiosk).exists():
        WallScreen.objects.filter(slug="main", kiosk=None).update(kiosk=kiosk)


def seed_fleet(rng: random.Random, centres) -> None:
    now = timezone.now()
    teams = []
    for service, count in FLEET.items():
        for index in range(count):
            lat, lon = random_point(rng, centres, spread_m=1500)
            teams.append(
                Team(
                    call_sign=f"{CALL_SIGN_PREFIX[service]}-{index + 1:02d}",
                    service=service,
                    vehicle=f"Véhicule {CALL_SIGN_PREFIX[service]} {index + 1:02d}",
                    emergency_vehicle=service == Service.POLICE,
                    status=Team.Status.OFF_DUTY if index % 5 == 4 else Team.Status.AVAILABLE,
                    latitude=round(lat, 6),
                    longitude=round(lon, 6),
                    position_at=now,
                )
            )
    Team.objects.bulk_create(teams, ignore_conflicts=True)


def seed_users(password: str | None) -> dict[str, str]:
    user_model = get_user_model()
    roles.sync_roles()
    created = {}
    for username, role, first, last in DEMO_USERS:
        if user_model.objects.filter(username=username).exists():
            continue
        secret = password or secrets.token_urlsafe(9)
        user = user_model.objects.create_user(
            username=username,
            password=secret,
            first_name=first,
            last_name=last,
            is_staff=role == roles.ADMINISTRATOR,
            is_superuser=role == roles.ADMINISTRATOR,
        )
        user.groups.add(Group.objects.get(name=role))
        created[username] = secret
    field_user = user_model.objects.get(username="field")
    if not hasattr(field_user, "officer"):
        Officer.objects.create(
            user=field_user,
            team=Team.objects.get(call_sign="POL-01"),
            service=Service.POLICE,
            badge_number="PM-0001",
        )
    return created
