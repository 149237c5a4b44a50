"""Wall screens: what each screen of the room shows."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ondijon.fields import latitude_field, longitude_field


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
        MARKETS = "markets", _("Market occupancy")
        COMMANDS = "commands", _("Commands to equipment in flight")

    class MapLayer(models.TextChoices):
        DISTRICTS = "districts", _("Districts")
        EQUIPMENT = "equipment", _("Equipment")
        TEAMS = "teams", _("Teams and vehicles")
        INTERVENTIONS = "interventions", _("Open interventions")
        ALERTS = "alerts", _("Active alerts")
        MARKETS = "markets", _("Markets and their occupancy")
        PRIORITY = "priority", _("Junctions giving priority (emergency vehicles, buses)")

    slug = models.SlugField(_("address"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    panels = models.JSONField(_("panels"), default=list, blank=True)
    map_layers = models.JSONField(_("map layers shown at start"), default=list, blank=True)
    center_latitude = latitude_field(default=47.322)
    center_longitude = longitude_field(default=5.041)
    zoom = models.PositiveSmallIntegerField(_("initial zoom"), default=13)
    active = models.BooleanField(_("active"), default=True)
    # Where the wall hangs: text sizes follow so that they read at the room's distance.
    width_m = models.DecimalField(
        _("physical width (m)"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("3.60"),
        validators=[MinValueValidator(Decimal("0.30")), MaxValueValidator(Decimal("30"))],
        help_text=_("Width of the picture on the wall, in metres."),
    )
    viewing_distance_m = models.DecimalField(
        _("viewing distance (m)"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("4.00"),
        validators=[MinValueValidator(Decimal("0.50")), MaxValueValidator(Decimal("50"))],
        help_text=_("From the farthest seat that reads the wall, in metres."),
    )

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
