"""Alerts and the rules that raise them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from equipment.models import Equipment, Site
from ondijon.fields import latitude_field, longitude_field


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
        "equipment.Equipment",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
        verbose_name=_("equipment"),
    )
    intervention = models.ForeignKey(
        "interventions.Intervention",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
        verbose_name=_("intervention"),
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
    acknowledged_at = models.DateTimeField(null=True, blank=True, verbose_name=_("acknowledged at"))
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    qualified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("qualified at"))
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    rule = models.ForeignKey(
        "AlertRule",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
        verbose_name=_("rule"),
    )
    # Correlation (supervision/alerts/correlation.py): the alert of the cause (a cabinet, a
    # gateway, a storm of one rule over one district) that this alert follows. A child is
    # listed under its parent, not raised on the desk by itself.
    parent = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("grouped under"),
    )
    # Shelving (ISA-18.2): taken off the desk by an operator for a while, with a reason; it
    # comes back by itself at `shelved_until` (the periodic job `unshelve_due_alerts`).
    shelved_until = models.DateTimeField(_("shelved until"), null=True, blank=True)
    shelved_reason = models.CharField(_("shelving reason"), max_length=200, blank=True)
    shelved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
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
            # Supervisors watch the room's alarm load against ISA-18.2's targets.
            ("view_alarm_kpis", _("Can see the alarm KPIs")),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.title}"


OPEN_ALERT_STATUSES = (Alert.Status.RAISED, Alert.Status.ACKNOWLEDGED, Alert.Status.QUALIFIED)


class AlertRule(models.Model):
    """A condition on devices that raises an alert, configured by administrators.

    Evaluated in memory on every telemetry batch (`supervision.alerts.rules`) and by the periodic
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

    class GroupBy(models.TextChoices):
        NONE = "", _("No grouping")
        SITE = "site", _("By site")
        DISTRICT = "district", _("By district")

    group_by = models.CharField(
        _("group a storm"),
        max_length=10,
        choices=GroupBy.choices,
        blank=True,
        default=GroupBy.DISTRICT,
        help_text=_(
            "When this rule raises many alerts over one site or district, they become the "
            "children of one alert."
        ),
    )
    group_threshold = models.PositiveSmallIntegerField(
        _("group from"),
        default=5,
        help_text=_("How many open alerts of this rule in one place make a storm."),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")

    def __str__(self) -> str:
        return self.name


class RuleCondition(models.Model):
    """A rule's condition that holds (or is ending) for one device or site.

    Rows exist only while something is happening, so the common case (all is well) costs
    no write. `alert` is set once the condition has lasted long enough to raise one.
    """

    rule = models.ForeignKey(
        AlertRule, models.CASCADE, related_name="conditions", verbose_name=_("rule")
    )
    key = models.CharField(max_length=120, unique=True, verbose_name=_("key"))
    equipment = models.ForeignKey(
        Equipment,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("equipment"),
    )
    site = models.ForeignKey(
        Site, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("site")
    )
    active = models.BooleanField(default=True, verbose_name=_("active"))
    since = models.DateTimeField(verbose_name=_("since"))
    last_true_at = models.DateTimeField(verbose_name=_("last true at"))
    ended_at = models.DateTimeField(null=True, blank=True, verbose_name=_("ended at"))
    value = models.JSONField(null=True, blank=True, verbose_name=_("value"))
    alert = models.ForeignKey(
        Alert, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("alert")
    )

    class Meta:
        verbose_name = _("rule condition")
        indexes = [models.Index(fields=["equipment"]), models.Index(fields=["active", "since"])]

    def __str__(self) -> str:
        return self.key
