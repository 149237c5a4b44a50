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
    "Stay at home except for essential trips with your declaration form. "
    "Markets are open with limited capacity: check the occupancy below before you go."
)

PLAYBOOKS = {
    ("health-emergency", "Health emergency", "Epidemic: hotline 24/7, vulnerable called back"): [
        dict(type=Type.HOTLINE_24_7),
        dict(type=Type.CALLBACK_CAMPAIGN),
        dict(type=Type.COMMAND, equipment_kind="bollard", command="raise"),
        dict(type=Type.WALL_BANNER, text="HEALTH EMERGENCY"),
        dict(type=Type.PUBLIC_MESSAGE, text=STAY_HOME),
    ],
    ("lockdown", "Lockdown", "Public buildings locked, centre closed, lighting reduced"): [
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
        dict(type=Type.WALL_BANNER, text="LOCKDOWN"),
        dict(type=Type.PUBLIC_MESSAGE, text=STAY_HOME),
    ],
    ("flood", "Flood", "River Ouche in flood: valves closed, lower town closed"): [
        dict(type=Type.COMMAND, equipment_kind="water_valve", command="close"),
        dict(type=Type.COMMAND, equipment_kind="bollard", command="raise"),
        dict(type=Type.WALL_BANNER, text="FLOOD ALERT"),
        dict(type=Type.PUBLIC_MESSAGE, text="Avoid the banks of the Ouche and the lower town."),
    ],
    ("heatwave", "Heatwave", "Vulnerable people called back, cool rooms open"): [
        dict(type=Type.CALLBACK_CAMPAIGN),
        dict(type=Type.WALL_BANNER, text="HEATWAVE PLAN"),
        dict(
            type=Type.PUBLIC_MESSAGE,
            text="Drink water, check on your neighbours; cool rooms are open in public buildings.",
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
