"""The device console's selections: one action sent to many devices picked on the map or by
filters, in batches, and rolled back in one click."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CommandSelection(models.Model):
    """One action to a selection of devices of one kind.

    `devices` is the plan, fixed when it is sent (device ids, in order); `sent` how many of
    them have had their command created, batch after batch. Its commands carry the origin
    `selection:<id>` (and `selection:<id>:restore` for the rollback), as a crisis mode's
    carry `crisis:<id>`: their own `previous_state` is what the rollback puts back.
    """

    class Status(models.TextChoices):
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        ROLLING_BACK = "rolling_back", _("Rolling back")
        ROLLED_BACK = "rolled_back", _("Rolled back")

    kind = models.CharField(_("equipment kind"), max_length=20)
    action = models.CharField(_("action"), max_length=30)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    # How the devices were picked (filters, rectangle), as the operator gave it.
    criteria = models.JSONField(_("selection"), default=dict, blank=True)
    devices = models.JSONField(_("devices"), default=list, blank=True)
    sent = models.PositiveIntegerField(_("commands created"), default=0)
    # The rollback's plan: [device id, action, parameters], and how many were created.
    restore_orders = models.JSONField(_("restoring commands"), default=list, blank=True)
    restored = models.PositiveIntegerField(_("restoring commands created"), default=0)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SENDING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("sent at"))
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rolled_back_at = models.DateTimeField(_("rolled back at"), null=True, blank=True)
    send_error = models.TextField(_("sending stopped"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("command to a selection")
        verbose_name_plural = _("commands to selections")

    def __str__(self) -> str:
        return f"{self.action} → {len(self.devices)} {self.kind}"

    @property
    def origin(self) -> str:
        return f"selection:{self.pk}"

    @property
    def restore_origin(self) -> str:
        return f"selection:{self.pk}:restore"


class CommandSchedule(models.Model):
    """An action planned for a selection of devices: every week on some days at a local time
    (streetlights dimmed at night, a market's bollards on market days, a building's opening
    hours), or once at `run_at`. Each run sends a `CommandSelection`; while a crisis mode is
    active runs are held (the mode wins) and the one held is carried out once it ends."""

    name = models.CharField(_("name"), max_length=150)
    criteria = models.JSONField(_("selection"), default=dict)
    action = models.CharField(_("action"), max_length=30)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    # 0 = Monday … 6 = Sunday, at `time` (local time of the city).
    weekdays = models.JSONField(_("weekdays"), default=list, blank=True)
    time = models.TimeField(_("time"), null=True, blank=True)
    run_at = models.DateTimeField(_("once, at"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True, db_index=True)
    held_since = models.DateTimeField(
        _("held by a crisis mode since"), null=True, blank=True, editable=False
    )
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True, editable=False)
    last_selection = models.ForeignKey(
        CommandSelection, models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("command schedule")
        verbose_name_plural = _("command schedules")

    def __str__(self) -> str:
        return self.name
