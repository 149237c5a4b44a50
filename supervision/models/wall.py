"""Wall screens: what each screen of the room shows."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ondijon.fields import latitude_field, longitude_field
from ondijon.kiosk import KIOSK_GROUP

VIDEO_LAYOUTS = [(1, "1"), (4, "2 × 2"), (9, "3 × 3"), (16, "4 × 4")]
TOUR_SECONDS_MIN = 5


def video_problems(screen: "WallScreen") -> dict:
    """What is wrong with a screen's video tiles, by field."""
    tiles = screen.video_tiles
    shape = isinstance(tiles, list) and all(
        isinstance(tile, dict)
        and set(tile) <= {"cameras", "tour_seconds"}
        and isinstance(tile.get("cameras"), list)
        and all(isinstance(code, str) for code in tile["cameras"])
        and isinstance(tile.get("tour_seconds", 20), int)
        and not isinstance(tile.get("tour_seconds", 20), bool)
        for tile in tiles
    )
    if not shape:
        return {
            "video_tiles": _('A list of tiles as [{"cameras": ["CAM-001"], "tour_seconds": 20}].')
        }
    errors = {}
    if len(tiles) > screen.video_layout:
        errors["video_tiles"] = _("%(count)d tiles do not fit in a layout of %(layout)d.") % {
            "count": len(tiles),
            "layout": screen.video_layout,
        }
    elif any(tile.get("tour_seconds", 20) < TOUR_SECONDS_MIN for tile in tiles):
        errors["video_tiles"] = _("A tour shows each camera %(seconds)d seconds or more.") % {
            "seconds": TOUR_SECONDS_MIN
        }
    else:
        from equipment.models import Camera

        codes = {code for tile in tiles for code in tile["cameras"]}
        known = set(
            Camera.objects.filter(equipment__code__in=codes).values_list(
                "equipment__code", flat=True
            )
        )
        if codes - known:
            errors["video_tiles"] = _("No camera has the code: %(codes)s.") % {
                "codes": ", ".join(sorted(codes - known))
            }
    if screen.alarm_tile is not None and not 1 <= screen.alarm_tile <= screen.video_layout:
        errors["alarm_tile"] = _("Choose a tile between 1 and %(layout)d.") % {
            "layout": screen.video_layout
        }
    return errors


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
        VIDEO = "video", _("Video tiles (in the map's place)")

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
    # The kiosk account of the display that shows this screen: after login it opens this
    # screen, not the list of screens.
    kiosk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("kiosk account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="kiosk_screens",
        limit_choices_to={"groups__name": KIOSK_GROUP},
        help_text=_("The wall display account that opens this screen after logging in."),
    )
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

    # Video tiles: a layout, each tile's cameras (several make a tour, one every
    # `tour_seconds`), and the tile that shows the cameras of an alarm's place.
    video_layout = models.PositiveSmallIntegerField(
        _("video layout"), choices=VIDEO_LAYOUTS, default=4
    )
    video_tiles = models.JSONField(
        _("video tiles"),
        default=list,
        blank=True,
        help_text=_(
            'One entry per tile, in order: {"cameras": ["CAM-001", "CAM-002"], "tour_seconds": 20}.'
        ),
    )
    alarm_tile = models.PositiveSmallIntegerField(
        _("alarm tile"),
        null=True,
        blank=True,
        help_text=_(
            "The tile (1 is the first) where the camera that sees an alert's place appears "
            "until the alert is resolved. Empty: no camera on alarm."
        ),
    )
    # Cameras an operator pushed onto tiles from a desk or the map, by tile number:
    # {"2": {"camera": "CAM-001"}}; they show instead of the tile's own until released.
    video_pushed = models.JSONField(_("cameras pushed to tiles"), default=dict, blank=True)

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
        errors.update(video_problems(self))
        if errors:
            raise ValidationError(errors)
