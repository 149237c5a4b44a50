"""The events log ("main courante"): append-only events, numbered in order."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """The events log is never edited or deleted: add a correcting entry instead."""


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(_("Events are append-only."))

    def delete(self):
        raise AppendOnlyError(_("Events are append-only."))


class Event(models.Model):
    """One entry of the events log ("main courante").

    Written by `ondijon.bus.emit` in the same transaction as the change it describes, with a
    strictly increasing `seq` that commits in order, and a hash chained to the previous entry.
    """

    seq = models.BigIntegerField(_("sequence number"), unique=True)
    time = models.DateTimeField(_("time"), db_index=True)
    kind = models.CharField(_("kind"), max_length=60, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    service = models.CharField(_("service"), max_length=30, blank=True, db_index=True)
    subject_type = models.CharField(_("subject type"), max_length=30, blank=True)
    subject_id = models.CharField(_("subject id"), max_length=60, blank=True)
    subject_label = models.CharField(_("subject"), max_length=200, blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    correction_of = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("correction of"),
    )
    # Which fields the hash covers (ondijon.bus.event_hash); the database's default is the
    # current version, for rows written by COPY.
    hash_version = models.PositiveSmallIntegerField(db_default=2, verbose_name=_("hash version"))
    prev_hash = models.CharField(max_length=64, verbose_name=_("prev hash"))
    hash = models.CharField(max_length=64, verbose_name=_("hash"))

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
            raise AppendOnlyError(_("Events are append-only."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(_("Events are append-only."))


class EventSequence(models.Model):
    """The single row holding the last sequence number and hash of the events log.

    Writers lock it (SELECT ... FOR UPDATE) to take numbers, so transactions that write
    events commit in sequence order and a reader never sees 42 before 41.
    """

    last_seq = models.BigIntegerField(default=0, verbose_name=_("last seq"))
    last_hash = models.CharField(max_length=64, default="0" * 64, verbose_name=_("last hash"))
    # Per channel-layer group (ondijon.bus.groups_of), the number of its latest event.
    group_heads = models.JSONField(default=dict, verbose_name=_("group heads"))

    class Meta:
        verbose_name = _("event sequence")

    def __str__(self) -> str:
        return f"last #{self.last_seq}"
