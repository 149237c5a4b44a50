"""NGSI-LD subscriptions of partner platforms (supervision/ngsi_ld/subscriptions.py)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NgsiSubscription(models.Model):
    """Who wants to be told of which entities' changes, and how far they have been told: the
    events log number up to which notifications were delivered (`notified_seq`), moved only
    once the partner answered 2xx, so every change reaches them at least once."""

    class Format(models.TextChoices):
        NORMALIZED = "normalized", _("Normalized")
        KEY_VALUES = "keyValues", _("Key values")

    subscription_id = models.CharField(_("subscription id"), max_length=200, unique=True)
    # Whose it is: the SHA-256 of the key it was created with ("" when the standard is
    # public); a partner lists and deletes only its own.
    owner = models.CharField(_("owner"), max_length=64, blank=True, db_index=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    entities = models.JSONField(_("entities"), default=list, blank=True)
    watched_attributes = models.JSONField(_("watched attributes"), default=list, blank=True)
    q = models.CharField(_("query"), max_length=500, blank=True)
    attributes = models.JSONField(_("notified attributes"), default=list, blank=True)
    format = models.CharField(
        _("format"), max_length=12, choices=Format.choices, default=Format.NORMALIZED
    )
    endpoint = models.URLField(_("endpoint"), max_length=500)
    accept = models.CharField(_("accept"), max_length=40, default="application/json")
    active = models.BooleanField(_("active"), default=True)
    notified_seq = models.BigIntegerField(_("notified up to event"), default=0)
    times_sent = models.PositiveIntegerField(_("notifications sent"), default=0)
    failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_notification = models.DateTimeField(_("last notification"), null=True, blank=True)
    last_success = models.DateTimeField(_("last success"), null=True, blank=True)
    last_failure = models.DateTimeField(_("last failure"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("NGSI-LD subscription")
        verbose_name_plural = _("NGSI-LD subscriptions")

    def __str__(self) -> str:
        return self.name or self.subscription_id
