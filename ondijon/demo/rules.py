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
        "name": "Panne de candélabre",
        "kind": "status",
        "equipment_kind": "streetlight",
        "match_text": "fault",
        "clear_after_seconds": 60,
        # One alarm per district for its failed streetlights: from the second one, the
        # district's failures are worked as one (supervision/alerts/correlation.py).
        "group_threshold": 2,
        "severity": S.LOW,
        "category": "lighting",
        "procedure": "Rallumer le point lumineux à distance ; s'il reste éteint, vérifier "
        "l'armoire d'éclairage qui l'alimente, et si elle est en ordre, envoyer une équipe "
        "de l'éclairage public.",
        "suggested_steps": [{"action": "send_command", "command": "on"}, LIGHTING],
    },
    {
        "name": "Feux à l'orange clignotant",
        "kind": "threshold",
        "equipment_kind": "traffic_signal",
        "metric": "mode",
        "comparison": "equals",
        "match_text": "flash",
        # On-delay: a controller's restart passes through flashing amber for a minute or two.
        "duration_seconds": 120,
        "clear_after_seconds": 60,
        "severity": S.HIGH,
        "category": "traffic",
        "procedure": "Remettre le contrôleur sur son plan normal à distance ; s'il reste en "
        "clignotant, envoyer une équipe de la voirie et demander à la police municipale de "
        "réguler le carrefour aux heures de pointe.",
        "suggested_steps": [{"action": "send_command", "command": "normal"}, ROADS, POLICE],
    },
    {
        "name": "Chute de pression d'eau",
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
        "procedure": "Une chute durable signale une fuite : fermer la vanne du secteur, envoyer "
        "l'équipe du réseau d'eau, prévenir Allo Mairie de la baisse de pression dans le "
        "quartier.",
        "suggested_steps": [WATER],
    },
    {
        "name": "Stationnement prolongé sur aire de livraison",
        "kind": "occupancy",
        "equipment_kind": "delivery_bay",
        "metric": "occupied",
        "duration_seconds": 20 * 60,
        "clear_after_seconds": 0,
        "severity": S.LOW,
        "category": "parking",
        "procedure": "Un véhicule occupe l'aire plus longtemps qu'autorisé : envoyer une patrouille.",
        "suggested_steps": [POLICE],
    },
    {
        "name": "Voiture dans le couloir de bus",
        "kind": "detection",
        "equipment_kind": "camera",
        "metric": "detection",
        "match_text": "bus_lane",
        # On-delay: sighted again and again for two minutes (a vehicle that stays), not a
        # vehicle passing through.
        "duration_seconds": 120,
        "clear_after_seconds": 300,
        "severity": S.MEDIUM,
        "category": "traffic",
        "procedure": "Vérifier l'image de la caméra ; si c'est confirmé, envoyer la patrouille "
        "la plus proche.",
        "suggested_steps": [POLICE],
    },
    {
        "name": "Aire de livraison occupée indûment (caméra)",
        "kind": "detection",
        "equipment_kind": "camera",
        "metric": "detection",
        "match_text": "delivery_bay_misuse",
        # On-delay: sighted again and again for two minutes (a vehicle that stays), not a
        # vehicle passing through.
        "duration_seconds": 120,
        "clear_after_seconds": 300,
        "severity": S.LOW,
        "category": "parking",
        "procedure": "Une voiture particulière sur une aire de livraison : envoyer une patrouille "
        "si l'une est proche.",
        "suggested_steps": [POLICE],
    },
    {
        "name": "Marché à pleine jauge",
        "kind": "counter",
        "equipment_kind": "market_gate",
        "metric": "in",
        "subtract_metric": "out",
        "clear_after_seconds": 120,
        "severity": S.MEDIUM,
        "category": "crowd",
        "procedure": "Passer les afficheurs des entrées sur « complet », envoyer des agents "
        "réguler les entrées.",
        "suggested_steps": [{"action": "send_command", "command": "full"}, POLICE],
    },
    {
        "name": "Candélabre muet",
        "kind": "absence",
        "equipment_kind": "streetlight",
        "duration_seconds": 30 * 60,
        "clear_after_seconds": 0,
        "severity": S.INFO,
        "category": "lighting",
        "procedure": "Vérifier l'armoire d'éclairage et la passerelle radio du secteur.",
        "suggested_steps": [LIGHTING],
    },
    {
        # A cabinet's gateway reports the cabinet and its lamps together: its silence is one
        # cause, and the lamps' silence alerts group under it (supervision/alerts/correlation).
        "name": "Armoire d'éclairage hors ligne",
        "kind": "absence",
        "equipment_kind": "lighting_cabinet",
        "duration_seconds": 30 * 60,
        "clear_after_seconds": 0,
        "severity": S.HIGH,
        "category": "lighting",
        "procedure": "Vérifier l'alimentation de l'armoire et sa passerelle radio ; envoyer une "
        "équipe d'éclairage si le secteur est alimenté.",
        "suggested_steps": [LIGHTING],
    },
    {
        "name": "Capteur d'eau muet",
        "kind": "absence",
        "equipment_kind": "water_sensor",
        "duration_seconds": 15 * 60,
        "clear_after_seconds": 0,
        "severity": S.MEDIUM,
        "category": "water",
        "procedure": "Le réseau est aveugle à cet endroit : vérifier l'alimentation et la liaison "
        "du capteur.",
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
