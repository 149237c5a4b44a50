from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

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
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-severity", "-raised_at"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [models.Index(fields=["status", "-severity"])]

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

    class MapLayer(models.TextChoices):
        DISTRICTS = "districts", _("Districts")
        EQUIPMENT = "equipment", _("Equipment")
        TEAMS = "teams", _("Teams and vehicles")
        INTERVENTIONS = "interventions", _("Open interventions")
        ALERTS = "alerts", _("Active alerts")

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
