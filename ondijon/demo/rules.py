"""The alert rules of the demo metropolis: a starting set that administrators then edit.

Created only when missing (by name), so an administrator's changes survive a new seed.
"""

from supervision.models import Alert, AlertRule

S = Alert.Severity
LIGHTING = {"action": "create_intervention", "service": "lighting"}
ROADS = {"action": "create_intervention", "service": "roads"}
WATER = {"action": "create_intervention", "service": "water"}
POLICE = {"action": "create_intervention", "service": "police"}

DEMO_RULES = [
    {
        "name": "Streetlight fault",
        "kind": "status",
        "equipment_kind": "streetlight",
        "match_text": "fault",
        "clear_after_seconds": 60,
        "severity": S.LOW,
        "category": "lighting",
        "procedure": "Switch the lamp on again remotely; if it stays dark, check the feeding "
        "cabinet, and if that is fine, send a lighting crew.",
        "suggested_steps": [{"action": "send_command", "command": "on"}, LIGHTING],
    },
    {
        "name": "Traffic signal on flashing amber",
        "kind": "threshold",
        "equipment_kind": "traffic_signal",
        "metric": "mode",
        "comparison": "equals",
        "match_text": "flash",
        "duration_seconds": 60,
        "clear_after_seconds": 60,
        "severity": S.HIGH,
        "category": "traffic",
        "procedure": "Put the controller back on its normal plan remotely; if it stays on flash, "
        "send a "
        "roads crew and ask the police to regulate the junction at rush hour.",
        "suggested_steps": [{"action": "send_command", "command": "normal"}, ROADS, POLICE],
    },
    {
        "name": "Water pressure drop",
        "kind": "threshold",
        "equipment_kind": "water_sensor",
        "metric": "pressure_bar",
        "comparison": "below",
        "value": 2.5,
        "clear_value": 3.0,
        "duration_seconds": 60,
        "clear_after_seconds": 180,
        "severity": S.HIGH,
        "category": "water",
        "procedure": "A lasting drop means a leak: close the sector valve, send the water "
        "crew, warn the hotline about low pressure in the district.",
        "suggested_steps": [WATER],
    },
    {
        "name": "Delivery bay overstay",
        "kind": "occupancy",
        "equipment_kind": "delivery_bay",
        "metric": "occupied",
        "duration_seconds": 20 * 60,
        "clear_after_seconds": 0,
        "severity": S.LOW,
        "category": "parking",
        "procedure": "A vehicle has occupied the bay longer than allowed: send a patrol.",
        "suggested_steps": [POLICE],
    },
    {
        "name": "Car in bus lane",
        "kind": "detection",
        "equipment_kind": "camera",
        "metric": "detection",
        "match_text": "bus_lane",
        "clear_after_seconds": 300,
        "severity": S.MEDIUM,
        "category": "traffic",
        "procedure": "Check the camera image; if confirmed, send the nearest patrol.",
        "suggested_steps": [POLICE],
    },
    {
        "name": "Delivery bay misuse (camera)",
        "kind": "detection",
        "equipment_kind": "camera",
        "metric": "detection",
        "match_text": "delivery_bay_misuse",
        "clear_after_seconds": 300,
        "severity": S.LOW,
        "category": "parking",
        "procedure": "A private car on a delivery bay: send a patrol if one is near.",
        "suggested_steps": [POLICE],
    },
    {
        "name": "Market at capacity",
        "kind": "counter",
        "equipment_kind": "market_gate",
        "metric": "in",
        "subtract_metric": "out",
        "clear_after_seconds": 120,
        "severity": S.MEDIUM,
        "category": "crowd",
        "procedure": "Switch the gate displays to 'full', send agents to regulate entries.",
        "suggested_steps": [{"action": "send_command", "command": "full"}, POLICE],
    },
    {
        "name": "Streetlight silent",
        "kind": "absence",
        "equipment_kind": "streetlight",
        "duration_seconds": 30 * 60,
        "clear_after_seconds": 0,
        "severity": S.INFO,
        "category": "lighting",
        "procedure": "Check the cabinet and the radio gateway of the area.",
        "suggested_steps": [LIGHTING],
    },
    {
        # A cabinet's gateway reports the cabinet and its lamps together: its silence is one
        # cause, and the lamps' silence alerts group under it (supervision/alerts/correlation).
        "name": "Lighting cabinet offline",
        "kind": "absence",
        "equipment_kind": "lighting_cabinet",
        "duration_seconds": 30 * 60,
        "clear_after_seconds": 0,
        "severity": S.HIGH,
        "category": "lighting",
        "procedure": "Check the cabinet's power supply and its radio gateway; send a lighting "
        "crew if the district's power is on.",
        "suggested_steps": [LIGHTING],
    },
    {
        "name": "Water sensor silent",
        "kind": "absence",
        "equipment_kind": "water_sensor",
        "duration_seconds": 15 * 60,
        "clear_after_seconds": 0,
        "severity": S.MEDIUM,
        "category": "water",
        "procedure": "The network is blind there: check the sensor's power and link.",
        "suggested_steps": [WATER],
    },
]


def seed_alert_rules() -> int:
    """Create the demo rules that do not exist yet; returns how many were created."""
    created = 0
    for fields in DEMO_RULES:
        _, was_created = AlertRule.objects.get_or_create(name=fields["name"], defaults=fields)
        created += was_created
    return created
