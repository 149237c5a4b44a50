"""The roles of the room, as Django groups with exactly these permissions.

Roles are defined here, in code, and applied on every migrate, so that a permission change
is reviewed like any other change. Administrators get every permission but the personal-data
ones: reading callers' and referred people's data, and the register of who read it, belong to
the roles that need them (hotline/personal_data.py).
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.utils.translation import gettext_lazy

from ondijon.kiosk import KIOSK_GROUP, KIOSK_PERMISSIONS

ADMINISTRATOR = "administrator"
SUPERVISOR = "supervisor"
OPERATOR = "operator"
DISPATCHER = "dispatcher"
HOTLINE_AGENT = "hotline_agent"
FIELD_TEAM = "field_team"
SOCIAL_SUPPORT = "social_support"
SOCIAL_SUPPORT_LEAD = "social_support_lead"
WALL_DISPLAY = KIOSK_GROUP

ROLE_LABELS = {
    ADMINISTRATOR: gettext_lazy("Administrator"),
    SUPERVISOR: gettext_lazy("Supervisor"),
    OPERATOR: gettext_lazy("Operator"),
    DISPATCHER: gettext_lazy("Dispatcher"),
    HOTLINE_AGENT: gettext_lazy("Hotline agent"),
    FIELD_TEAM: gettext_lazy("Field team"),
    SOCIAL_SUPPORT: gettext_lazy("Social support"),
    SOCIAL_SUPPORT_LEAD: gettext_lazy("Social support lead"),
    WALL_DISPLAY: gettext_lazy("Wall display"),
}

CITY_MAP = [
    "equipment.view_district",
    "equipment.view_site",
    "equipment.view_equipment",
    "interventions.view_team",
    "interventions.view_intervention",
    "supervision.view_alert",
    "supervision.view_event",
    "geography.view_address",
    "geography.view_street",
]

# Granted to no role implicitly, the administrators' "everything" included.
PERSONAL_DATA_PERMISSIONS = ["hotline.view_personal_data", "hotline.audit_personal_data"]

# Act on devices, see priority requests and market occupancy.
COMMANDS = [
    "equipment.view_command",
    "equipment.add_command",
    "supervision.view_priorityrequest",
    "supervision.view_marketoccupancy",
]

# Live video (CNIL: only the room's roles watch; every view is logged). Field crews and the
# public never watch; the room's operators, supervisors and dispatchers steer (wall kiosks,
# with nobody at them, never do).
WATCH_VIDEO = ["equipment.view_camera", "equipment.watch_camera"]
STEER_CAMERAS = ["equipment.move_camera"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    SUPERVISOR: [
        *CITY_MAP,
        "equipment.view_reading",
        "interventions.view_assignment",
        "interventions.view_officer",
        "hotline.view_call",
        "hotline.view_category",
        "hotline.view_article",
        "hotline.view_statistics",
        "hotline.view_callbackcampaign",
        "hotline.run_campaign",
        "hotline.switch_round_the_clock",
        "supervision.change_alert",
        "supervision.create_alert_intervention",
        "supervision.add_event",
        "supervision.view_wall",
        *WATCH_VIDEO,
        *STEER_CAMERAS,
        # Commands to equipment and crisis modes.
        *COMMANDS,
        "supervision.view_crisismode",
        "supervision.view_modeactivation",
        "supervision.activate_crisismode",
        # The platform panel: which processes run, which stopped.
        "supervision.view_platformprocess",
        # The alarm KPIs: the room's alarm load against ISA-18.2's targets.
        "supervision.view_alarm_kpis",
        # The shift: its start, its handover, its reports.
        "supervision.view_shift",
        "supervision.add_shift",
        "supervision.change_shift",
        # The situation report (SITREP) and the after-action reports.
        "supervision.view_reports",
    ],
    OPERATOR: [
        *CITY_MAP,
        "equipment.view_reading",
        "interventions.view_assignment",
        "supervision.add_alert",
        "supervision.change_alert",
        # The alert desk: an alert's suggested intervention, in one click.
        "supervision.create_alert_intervention",
        "supervision.add_event",
        "supervision.view_wall",
        *WATCH_VIDEO,
        *STEER_CAMERAS,
        # Commands to equipment; crisis progress (activation is the supervisor's).
        *COMMANDS,
        "supervision.view_crisismode",
        "supervision.view_modeactivation",
        "supervision.view_platformprocess",
        # The shift's handover and log, which the whole room reads.
        "supervision.view_shift",
    ],
    DISPATCHER: [
        *CITY_MAP,
        "interventions.view_assignment",
        "interventions.view_officer",
        "interventions.add_intervention",
        "interventions.change_intervention",
        "interventions.dispatch_intervention",
        "interventions.change_team",
        "supervision.change_alert",
        "supervision.create_alert_intervention",
        "supervision.add_event",
        "supervision.view_wall",
        *WATCH_VIDEO,
        # A dispatcher turns a camera to the place a team is sent to.
        *STEER_CAMERAS,
        "supervision.view_shift",
    ],
    HOTLINE_AGENT: [
        "equipment.view_district",
        "hotline.view_call",
        "hotline.add_call",
        "hotline.change_call",
        "hotline.view_personal_data",
        "hotline.view_category",
        "hotline.view_article",
        "hotline.view_referral",
        "hotline.add_referral",
        "hotline.view_callbackrequest",
        "hotline.change_callbackrequest",
        "hotline.view_vulnerableperson",
        "hotline.view_callbackcampaign",
        "hotline.view_campaigncall",
        "hotline.change_campaigncall",
        "interventions.add_intervention",
        # The caller's address, typed as they say it.
        "geography.view_address",
        "geography.view_street",
    ],
    FIELD_TEAM: [
        "equipment.view_district",
        "equipment.view_equipment",
        "interventions.view_intervention",
        "interventions.report_progress",
        "interventions.view_team",
        "geography.view_address",
        "geography.view_street",
    ],
    SOCIAL_SUPPORT: [
        "equipment.view_district",
        "hotline.view_referral",
        "hotline.change_referral",
        "hotline.view_referralnote",
        "hotline.add_referralnote",
        "hotline.view_vulnerableperson",
        "hotline.change_vulnerableperson",
        "hotline.view_personal_data",
    ],
    WALL_DISPLAY: sorted(KIOSK_PERMISSIONS),
}
# The lead of the social support centre works the queue too, and answers for who read what.
ROLE_PERMISSIONS[SOCIAL_SUPPORT_LEAD] = [
    *ROLE_PERMISSIONS[SOCIAL_SUPPORT],
    "hotline.audit_personal_data",
]


def permissions_for(codes: list[str]) -> list[Permission]:
    query = Q()
    for code in codes:
        app_label, codename = code.split(".")
        query |= Q(content_type__app_label=app_label, codename=codename)
    found = list(Permission.objects.filter(query))
    missing = set(codes) - {f"{p.content_type.app_label}.{p.codename}" for p in found}
    if missing:
        raise LookupError(f"Unknown permissions in roles: {sorted(missing)}")
    return found


def sync_roles() -> None:
    """Create the groups and give each exactly its role's permissions."""
    admin_group, _ = Group.objects.get_or_create(name=ADMINISTRATOR)
    explicit_only = permissions_for(PERSONAL_DATA_PERMISSIONS)
    admin_group.permissions.set(
        Permission.objects.exclude(pk__in=[permission.pk for permission in explicit_only])
    )
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(permissions_for(codes))


def sync_roles_after_migrate(sender, **kwargs) -> None:
    sync_roles()
