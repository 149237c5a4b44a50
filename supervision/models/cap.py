"""Public alerts as CAP 1.2 messages (OASIS Common Alerting Protocol), as they were sent.

A CAP message is never changed once published: an amendment is a new message (Update) and
the end of the mode another (Cancel), each naming the ones before in `references`. So the
XML is stored as sent, and aggregators that fetched it once keep a true copy.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CapMessage(models.Model):
    class MsgType(models.TextChoices):
        ALERT = "Alert", _("Alert")
        UPDATE = "Update", _("Update")
        CANCEL = "Cancel", _("Cancel")

    identifier = models.CharField(_("identifier"), max_length=120, unique=True)
    msg_type = models.CharField(_("message type"), max_length=8, choices=MsgType.choices)
    # Actual, Exercise or Test (setting CAP_STATUS).
    status = models.CharField(_("status"), max_length=10)
    sent = models.DateTimeField(_("sent"))
    # CAP's form: "sender,identifier,sent" of each earlier message, separated by spaces.
    references = models.TextField(_("references"), blank=True)
    activation = models.ForeignKey(
        "supervision.ModeActivation",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="cap_messages",
    )
    headline = models.CharField(_("headline"), max_length=200)
    xml = models.TextField(_("CAP XML"))

    class Meta:
        ordering = ["-sent", "-id"]
        verbose_name = _("CAP message")
        verbose_name_plural = _("CAP messages")

    def __str__(self) -> str:
        return f"{self.identifier} ({self.msg_type})"
