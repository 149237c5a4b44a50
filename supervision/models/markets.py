"""Market occupancy."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MarketOccupancy(models.Model):
    """The last occupancy worked out for a market from its gate counters."""

    site = models.OneToOneField(
        "equipment.Site", models.CASCADE, related_name="occupancy", verbose_name=_("site")
    )
    occupancy = models.PositiveIntegerField(_("people inside"), default=0)
    full = models.BooleanField(_("gates show full"), default=False)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("market occupancy")
        verbose_name_plural = _("market occupancy")

    def __str__(self) -> str:
        return f"{self.site_id}: {self.occupancy}"
