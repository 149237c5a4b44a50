"""The demo's crisis modes, modelled on Dijon's spring 2020. Idempotent: keyed by code."""

from django.db import transaction

from equipment.models import District
from supervision.models import CrisisMode, PlaybookAction

Type = PlaybookAction.Type
CARETAKERS = [
    {"name": "Paul Gardien", "badge": "B-0017", "from": "07:00", "until": "19:00"},
    {"name": "Nadia Sécurité", "badge": "B-0042", "from": "00:00", "until": "23:59"},
]
STAY_HOME = (
    "Restez chez vous, sauf pour les déplacements essentiels avec votre attestation. "
    "Les marchés sont ouverts avec une jauge réduite : consultez leur affluence ci-dessous "
    "avant de vous déplacer."
)

PLAYBOOKS = {
    (
        "health-emergency",
        "Urgence sanitaire",
        "Épidémie : Allo Mairie 24 h/24, personnes vulnérables rappelées",
    ): [
        dict(type=Type.HOTLINE_24_7),
        dict(type=Type.CALLBACK_CAMPAIGN),
        dict(type=Type.COMMAND, equipment_kind="bollard", command="raise"),
        dict(type=Type.WALL_BANNER, text="URGENCE SANITAIRE"),
        dict(type=Type.PUBLIC_MESSAGE, text=STAY_HOME),
    ],
    (
        "lockdown",
        "Confinement",
        "Bâtiments publics fermés, centre-ville fermé, éclairage réduit",
    ): [
        dict(
            type=Type.COMMAND,
            equipment_kind="building_access",
            command="revoke_badges",
            params={"allow": CARETAKERS},
        ),
        dict(type=Type.COMMAND, equipment_kind="building_access", command="lock"),
        dict(type=Type.COMMAND, equipment_kind="bollard", command="raise"),
        dict(
            type=Type.COMMAND, equipment_kind="camera", command="goto_preset", params={"preset": 3}
        ),
        dict(
            type=Type.COMMAND,
            equipment_kind="streetlight",
            district="quetigny",
            command="dim",
            params={"level": 50},
        ),
        dict(type=Type.HOTLINE_24_7),
        dict(type=Type.WALL_BANNER, text="CONFINEMENT"),
        dict(type=Type.PUBLIC_MESSAGE, text=STAY_HOME),
    ],
    (
        "flood",
        "Inondation",
        "Crue de l'Ouche : vannes fermées, ville basse fermée",
    ): [
        dict(type=Type.COMMAND, equipment_kind="water_valve", command="close"),
        dict(type=Type.COMMAND, equipment_kind="bollard", command="raise"),
        dict(type=Type.WALL_BANNER, text="ALERTE CRUE"),
        dict(type=Type.PUBLIC_MESSAGE, text="Évitez les berges de l'Ouche et la ville basse."),
    ],
    (
        "heatwave",
        "Canicule",
        "Personnes vulnérables rappelées, salles rafraîchies ouvertes",
    ): [
        dict(type=Type.CALLBACK_CAMPAIGN),
        dict(type=Type.WALL_BANNER, text="PLAN CANICULE"),
        dict(
            type=Type.PUBLIC_MESSAGE,
            text=(
                "Buvez de l'eau, prenez des nouvelles de vos voisins ; des salles rafraîchies "
                "sont ouvertes dans les bâtiments publics."
            ),
        ),
    ],
}

# How each mode's public message is classed as a CAP alert: category, urgency, severity,
# certainty.
CAP_CLASSES = {
    "health-emergency": ("Health", "Immediate", "Severe", "Observed"),
    "lockdown": ("Safety", "Immediate", "Severe", "Observed"),
    "flood": ("Met", "Immediate", "Severe", "Observed"),
    "heatwave": ("Met", "Expected", "Moderate", "Likely"),
}


@transaction.atomic
def seed_playbooks() -> int:
    """Create the demo modes that do not exist yet; returns how many were created."""
    districts = dict(District.objects.values_list("code", "pk"))
    created = 0
    for position, ((code, name, description), actions) in enumerate(PLAYBOOKS.items()):
        mode, is_new = CrisisMode.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "position": position,
                **dict(
                    zip(
                        ("cap_category", "cap_urgency", "cap_severity", "cap_certainty"),
                        CAP_CLASSES[code],
                        strict=True,
                    )
                ),
            },
        )
        if not is_new:
            continue
        created += 1
        for step, action in enumerate(actions, start=1):
            action = dict(action)
            if "district" in action:
                action["district_id"] = districts.get(action.pop("district"))
            PlaybookAction.objects.create(mode=mode, position=step, **action)
    return created
