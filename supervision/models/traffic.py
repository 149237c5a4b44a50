"""Priority at signalised junctions."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PriorityRequest(models.Model):
    """Priority asked at a signalised junction for an emergency vehicle or a late bus."""

    class Requester(models.TextChoices):
        EMERGENCY_VEHICLE = "emergency", _("Emergency vehicle")
        BUS = "bus", _("Late bus")

    junction = models.ForeignKey(
        "equipment.Equipment", models.CASCADE, related_name="+", verbose_name=_("junction")
    )
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
