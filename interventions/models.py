from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ondijon.fields import latitude_field, longitude_field


class Service(models.TextChoices):
    POLICE = "police", _("Municipal police")
    LIGHTING = "lighting", _("Public lighting")
    ROADS = "roads", _("Roads and traffic")
    WATER = "water", _("Water network")
    CLEANING = "cleaning", _("Cleaning")
    GREEN_SPACES = "green_spaces", _("Green spaces")
    BUILDINGS = "buildings", _("Public buildings")


class Team(models.Model):
    class Status(models.TextChoices):
        AVAILABLE = "available", _("Available")
        BUSY = "busy", _("Busy")
        OFF_DUTY = "off_duty", _("Off duty")

    call_sign = models.CharField(_("call sign"), max_length=30, unique=True)
    service = models.CharField(_("service"), max_length=20, choices=Service.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.AVAILABLE
    )
    vehicle = models.CharField(_("vehicle"), max_length=60, blank=True)
    emergency_vehicle = models.BooleanField(_("emergency vehicle"), default=False)
    skills = models.JSONField(_("skills"), default=list, blank=True)
    latitude = latitude_field(null=True, blank=True)
    longitude = longitude_field(null=True, blank=True)
    position_at = models.DateTimeField(_("position time"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        ordering = ["call_sign"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        indexes = [models.Index(fields=["service", "status"])]

    def __str__(self) -> str:
        return self.call_sign


class Officer(models.Model):
    """A member of a field team, linked to the user account they log in with."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="officer", verbose_name=_("user")
    )
    team = models.ForeignKey(
        Team, models.SET_NULL, null=True, blank=True, related_name="members", verbose_name=_("team")
    )
    service = models.CharField(_("service"), max_length=20, choices=Service.choices)
    badge_number = models.CharField(_("badge number"), max_length=20, unique=True)

    class Meta:
        ordering = ["badge_number"]
        verbose_name = _("officer")
        verbose_name_plural = _("officers")

    def __str__(self) -> str:
        return f"{self.badge_number} {self.user.get_full_name() or self.user.get_username()}"


class TeamPosition(models.Model):
    """Position history of a team's vehicle."""

    team = models.ForeignKey(Team, models.CASCADE, related_name="positions", verbose_name=_("team"))
    time = models.DateTimeField(_("time"))
    latitude = latitude_field()
    longitude = longitude_field()

    class Meta:
        ordering = ["-time"]
        indexes = [models.Index(fields=["team", "-time"])]
        verbose_name = _("team position")
        verbose_name_plural = _("team positions")

    def __str__(self) -> str:
        return f"{self.team_id} @ {self.time:%H:%M:%S}"


class Intervention(models.Model):
    class Status(models.TextChoices):
        REPORTED = "reported", _("Reported")
        QUALIFIED = "qualified", _("Qualified")
        DISPATCHED = "dispatched", _("Dispatched")
        EN_ROUTE = "en_route", _("En route")
        ON_SITE = "on_site", _("On site")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    class Priority(models.IntegerChoices):
        CRITICAL = 1, _("P1 critical")
        HIGH = 2, _("P2 high")
        NORMAL = 3, _("P3 normal")
        LOW = 4, _("P4 low")

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("category"), max_length=50)
    service = models.CharField(_("service"), max_length=20, choices=Service.choices)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    description = models.TextField(_("description"), blank=True)
    required_skills = models.JSONField(_("required skills"), default=list, blank=True)
    latitude = latitude_field()
    longitude = longitude_field()
    address = models.CharField(_("address"), max_length=200, blank=True)
    district = models.ForeignKey(
        "equipment.District",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REPORTED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    reported_at = models.DateTimeField(_("reported at"))
    qualified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("qualified at"))
    dispatched_at = models.DateTimeField(null=True, blank=True, verbose_name=_("dispatched at"))
    en_route_at = models.DateTimeField(null=True, blank=True, verbose_name=_("en route at"))
    on_site_at = models.DateTimeField(null=True, blank=True, verbose_name=_("on site at"))
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    cancelled_at = models.DateTimeField(null=True, blank=True, verbose_name=_("cancelled at"))
    target_at = models.DateTimeField(_("target time"), null=True, blank=True)
    teams = models.ManyToManyField(
        Team,
        through="Assignment",
        related_name="interventions",
        blank=True,
        verbose_name=_("teams"),
    )
    equipment = models.ManyToManyField(
        "equipment.Equipment", related_name="interventions", blank=True, verbose_name=_("equipment")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        ordering = ["-reported_at"]
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        indexes = [models.Index(fields=["status", "priority"])]
        permissions = [
            ("dispatch_intervention", _("Can send teams to interventions")),
            ("report_progress", _("Can report field progress on own assignment")),
            ("track_fleet", _("Can report positions of any vehicle (tracker gateway)")),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class Assignment(models.Model):
    """A team sent to an intervention. A team holds at most one active assignment."""

    intervention = models.ForeignKey(
        Intervention, models.CASCADE, related_name="assignments", verbose_name=_("intervention")
    )
    team = models.ForeignKey(
        Team, models.PROTECT, related_name="assignments", verbose_name=_("team")
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    assigned_at = models.DateTimeField(_("assigned at"))
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        ordering = ["-assigned_at"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            # The database, not the application, guarantees that two dispatchers cannot
            # both send the same team.
            models.UniqueConstraint(
                fields=["team"],
                condition=models.Q(released_at__isnull=True),
                name="assignment_one_active_per_team",
            )
        ]

    def __str__(self) -> str:
        return f"{self.team} → {self.intervention.reference}"
