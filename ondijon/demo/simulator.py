"""The living city: devices that report, fail and recover, vehicles that drive.

Sends telemetry the way real devices do (HTTPS batches to the API, or MQTT messages on
`city/<kind>/<code>/telemetry`), so everything downstream is the real path: ingest, state,
rules, alerts, events, wall. Vehicles report their positions through
`interventions.services.report_team_position`, as the fleet's trackers would.

Every device reports a heartbeat regularly; small fleets (signals, sensors, cameras...) once
a minute. Streetlights report as real ones do, through their cabinet's radio gateway: each
gateway sends one batch (the cabinet and every lamp it feeds) once per `LIGHTING_CYCLE_S`,
the gateways' sends spread evenly over the cycle, so a healthy lamp is never silent for
longer than a cycle (the demo's silence rule waits twice as long). Incidents start at random
and end by themselves: streetlight failures, signals on flashing amber, pressure drops,
delivery-bay overstays, bus-lane and delivery-bay detections, market crowds, and a gateway
losing power (its cabinet and lamps fall silent together: one correlated outage).
"""

import http.client
import json
import logging
import math
import random
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime

from equipment.models import DeviceToken, Equipment, Site
from equipment.tokens import issue_token, revoke_tokens
from interventions.models import Team
from interventions.services import report_team_position
from ondijon.geo import offset

logger = logging.getLogger(__name__)

K = Equipment.Kind
SMALL_FLEET_PERIOD_S = 60.0
VEHICLE_SPEED_MS = 8.0  # ~30 km/h in town
MOVING_SHARE = 0.3  # of the teams on duty, those driving at a given time
SIMULATOR_TOKEN = "simulator"
# A lighting gateway's reporting cycle: well under the demo's 30-minute silence rule.
LIGHTING_CYCLE_S = 900.0
LAMPS_PER_LOOSE_GATEWAY = 50  # streetlights fed by no cabinet still report in batches

# Incident kinds: (device kind, chance per device per hour, (min, max) duration in seconds).
# Chances a city sees (a lively one: each streetlight fails about every 2 years, each junction's
# controller goes to flashing amber about every 10 days), so that a day of demo raises what a
# real room's day does. Most camera detections are cars passing through (one sighting); a car
# stopped in the lane is sighted at every report while it stays, and only that is an alarm
# (the rule's on-delay). The same for delivery bays: deliveries end within the allowed time,
# a few vehicles overstay. A controller's restart passes through flashing amber for a minute.
INCIDENTS = {
    "lamp_failure": (K.STREETLIGHT, 0.00005, (600, 1800)),
    "signal_flash": (K.TRAFFIC_SIGNAL, 0.004, (30, 900)),
    "pressure_drop": (K.WATER_SENSOR, 0.005, (180, 600)),
    "bay_occupied": (K.DELIVERY_BAY, 0.5, (300, 1150)),  # within the rule's 20 minutes
    "bay_overstay": (K.DELIVERY_BAY, 0.005, (1500, 3600)),
    "detection": (K.CAMERA, 0.15, (1, 1)),  # a car passing through
    "lane_blocked": (K.CAMERA, 0.003, (180, 900)),  # a car stopped in the lane
    "market_crowd": (K.MARKET_GATE, 0.3, (600, 1200)),
    # The gateway's power is cut: it and its lamps send nothing until it comes back. Long
    # enough for the silence rules to see it (30 min), short enough to clear within the hour.
    "gateway_down": (K.LIGHTING_CABINET, 0.001, (2400, 3600)),
}


@dataclass
class Device:
    code: str
    kind: str
    site_id: int | None = None
    incident: str | None = None
    incident_ends: float = 0.0
    counters: dict = field(default_factory=dict)


@dataclass
class Gateway:
    """A lighting cabinet's radio gateway: it reports for the cabinet and its lamps."""

    cabinet: Device | None
    lamps: list[Device]

    def devices(self) -> list[Device]:
        return ([self.cabinet] if self.cabinet else []) + self.lamps

    @property
    def down(self) -> bool:
        return self.cabinet is not None and self.cabinet.incident == "gateway_down"


@dataclass
class Vehicle:
    team_id: int
    lat: float
    lon: float
    target: tuple[float, float] | None = None


class CitySimulator:
    def __init__(
        self,
        rate: float,
        transport: str = "https",
        url: str = "http://127.0.0.1:8000",
        mqtt_url: str = "mqtt://127.0.0.1:1883",
        key: str | None = None,
        seed: int | None = None,
        lighting_cycle: float = LIGHTING_CYCLE_S,
    ):
        self.rate, self.transport = rate, transport
        self.lighting_cycle = lighting_cycle
        self.url, self.mqtt_url = urllib.parse.urlparse(url), mqtt_url
        self.rng = random.Random(seed)
        self.key = key or new_simulator_key()
        rows = list(
            Equipment.objects.order_by("id").values_list("code", "kind", "site_id", "parent__code")
        )
        self.devices = [Device(code, kind, site_id) for code, kind, site_id, _ in rows]
        self.by_kind: dict[str, list[Device]] = {}
        for device in self.devices:
            self.by_kind.setdefault(device.kind, []).append(device)
        self.streetlights = self.by_kind.get(K.STREETLIGHT, []) + self.by_kind.get(
            K.LIGHTING_CABINET, []
        )
        self.small_fleet = [
            d for d in self.devices if d.kind not in (K.STREETLIGHT, K.LIGHTING_CABINET)
        ]
        self.gateways = self.lighting_gateways(rows)
        self.gateway_of = {d.code: g for g in self.gateways for d in g.devices()}
        self.gateway_cursor = 0
        self.gateways_due = 0.5  # the first gateway half a slot in: a cycle sends them all
        self.gates_of_site: dict[int, list[Device]] = {}
        for gate in self.by_kind.get(K.MARKET_GATE, []):
            self.gates_of_site.setdefault(gate.site_id, []).append(gate)
        self.ongoing: set[str] = set()
        self.code_index = {device.code: device for device in self.devices}
        self.capacity = dict(Site.objects.exclude(capacity=None).values_list("id", "capacity"))
        self.vehicles = [
            Vehicle(pk, lat, lon)
            for pk, lat, lon in Team.objects.exclude(status=Team.Status.OFF_DUTY)
            .exclude(latitude=None)
            .values_list("id", "latitude", "longitude")
        ]
        self.centre = (47.3220, 5.0410)
        self.cursor = 0
        self.small_cursor = 0.0
        self.stopping = threading.Event()
        self.sent = 0
        self.http: http.client.HTTPConnection | None = None
        self.mqtt = None

    def lighting_gateways(self, rows: list[tuple]) -> list[Gateway]:
        """One gateway per cabinet, with the lamps it feeds; lamps fed by no cabinet are
        grouped into gateways of their own."""
        by_code = {device.code: device for device in self.devices}
        gateways = {
            device.code: Gateway(device, []) for device in self.by_kind.get(K.LIGHTING_CABINET, [])
        }
        loose: list[Device] = []
        for code, kind, _, parent_code in rows:
            if kind != K.STREETLIGHT:
                continue
            gateway = gateways.get(parent_code)
            (gateway.lamps if gateway else loose).append(by_code[code])
        return list(gateways.values()) + [
            Gateway(None, loose[start : start + LAMPS_PER_LOOSE_GATEWAY])
            for start in range(0, len(loose), LAMPS_PER_LOOSE_GATEWAY)
        ]

    # --- readings -------------------------------------------------------------------------

    def readings_for_second(self, now: float) -> list[dict]:
        """Every reading of this second, in one list (see `batches_for_second`)."""
        return [reading for batch in self.batches_for_second(now) for reading in batch]

    def batches_for_second(self, now: float) -> list[list[dict]]:
        """What is sent this second, one batch per sender: first the small fleet's heartbeats
        and the incidents starting or ending, then one batch per lighting gateway due (its
        cabinet and all its lamps), as the city's gateways send them."""
        readings = self.own_readings(now)
        batches = [readings] if readings else []
        self.gateways_due += len(self.gateways) / self.lighting_cycle if self.gateways else 0
        while self.gateways_due >= 1:
            self.gateways_due -= 1
            gateway = self.gateways[self.gateway_cursor % len(self.gateways)]
            self.gateway_cursor += 1
            if not gateway.down:
                batches.append([self.reading(device, now) for device in gateway.devices()])
        return batches

    def own_readings(self, now: float) -> list[dict]:
        """Due heartbeats of the small fleet, incidents starting or ending, and up to `rate`
        readings with extra lamp reports (a lamp reporting a change on its own)."""
        # A cabinet reports in its gateway's batch; a gateway without power sends nothing.
        changed = [d for d in self.incidents(now) if not self.sent_only_with_gateway(d)]
        readings = [self.reading(device, now) for device in changed]
        small_due = len(self.small_fleet) / SMALL_FLEET_PERIOD_S
        self.small_cursor += small_due
        while self.small_cursor >= 1 and self.small_fleet:
            self.small_cursor -= 1
            device = self.small_fleet[self.cursor % len(self.small_fleet)]
            self.cursor += 1
            readings.append(self.reading(device, now))
        cycle_rate = sum(len(g.devices()) for g in self.gateways) / self.lighting_cycle
        lights = max(0, int(self.rate - len(readings) - cycle_rate))
        for _ in range(lights if self.streetlights else 0):
            device = self.streetlights[self.rng.randrange(len(self.streetlights))]
            if not self.sent_only_with_gateway(device):
                readings.append(self.reading(device, now))
        return readings

    def sent_only_with_gateway(self, device: Device) -> bool:
        gateway = self.gateway_of.get(device.code)
        return device.kind == K.LIGHTING_CABINET or bool(gateway and gateway.down)

    def incidents(self, now: float) -> list[Device]:
        """Devices whose incident starts or ends now (they report at once)."""
        changed = []
        for device in [d for d in self.ongoing_devices() if now >= d.incident_ends]:
            if device.incident == "lamp_failure":
                device.counters["repaired"] = True
            device.incident = None
            self.ongoing.discard(device.code)
            changed.append(device)
        for name, (kind, per_hour, (shortest, longest)) in INCIDENTS.items():
            fleet = self.by_kind.get(kind, [])
            for _ in range(self.poisson(len(fleet) * per_hour / 3600)):
                device = self.rng.choice(fleet)
                if device.incident:
                    continue
                self.ongoing.add(device.code)
                device.incident = name
                device.incident_ends = now + self.rng.uniform(shortest, longest)
                changed.append(device)
        return changed

    def ongoing_devices(self) -> list[Device]:
        return [self.code_index[code] for code in self.ongoing]

    def poisson(self, mean: float) -> int:
        count, threshold, product = 0, math.exp(-mean), self.rng.random()
        while product > threshold:
            count += 1
            product *= self.rng.random()
        return count

    def reading(self, device: Device, now: float) -> dict:
        metrics = self.metrics(device)
        return {
            "device": device.code,
            "time": datetime.fromtimestamp(now, UTC).isoformat(),
            "metrics": metrics,
        }

    def metrics(self, device: Device) -> dict:
        rng, incident = self.rng, device.incident
        if device.kind == K.STREETLIGHT:
            if incident == "lamp_failure":
                return {"status": "fault", "lamp": "off", "power_w": 0.0}
            metrics = {"lamp": "on", "power_w": round(rng.gauss(72, 2), 1)}
            if device.counters.pop("repaired", False):
                metrics["status"] = "ok"  # a device reports its recovery once
            return metrics
        if device.kind == K.LIGHTING_CABINET:
            return {"circuit": "on", "voltage": round(rng.gauss(231, 2), 1)}
        if device.kind == K.TRAFFIC_SIGNAL:
            return {"mode": "flash" if incident == "signal_flash" else "normal"}
        if device.kind == K.WATER_SENSOR:
            pressure = (
                rng.uniform(1.6, 2.3) if incident == "pressure_drop" else rng.gauss(4.2, 0.15)
            )
            return {"pressure_bar": round(pressure, 2), "flow_m3h": round(rng.gauss(12, 1), 1)}
        if device.kind == K.DELIVERY_BAY:
            return {"occupied": incident in ("bay_occupied", "bay_overstay")}
        if device.kind == K.CAMERA:
            if incident in ("detection", "lane_blocked"):
                # The same vehicle is sighted at every report while it stays.
                seen = device.counters.get("seen") or rng.choice(
                    ["bus_lane", "bus_lane", "delivery_bay_misuse"]
                )
                device.counters["seen"] = seen
                return {"detection": seen}
            device.counters.pop("seen", None)
            return {"recording": True}
        if device.kind == K.MARKET_GATE:
            return self.gate_counts(device)
        if device.kind == K.BUS:
            return {"delay_s": max(0, int(rng.gauss(60, 90)))}
        return {"online": True}

    def gate_counts(self, device: Device) -> dict:
        """Cumulative counts; a crowd makes entries outpace exits towards the capacity."""
        counts = device.counters or {"in": 0, "out": 0}
        gates = self.gates_of_site.get(device.site_id, [device])
        capacity = self.capacity.get(device.site_id, 1000) / len(gates)
        inside = counts["in"] - counts["out"]
        crowd = any(gate.incident == "market_crowd" for gate in gates)
        target = capacity * (1.1 if crowd else 0.5)
        step = max(1, int(abs(target - inside) * 0.3))
        counts["in" if inside < target else "out"] += step
        device.counters = counts
        return dict(counts)

    # --- vehicles -------------------------------------------------------------------------

    def move_vehicles(self, seconds: float) -> None:
        for vehicle in self.vehicles[: math.ceil(len(self.vehicles) * MOVING_SHARE)]:
            if vehicle.target is None or self.distance(vehicle) < VEHICLE_SPEED_MS * seconds:
                north, east = self.rng.gauss(0, 2500), self.rng.gauss(0, 3500)
                vehicle.target = offset(*self.centre, north, east)
            step = VEHICLE_SPEED_MS * seconds
            fraction = min(1.0, step / max(self.distance(vehicle), 1.0))
            vehicle.lat += (vehicle.target[0] - vehicle.lat) * fraction
            vehicle.lon += (vehicle.target[1] - vehicle.lon) * fraction
            team = Team.objects.get(pk=vehicle.team_id)
            report_team_position(team, round(vehicle.lat, 6), round(vehicle.lon, 6))

    def distance(self, vehicle: Vehicle) -> float:
        dlat = (vehicle.target[0] - vehicle.lat) * 111_320
        dlon = (vehicle.target[1] - vehicle.lon) * 111_320 * math.cos(math.radians(vehicle.lat))
        return math.hypot(dlat, dlon)

    # --- sending --------------------------------------------------------------------------

    def send(self, readings: list[dict]) -> None:
        if self.transport == "mqtt":
            self.publish(readings)
        else:
            self.post(readings)
        self.sent += len(readings)

    def post(self, readings: list[dict]) -> None:
        body = json.dumps({"readings": readings})
        headers = {"Authorization": f"Token {self.key}", "Content-Type": "application/json"}
        for attempt in range(2):
            try:
                if self.http is None:
                    connection_class = (
                        http.client.HTTPSConnection
                        if self.url.scheme == "https"
                        else http.client.HTTPConnection
                    )
                    self.http = connection_class(self.url.hostname, self.url.port, timeout=30)
                self.http.request("POST", "/api/v1/telemetry/", body, headers)
                response = self.http.getresponse()
                answer = response.read()
                if response.status != 200:
                    logger.warning("Telemetry refused (%s): %s", response.status, answer[:200])
                return
            except (OSError, http.client.HTTPException):
                self.http = None  # the server restarted or closed the connection
                if attempt:
                    raise

    def publish(self, readings: list[dict]) -> None:
        if self.mqtt is None:
            import paho.mqtt.client as mqtt

            parsed = urllib.parse.urlparse(self.mqtt_url)
            self.mqtt = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="")
            self.mqtt.connect(parsed.hostname or "127.0.0.1", parsed.port or 1883)
            self.mqtt.loop_start()
        for reading in readings:
            code = reading.pop("device")
            kind = self.code_index[code].kind
            self.mqtt.publish(f"city/{kind}/{code}/telemetry", json.dumps(reading), qos=1)

    def wait_for_server(self, timeout: float = 60) -> bool:
        if self.transport == "mqtt":
            return True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stopping.is_set():
            try:
                connection = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.5)
        return False

    def run(self, duration: float | None = None) -> int:
        """Send about `rate` readings a second until stopped; returns how many were sent."""
        if not self.wait_for_server():
            logger.error("The simulator found no server at %s", self.url.geturl())
            return 0
        started = time.monotonic()
        next_move = started
        while not self.stopping.is_set():
            tick = time.monotonic()
            if duration is not None and tick - started >= duration:
                break
            try:
                for batch in self.batches_for_second(time.time()):
                    self.send(batch)
                if tick >= next_move:
                    self.move_vehicles(5.0)
                    next_move = tick + 5.0
            except Exception:  # the demo goes on: log it and try again next second
                logger.exception("Simulator tick failed")
            self.stopping.wait(max(0.0, 1.0 - (time.monotonic() - tick)))
        if self.mqtt is not None:
            self.mqtt.loop_stop()
            self.mqtt.disconnect()
        return self.sent


def new_simulator_key() -> str:
    """A fresh token for the simulator, reporting for every device; the old ones revoked."""

    revoke_tokens(DeviceToken.objects.filter(name=SIMULATOR_TOKEN))
    _, key = issue_token(SIMULATOR_TOKEN, all_equipment=True)
    return key


def start_in_thread(rate: float, url: str, transport: str = "https") -> CitySimulator:
    simulator = CitySimulator(rate, transport=transport, url=url)
    threading.Thread(target=simulator.run, name="ondijon-simulator", daemon=True).start()
    return simulator
