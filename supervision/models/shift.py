"""The room's shifts: who holds the room, and what one team hands over to the next."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Shift(models.Model):
    """One team's time in the room, from its start to its handover.

    Ending a shift writes the handover: the outgoing supervisor's note and a snapshot of what
    stays open (alerts, interventions, an active crisis mode, call-backs due). The incoming
    supervisor acknowledges it when starting the next shift. Every step is an event
    (supervision/shift/services.py); the shift's log is the events log over its hours.
    """

    started_at = models.DateTimeField(_("started at"))
    # One shift holds the room at a time: True while open, None once ended (a unique column
    # holds one True and any number of NULLs, on SQLite and PostgreSQL alike).
    holds_room = models.BooleanField(_("holds the room"), null=True, default=True, unique=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
    )
    handover_note = models.TextField(_("handover note"), blank=True)
    # What stayed open at the handover, as the incoming team read it.
    handover = models.JSONField(_("handover"), default=dict, blank=True)
    acknowledged_at = models.DateTimeField(_("handover acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handover acknowledged by"),
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        # The situation report and the after-action reports: the crisis unit's (supervisors).
        permissions = [("view_reports", _("Can see the situation and after-action reports"))]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}"
