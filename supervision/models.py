from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from equipment.models import Equipment, Site
from ondijon.fields import latitude_field, longitude_field


class AppendOnlyError(Exception):
    """The events log is never edited or deleted: add a correcting entry instead."""


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Events are append-only.")

    def delete(self):
        raise AppendOnlyError("Events are append-only.")


class Event(models.Model):
    """One entry of the events log ("main courante").

    Written by `ondijon.bus.emit` in the same transaction as the change it describes, with a
    strictly increasing `seq` that commits in order, and a hash chained to the previous entry.
    """

    seq = models.BigIntegerField(_("sequence number"), unique=True)
    time = models.DateTimeField(_("time"), db_index=True)
    kind = models.CharField(_("kind"), max_length=60, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    service = models.CharField(_("service"), max_length=30, blank=True, db_index=True)
    subject_type = models.CharField(_("subject type"), max_length=30, blank=True)
    subject_id = models.CharField(_("subject id"), max_length=60, blank=True)
    subject_label = models.CharField(_("subject"), max_length=200, blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    correction_of = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        verbose_name = _("event")
        verbose_name_plural = _("events log")
        indexes = [models.Index(fields=["subject_type", "subject_id"])]
        permissions = [("view_wall", _("Can show the wall screens"))]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} {self.subject_label}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Events are append-only.")


class EventSequence(models.Model):
    """The single row holding the last sequence number and hash of the events log.

    Writers lock it (SELECT ... FOR UPDATE) to take numbers, so transactions that write
    events commit in sequence order and a reader never sees 42 before 41.
    """

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    # Per channel-layer group (ondijon.bus.groups_of), the number of its latest event.
    group_heads = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("event sequence")

    def __str__(self) -> str:
        return f"last #{self.last_seq}"


class Alert(models.Model):
    class Severity(models.IntegerChoices):
        INFO = 1, _("Info")
        LOW = 2, _("Low")
        MEDIUM = 3, _("Medium")
        HIGH = 4, _("High")
        CRITICAL = 5, _("Critical")

    class Status(models.TextChoices):
        RAISED = "raised", _("Raised")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        QUALIFIED = "qualified", _("Qualified")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    class Source(models.TextChoices):
        RULE = "rule", _("Rule")
        DEVICE = "device", _("Device")
        OPERATOR = "operator", _("Operator")
        HOTLINE = "hotline", _("Hotline")

    title = models.CharField(_("title"), max_length=200)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    severity = models.PositiveSmallIntegerField(
        _("severity"), choices=Severity.choices, default=Severity.MEDIUM
    )
    category = models.CharField(_("category"), max_length=50)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RAISED
    )
    # Identifies the condition (rule + device) so it is raised once while it lasts.
    condition_key = models.CharField(_("condition"), max_length=120, blank=True, db_index=True)
    equipment = models.ForeignKey(
        "equipment.Equipment", models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    intervention = models.ForeignKey(
        "interventions.Intervention",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
    )
    latitude = latitude_field(null=True, blank=True)
    longitude = longitude_field(null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    raised_at = models.DateTimeField(_("raised at"))
    updated_at = models.DateTimeField(_("updated at"))
    cleared_at = models.DateTimeField(
        _("condition cleared at"),
        null=True,
        blank=True,
        help_text=_("When the condition that raised the alert ended."),
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    qualified_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    rule = models.ForeignKey(
        "AlertRule", models.SET_NULL, null=True, blank=True, related_name="alerts"
    )

    class Meta:
        ordering = ["-severity", "-raised_at"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [models.Index(fields=["status", "-severity"])]
        # The room creates an alert's intervention in one click without being free to create
        # any intervention (that stays with dispatchers and the hotline: add_intervention).
        permissions = [
            ("create_alert_intervention", _("Can create the intervention of an alert")),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.title}"


class WallScreen(models.Model):
    """A wall display of the supervision room, configured by an administrator.

    Kiosk accounts with the wall display role open `/wall/<slug>/`; what the screen shows
    (panels, map layers, initial view) comes from here.
    """

    class Panel(models.TextChoices):
        MAP = "map", _("City map")
        ALERTS = "alerts", _("Alert queue")
        INTERVENTIONS = "interventions", _("Interventions board")
        HEALTH = "health", _("Equipment health")
        FIGURES = "figures", _("Key figures")
        MARKETS = "markets", _("Market occupancy")
        COMMANDS = "commands", _("Commands to equipment in flight")

    class MapLayer(models.TextChoices):
        DISTRICTS = "districts", _("Districts")
        EQUIPMENT = "equipment", _("Equipment")
        TEAMS = "teams", _("Teams and vehicles")
        INTERVENTIONS = "interventions", _("Open interventions")
        ALERTS = "alerts", _("Active alerts")
        MARKETS = "markets", _("Markets and their occupancy")
        PRIORITY = "priority", _("Junctions giving priority (emergency vehicles, buses)")

    slug = models.SlugField(_("address"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    panels = models.JSONField(_("panels"), default=list, blank=True)
    map_layers = models.JSONField(_("map layers shown at start"), default=list, blank=True)
    center_latitude = latitude_field(default=47.322)
    center_longitude = longitude_field(default=5.041)
    zoom = models.PositiveSmallIntegerField(_("initial zoom"), default=13)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("wall screen")
        verbose_name_plural = _("wall screens")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        for name, allowed in [("panels", self.Panel.values), ("map_layers", self.MapLayer.values)]:
            value = getattr(self, name)
            if not isinstance(value, list) or set(value) - set(allowed):
                errors[name] = _("Choose among: %s") % ", ".join(allowed)
        if errors:
            raise ValidationError(errors)


OPEN_ALERT_STATUSES = (Alert.Status.RAISED, Alert.Status.ACKNOWLEDGED, Alert.Status.QUALIFIED)


class AlertRule(models.Model):
    """A condition on devices that raises an alert, configured by administrators.

    Evaluated in memory on every telemetry batch (`supervision.rules`) and by the periodic
    checks for what only time reveals (silence, durations, clearing).
    """

    class Kind(models.TextChoices):
        THRESHOLD = "threshold", _("Threshold: a metric above/below a value for a duration")
        ABSENCE = "absence", _("Absence: no message for a duration (offline)")
        STATUS = "status", _("Status: the device reports a status (fault)")
        OCCUPANCY = "occupancy", _("Occupancy: occupied longer than allowed")
        COUNTER = "counter", _("Counter: a site's count at or over capacity")
        DETECTION = "detection", _("Detection: an event reported by a camera")

    class Comparison(models.TextChoices):
        ABOVE = "above", _("above")
        BELOW = "below", _("below")
        EQUALS = "equals", _("equals the text of 'matches'")

    name = models.CharField(_("name"), max_length=120, unique=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    equipment_kind = models.CharField(
        _("equipment kind"),
        max_length=20,
        choices=Equipment.Kind.choices,
        blank=True,
        help_text=_("Blank: every kind."),
    )
    metric = models.CharField(
        _("metric"),
        max_length=40,
        blank=True,
        help_text=_("Threshold, occupancy, counter (summed over the site) and detection rules."),
    )
    comparison = models.CharField(
        _("comparison"), max_length=6, choices=Comparison.choices, default=Comparison.ABOVE
    )
    value = models.FloatField(
        _("value"),
        null=True,
        blank=True,
        help_text=_("Threshold; for a counter the limit (blank: the site's capacity)."),
    )
    clear_value = models.FloatField(
        _("clear at"),
        null=True,
        blank=True,
        help_text=_(
            "Hysteresis: the condition ends only once the metric is back past this value "
            "(for example raise below 2.5 bar, clear above 3.0)."
        ),
    )
    match_text = models.CharField(
        _("matches"),
        max_length=40,
        blank=True,
        help_text=_(
            "Detection: the detection type (bus_lane). Status: the status (fault). "
            "Threshold 'equals': the value (flash)."
        ),
    )
    subtract_metric = models.CharField(
        _("minus metric"),
        max_length=40,
        blank=True,
        help_text=_("Counter: subtracted from the metric (in minus out)."),
    )
    duration_seconds = models.PositiveIntegerField(
        _("for (seconds)"),
        default=0,
        help_text=_("How long the condition lasts before an alert; for absence, the silence."),
    )
    clear_after_seconds = models.PositiveIntegerField(
        _("clear after (seconds)"),
        default=60,
        help_text=_("How long the condition must be gone before the alert is cleared."),
    )
    severity = models.PositiveSmallIntegerField(
        _("severity"), choices=Alert.Severity.choices, default=Alert.Severity.MEDIUM
    )
    category = models.CharField(_("category"), max_length=50)
    procedure = models.TextField(_("standard procedure"), blank=True)
    suggested_steps = models.JSONField(
        _("suggested steps"),
        default=list,
        blank=True,
        help_text=_(
            'A list such as [{"action": "create_intervention", "service": "lighting"}, '
            '{"action": "send_command", "command": "reset"}].'
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        from .rules import rules_changed

        super().save(*args, **kwargs)
        rules_changed()

    def clean(self) -> None:
        from .rules import rule_problems

        problems = rule_problems(self)
        if problems:
            raise ValidationError(problems)


class RuleCondition(models.Model):
    """A rule's condition that holds (or is ending) for one device or site.

    Rows exist only while something is happening, so the common case (all is well) costs
    no write. `alert` is set once the condition has lasted long enough to raise one.
    """

    rule = models.ForeignKey(AlertRule, models.CASCADE, related_name="conditions")
    key = models.CharField(max_length=120, unique=True)
    equipment = models.ForeignKey(
        Equipment, models.CASCADE, null=True, blank=True, related_name="+"
    )
    site = models.ForeignKey(Site, models.CASCADE, null=True, blank=True, related_name="+")
    active = models.BooleanField(default=True)
    since = models.DateTimeField()
    last_true_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    value = models.JSONField(null=True, blank=True)
    alert = models.ForeignKey(Alert, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("rule condition")
        indexes = [models.Index(fields=["equipment"]), models.Index(fields=["active", "since"])]

    def __str__(self) -> str:
        return self.key


class CrisisMode(models.Model):
    """A city mode (health emergency, lockdown, flood...) and its playbook of ordered actions."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

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

    mode = models.ForeignKey(CrisisMode, models.CASCADE, related_name="actions")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    # Selection of equipment, for commands: every filter given must match.
    equipment_kind = models.CharField(
        _("equipment kind"), max_length=20, blank=True, choices=EQUIPMENT_KINDS
    )
    district = models.ForeignKey(
        "equipment.District", models.PROTECT, null=True, blank=True, related_name="+"
    )
    tag = models.CharField(_("tag"), max_length=40, blank=True)
    command = models.CharField(_("command"), max_length=30, blank=True)
    params = models.JSONField(_("command parameters"), default=dict, blank=True)
    text = models.TextField(_("text"), blank=True, help_text=_("Banner or public message."))

    class Meta:
        ordering = ["mode", "position", "id"]
        verbose_name = _("playbook action")
        verbose_name_plural = _("playbook actions")

    def __str__(self) -> str:
        return f"{self.position}. {self.get_type_display()}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .crisis import check_action

        errors = check_action(self)
        if errors:
            raise ValidationError(errors)


class ModeActivation(models.Model):
    """One period during which the city was in a crisis mode."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    mode = models.ForeignKey(CrisisMode, models.PROTECT, related_name="activations")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    reason = models.CharField(_("reason"), max_length=300)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    activated_at = models.DateTimeField(_("activated at"))
    deactivated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)
    # What the playbook set while active, as the wall and the public page show it.
    banner = models.CharField(_("wall banner"), max_length=300, blank=True)
    public_message = models.TextField(_("public message"), blank=True)
    hotline_24_7 = models.BooleanField(_("hotline open 24/7"), default=False)
    # One entry per playbook step: {"position", "type", "summary", "status"}, and for a
    # command step "commands" (planned) and "sent". Status: pending, sending, sent, done,
    # skipped..., stopped (the mode ended before the step ran).
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

    activation = models.ForeignKey(ModeActivation, models.CASCADE, related_name="commands")
    phase = models.CharField(_("phase"), max_length=8, choices=Phase.choices)
    step = models.PositiveSmallIntegerField(_("playbook step"), default=0)
    equipment = models.ForeignKey(
        "equipment.Equipment", models.CASCADE, related_name="crisis_commands"
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


class PriorityRequest(models.Model):
    """Priority asked at a signalised junction for an emergency vehicle or a late bus."""

    class Requester(models.TextChoices):
        EMERGENCY_VEHICLE = "emergency", _("Emergency vehicle")
        BUS = "bus", _("Late bus")

    junction = models.ForeignKey("equipment.Equipment", models.CASCADE, related_name="+")
    requester_type = models.CharField(_("requester"), max_length=10, choices=Requester.choices)
    requester_code = models.CharField(_("vehicle"), max_length=40)
    approach = models.CharField(_("approach"), max_length=8)
    requested_at = models.DateTimeField(_("requested at"))
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    release_reason = models.CharField(_("release reason"), max_length=40, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("priority request")
        verbose_name_plural = _("priority requests")
        constraints = [
            models.UniqueConstraint(
                fields=["junction"],
                condition=models.Q(released_at__isnull=True),
                name="one_active_priority_per_junction",
            )
        ]

    def __str__(self) -> str:
        return f"{self.requester_code} at {self.junction_id}"


class MarketOccupancy(models.Model):
    """The last occupancy worked out for a market from its gate counters."""

    site = models.OneToOneField("equipment.Site", models.CASCADE, related_name="occupancy")
    occupancy = models.PositiveIntegerField(_("people inside"), default=0)
    full = models.BooleanField(_("gates show full"), default=False)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("market occupancy")
        verbose_name_plural = _("market occupancy")

    def __str__(self) -> str:
        return f"{self.site_id}: {self.occupancy}"
