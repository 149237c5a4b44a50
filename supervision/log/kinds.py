"""What each kind of event is called where a person reads it: the events log, its CSV export,
the desks' histories. The kind itself (`alert.raised`) stays the log's stable code for filters,
exports and partners; people read its name in their language ("Alerte levée").

Each kind here also has its payload's schema (supervision/api/shapes.py): a contract test keeps
the two lists the same, and the source's kinds all in them.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

KIND_NAMES: dict[str, str] = {
    # Equipment, its sites and the districts
    "equipment.created": _("Equipment added"),
    "equipment.updated": _("Equipment changed"),
    "equipment.status_changed": _("Equipment status changed"),
    "equipment.deleted": _("Equipment removed"),
    "shift.started": _("Shift started"),
    "shift.ended": _("Shift ended, handover written"),
    "shift.handover_acknowledged": _("Handover acknowledged"),
    "geography.addresses_imported": _("Addresses imported"),
    "geography.streets_imported": _("Streets imported"),
    "camera.created": _("Camera added"),
    "camera.updated": _("Camera changed"),
    "camera.deleted": _("Camera removed"),
    "camera.view_started": _("Camera view started"),
    "camera.view_stopped": _("Camera view stopped"),
    "camera.preset_recalled": _("Camera turned to a preset"),
    "camera.move_started": _("Camera move started"),
    "camera.move_stopped": _("Camera move stopped"),
    "camera.snapshot_taken": _("Alert snapshot taken"),
    "camera.snapshots_purged": _("Video snapshots deleted (retention)"),
    "site.created": _("Site added"),
    "site.updated": _("Site changed"),
    "site.deleted": _("Site removed"),
    "district.created": _("District added"),
    "district.updated": _("District changed"),
    "district.deleted": _("District removed"),
    # Commands to devices
    "command.requested": _("Command requested"),
    "commands.sent": _("Commands sent to devices"),
    "command.acknowledged": _("Command acknowledged by the device"),
    "command.failed": _("Command failed"),
    "command.timed_out": _("Command unanswered"),
    "command.expired": _("Command expired"),
    "command.retried": _("Command sent again"),
    "selection.sending": _("Commands to a selection being sent"),
    "selection.sent": _("Commands to a selection sent"),
    "selection.rolling_back": _("Selection being put back"),
    "selection.rolled_back": _("Selection put back"),
    "schedule.created": _("Schedule added"),
    "schedule.updated": _("Schedule changed"),
    "schedule.deleted": _("Schedule removed"),
    "schedule.ran": _("Schedule ran"),
    "schedule.held": _("Schedule held back by the city mode"),
    "schedule.failed": _("Schedule failed"),
    # Teams and interventions
    "team.created": _("Team added"),
    "team.updated": _("Team changed"),
    "team.moved": _("Team moved"),
    "team.status_changed": _("Team status changed"),
    "team.deleted": _("Team removed"),
    "intervention.created": _("Intervention created"),
    "intervention.updated": _("Intervention changed"),
    "intervention.status_changed": _("Intervention status changed"),
    "intervention.team_assigned": _("Team assigned"),
    "intervention.team_en_route": _("Team on its way"),
    "intervention.team_on_site": _("Team on site"),
    "intervention.team_released": _("Team released"),
    "intervention.team_done": _("Team finished"),
    "intervention.deleted": _("Intervention removed"),
    # Alerts and their rules
    "alert.raised": _("Alert raised"),
    "alert.updated": _("Alert changed"),
    "alert.acknowledged": _("Alert acknowledged"),
    "alert.qualified": _("Alert qualified"),
    "alert.resolved": _("Alert resolved"),
    "alert.closed": _("Alert closed"),
    "alert.cleared": _("Alert cleared"),
    "alert.grouped": _("Alert grouped"),
    "alert.shelved": _("Alert shelved"),
    "alert.unshelved": _("Alert back on the desk"),
    "alert.command_requested": _("Command requested from an alert"),
    "alert_rule.created": _("Alert rule added"),
    "alert_rule.updated": _("Alert rule changed"),
    "alert_rule.deleted": _("Alert rule removed"),
    "alarm.flood_started": _("Alarm flood started"),
    "alarm.flood_ended": _("Alarm flood over"),
    # City mode and crisis
    "city.mode_changed": _("City mode changed"),
    "crisis.activated": _("Crisis mode activated"),
    "crisis.deactivated": _("Crisis mode deactivated"),
    "crisis.public_message_changed": _("Public message changed"),
    "crisis.step_done": _("Playbook step done"),
    "crisis.commands_sent": _("Crisis commands sent"),
    "crisis.sending_failed": _("Crisis commands failed to send"),
    "crisis.retried": _("Crisis commands sent again"),
    "crisis.resumed": _("Crisis sending resumed"),
    "crisis_mode.created": _("Crisis mode added"),
    "crisis_mode.updated": _("Crisis mode changed"),
    "crisis_mode.deleted": _("Crisis mode removed"),
    # Hotline
    "hotline.call_logged": _("Call logged"),
    "hotline.referral_created": _("Person referred to social support"),
    "hotline.referral_status_changed": _("Referral status changed"),
    "hotline.campaign_started": _("Call-back campaign started"),
    "hotline.campaign_closed": _("Call-back campaign closed"),
    "hotline.hours_changed": _("Hotline hours changed"),
    # Markets, traffic priority, walls
    "market.updated": _("Market changed"),
    "market.removed": _("Market removed"),
    "market.occupancy_changed": _("Market occupancy changed"),
    "priority.requested": _("Traffic priority requested"),
    "priority.released": _("Traffic priority released"),
    "wall_screen.created": _("Wall screen added"),
    "wall_screen.updated": _("Wall screen changed"),
    "wall_screen.deleted": _("Wall screen removed"),
    "wall_screen.camera_pushed": _("Camera put on a wall tile"),
    "wall_screen.camera_released": _("Wall tile given back to its cameras"),
    # The log itself, the platform, security
    "note.added": pgettext_lazy("events log", "Note"),
    "note.correction": _("Correction"),
    "platform.process_stopped": _("Platform process stopped"),
    "platform.process_returned": _("Platform process back"),
    "platform.database_primary": _("Database primary seen"),
    "platform.database_failover": _("Database failover"),
    "platform.switchover_requested": _("Database switchover requested"),
    "security.login_locked_out": _("Sign-in locked after failures"),
    "security.login_unlocked": _("Sign-in unlocked"),
    "demo.seeded": _("Demo city loaded"),
}

SUBJECT_NAMES: dict[str, str] = {
    "alert": _("Alert"),
    "alert_rule": _("Alert rule"),
    "call": _("Call"),
    "camera": _("Camera"),
    "campaign": _("Call-back campaign"),
    "city": _("City"),
    "command": _("Command"),
    "commands": _("Commands"),
    "crisis": _("Crisis"),
    "crisis_mode": _("Crisis mode"),
    "district": _("District"),
    "equipment": _("Equipment"),
    "hotline": _("Hotline"),
    "intervention": _("Intervention"),
    "market": _("Market"),
    "note": pgettext_lazy("events log", "Note"),
    "platform": _("Platform"),
    "priority": _("Traffic priority"),
    "process": _("Platform process"),
    "referral": _("Referral"),
    "schedule": _("Schedule"),
    "selection": _("Selection"),
    "shift": _("Shift"),
    "site": _("Site"),
    "team": _("Team"),
    "wall_screen": _("Wall screen"),
}


def kind_name(kind: str) -> str:
    """The kind's name in the reader's language; a kind not named yet reads as its code."""
    return str(KIND_NAMES.get(kind, kind))


def subject_name(subject_type: str) -> str:
    return str(SUBJECT_NAMES.get(subject_type, subject_type))


# The families of kinds (what comes before the dot) that are not a subject of their own.
FAMILY_NAMES: dict[str, str] = {
    "alarm": _("Alarm floods"),
    "security": _("Security"),
    "demo": _("Demo city"),
    "geography": _("Streets and addresses"),
}


def family_name(family: str) -> str:
    return str(FAMILY_NAMES.get(family) or SUBJECT_NAMES.get(family) or family)


def kind_choices() -> list:
    """The log's kind filter, by family: the whole family (its prefix) or one kind, by name."""
    families: dict[str, list[str]] = {}
    for kind in KIND_NAMES:
        families.setdefault(kind.split(".")[0], []).append(kind)
    groups = [
        (
            family_name(family),
            [
                (f"{family}.", _("%(family)s: every kind") % {"family": family_name(family)}),
                *sorted(((kind, kind_name(kind)) for kind in kinds), key=lambda c: c[1]),
            ],
        )
        for family, kinds in families.items()
    ]
    return [("", "—"), *sorted(groups, key=lambda group: group[0])]
