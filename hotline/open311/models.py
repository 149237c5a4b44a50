"""What Open311 adds to the hotline: the keys issued to citizens' apps, and the requests they
posted (the call and its intervention hold the rest)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Open311Key(models.Model):
    """An API key issued to a citizens' app. Only its SHA-256 is kept: the key itself is shown
    once, when it is issued (hotline.open311.services.issue_key)."""

    name = models.CharField(_("application"), max_length=150)
    prefix = models.CharField(_("key starts with"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("issued at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        app_label = "hotline"
        ordering = ["name"]
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Open311Request(models.Model):
    """A service request posted by a citizens' app: its token, its media and its answers to
    the category's questions. Its call (and through it the intervention) is the request."""

    token = models.CharField(_("token"), max_length=32, unique=True, editable=False)
    call = models.OneToOneField("hotline.Call", models.CASCADE, related_name="open311_request")
    key = models.ForeignKey(
        Open311Key, models.SET_NULL, null=True, blank=True, related_name="requests"
    )
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    attributes = models.JSONField(_("answers"), default=dict, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)

    class Meta:
        app_label = "hotline"
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["requested_at"])]
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")

    def __str__(self) -> str:
        return f"Open311 request {self.token[:8]}"
