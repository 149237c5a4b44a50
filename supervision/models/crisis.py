"""Crisis modes, their playbooks, activations and the commands they sent."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from equipment import catalogue


class CapCategory(models.TextChoices):
    GEO = "Geo", _("Geophysical")
    MET = "Met", _("Meteorological (flood included)")
    SAFETY = "Safety", _("General emergency and public safety")
    SECURITY = "Security", _("Law enforcement, military, homeland and local security")
    RESCUE = "Rescue", _("Rescue and recovery")
    FIRE = "Fire", _("Fire suppression and rescue")
    HEALTH = "Health", _("Medical and public health")
    ENV = "Env", _("Pollution and other environmental")
    TRANSPORT = "Transport", _("Public and private transportation")
    INFRA = "Infra", _("Utility, telecommunication, other non-transport infrastructure")
    CBRNE = "CBRNE", _("Chemical, biological, radiological, nuclear or explosive")
    OTHER = "Other", _("Other events")


class CapUrgency(models.TextChoices):
    IMMEDIATE = "Immediate", _("Immediate: act now")
    EXPECTED = "Expected", _("Expected: act within the next hour")
    FUTURE = "Future", _("Future: act in the near future")
    PAST = "Past", _("Past: no longer required")
    UNKNOWN = "Unknown", _("Unknown")


class CapSeverity(models.TextChoices):
    EXTREME = "Extreme", _("Extreme threat to life or property")
    SEVERE = "Severe", _("Significant threat to life or property")
    MODERATE = "Moderate", _("Possible threat to life or property")
    MINOR = "Minor", _("Minimal to no known threat")
    UNKNOWN = "Unknown", _("Unknown")


class CapCertainty(models.TextChoices):
    OBSERVED = "Observed", _("Observed: determined to have occurred or to be ongoing")
    LIKELY = "Likely", _("Likely (p > ~50%)")
    POSSIBLE = "Possible", _("Possible (p <= ~50%)")
    UNLIKELY = "Unlikely", _("Not expected to occur")
    UNKNOWN = "Unknown", _("Unknown")


class CrisisMode(models.Model):
    """A city mode (health emergency, lockdown, flood...) and its playbook of ordered actions."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # How its public message is classed as a CAP 1.2 alert (supervision/crisis/cap.py).
    cap_category = models.CharField(
        _("CAP category"), max_length=10, choices=CapCategory.choices, default=CapCategory.SAFETY
    )
    cap_urgency = models.CharField(
        _("CAP urgency"), max_length=10, choices=CapUrgency.choices, default=CapUrgency.IMMEDIATE
    )
    cap_severity = models.CharField(
        _("CAP severity"), max_length=10, choices=CapSeverity.choices, default=CapSeverity.MODERATE
    )
    cap_certainty = models.CharField(
        _("CAP certainty"),
        max_length=10,
        choices=CapCertainty.choices,
        default=CapCertainty.OBSERVED,
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("crisis mode")
        verbose_name_plural = _("crisis modes")
        permissions = [("activate_crisismode", _("Can activate and deactivate crisis modes"))]

    def __str__(self) -> str:
        return self.name


EQUIPMENT_KINDS = [
    ("streetlight", _("Streetlight")),
    ("lighting_cabinet", _("Lighting cabinet")),
    ("traffic_signal", _("Traffic signal controller")),
    ("camera", _("CCTV camera")),
    ("bollard", _("Retractable bollard")),
    ("water_valve", _("Water valve")),
    ("building_access", _("Building access controller")),
    ("market_gate", _("Market gate counter")),
]


class PlaybookAction(models.Model):
    """One step of a crisis mode's playbook, carried out in `position` order."""

    class Type(models.TextChoices):
        COMMAND = "command", _("Command to a selection of equipment")
        HOTLINE_24_7 = "hotline_24_7", _("Hotline open 24/7")
        CALLBACK_CAMPAIGN = "callback_campaign", _("Call-back campaign for the vulnerable")
        WALL_BANNER = "wall_banner", _("Banner on the wall screens")
        PUBLIC_MESSAGE = "public_message", _("Message on the public status page")

    mode = models.ForeignKey(
        CrisisMode, models.CASCADE, related_name="actions", verbose_name=_("mode")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    # Selection of equipment, for commands: every filter given must match.
    equipment_kind = models.CharField(
        _("equipment kind"), max_length=20, blank=True, choices=EQUIPMENT_KINDS
    )
    district = models.ForeignKey(
        "equipment.District",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district"),
    )
    tag = models.CharField(_("tag"), max_length=40, blank=True)
    command = models.CharField(_("command"), max_length=30, blank=True)
    params = models.JSONField(_("command parameters"), default=dict, blank=True)
    text = models.TextField(_("text"), blank=True, help_text=_("Banner or public message."))
    deadline_s = models.PositiveIntegerField(
        _("deadline (seconds)"),
        null=True,
        blank=True,
        help_text=_(
            "Commands not delivered this many seconds after the switch are dropped as expired "
            "(empty: each command's own deadline)."
        ),
    )

    class Meta:
        ordering = ["mode", "position", "id"]
        verbose_name = _("playbook action")
        verbose_name_plural = _("playbook actions")

    def __str__(self) -> str:
        return f"{self.position}. {self.get_type_display()}"

    def clean(self) -> None:
        errors = check_action(self)
        if errors:
            raise ValidationError(errors)


def check_action(action: "PlaybookAction") -> dict[str, list[str]]:
    """Field errors of a playbook action, so a bad playbook is refused when it is saved."""
    if action.type == PlaybookAction.Type.COMMAND:
        if not action.equipment_kind:
            return {"equipment_kind": [_("A command needs the kind of equipment it goes to.")]}
        try:
            catalogue.clean_params(action.equipment_kind, action.command, action.params)
        except catalogue.InvalidCommand as error:
            return {
                {"action": "command", "equipment": "equipment_kind"}.get(name, name): [
                    str(message) for message in flatten(messages)
                ]
                for name, messages in error.errors.items()
            }
    if (
        action.type in (PlaybookAction.Type.WALL_BANNER, PlaybookAction.Type.PUBLIC_MESSAGE)
        and not action.text.strip()
    ):
        return {"text": [_("A banner or message needs its text.")]}
    return {}


def flatten(messages: Any) -> list[str]:
    if isinstance(messages, dict):
        return [f"{name}: {m}" for name, inner in messages.items() for m in flatten(inner)]
    return list(messages)


class ModeActivation(models.Model):
    """One period during which the city was in a crisis mode."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    mode = models.ForeignKey(
        CrisisMode, models.PROTECT, related_name="activations", verbose_name=_("mode")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    reason = models.CharField(_("reason"), max_length=300)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("activated by"),
    )
    activated_at = models.DateTimeField(_("activated at"))
    deactivated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("deactivated by"),
    )
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)
    # What the playbook set while active, as the wall and the public page show it.
    banner = models.CharField(_("wall banner"), max_length=300, blank=True)
    public_message = models.TextField(_("public message"), blank=True)
    hotline_24_7 = models.BooleanField(_("hotline open 24/7"), default=False)
    # One entry per playbook step: {"position", "type", "summary", "status"}, and for a
    # command step "commands" (planned) and "deadline_s". Status: pending, sending, queued
    # (every command handed to the jobs: `steps_progress` tells sent from the commands),
    # done, stopped (the mode ended before the step ran).
    steps = models.JSONField(_("steps"), default=list, blank=True)
    deactivation_reason = models.CharField(_("reason for going back"), max_length=300, blank=True)
    # The plan is sent in batches after the switch (crisis.send_plan); these say how it goes.
    send_error = models.TextField(
        _("sending stopped"),
        blank=True,
        help_text=_("Why sending the current phase's commands stopped; a retry resumes it."),
    )
    send_updated_at = models.DateTimeField(_("last batch sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-activated_at"]
        verbose_name = _("crisis mode activation")
        verbose_name_plural = _("crisis mode activations")
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="active"),
                name="one_active_crisis_mode",
            )
        ]

    def __str__(self) -> str:
        return f"{self.mode} from {self.activated_at:%Y-%m-%d %H:%M}"


class ActivationCommand(models.Model):
    """One command of a crisis mode's plan: applying its playbook, or restoring afterwards.

    Rows are written when the mode is switched (the plan: device, action, and the values the
    device had before, which the rollback puts back); `command` is set when the row's batch
    is sent, so a row without one is still to be sent.
    """

    class Phase(models.TextChoices):
        APPLY = "apply", _("Apply")
        RESTORE = "restore", _("Restore")

    activation = models.ForeignKey(
        ModeActivation, models.CASCADE, related_name="commands", verbose_name=_("activation")
    )
    phase = models.CharField(_("phase"), max_length=8, choices=Phase.choices)
    step = models.PositiveSmallIntegerField(_("playbook step"), default=0)
    equipment = models.ForeignKey(
        "equipment.Equipment",
        models.CASCADE,
        related_name="crisis_commands",
        verbose_name=_("equipment"),
    )
    action = models.CharField(_("action"), max_length=30)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    previous_state = models.JSONField(_("state before"), default=dict, blank=True)
    command = models.OneToOneField(
        "equipment.Command",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="activation_link",
        verbose_name=_("command"),
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("crisis command")
        verbose_name_plural = _("crisis commands")
        indexes = [
            models.Index(fields=["activation", "phase", "step"], name="crisis_command_plan_idx")
        ]

    def __str__(self) -> str:
        return f"{self.activation_id} {self.phase} {self.action} {self.equipment_id}"
