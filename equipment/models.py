from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ondijon.fields import latitude_field, longitude_field


class District(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    # GeoJSON polygon ring, [[lon, lat], ...], closed.
    boundary = models.JSONField(_("boundary"), default=list, blank=True)
    center_latitude = latitude_field()
    center_longitude = longitude_field()
    population = models.PositiveIntegerField(_("population"), default=0)
    # The commune's code in INSEE's official geographic code (COG), as public alerts (CAP)
    # and the prefecture name places.
    insee_code = models.CharField(
        _("INSEE code"),
        max_length=5,
        blank=True,
        validators=[RegexValidator(r"^(\d[0-9AB]\d{3})$", _("Five characters, as 21231."))],
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    """A place that groups equipment: a public building, a market."""

    class Kind(models.TextChoices):
        PUBLIC_BUILDING = "public_building", _("Public building")
        MARKET = "market", _("Market")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    district = models.ForeignKey(
        District, models.PROTECT, related_name="sites", verbose_name=_("district")
    )
    latitude = latitude_field()
    longitude = longitude_field()
    address = models.CharField(_("address"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return self.name


class Equipment(models.Model):
    class Kind(models.TextChoices):
        STREETLIGHT = "streetlight", _("Streetlight")
        LIGHTING_CABINET = "lighting_cabinet", _("Lighting cabinet")
        TRAFFIC_SIGNAL = "traffic_signal", _("Traffic signal controller")
        CAMERA = "camera", _("CCTV camera")
        BOLLARD = "bollard", _("Retractable bollard")
        DELIVERY_BAY = "delivery_bay", _("Delivery bay sensor")
        WATER_SENSOR = "water_sensor", _("Water network sensor")
        WATER_VALVE = "water_valve", _("Water valve")
        BUILDING_ACCESS = "building_access", _("Building access controller")
        MARKET_GATE = "market_gate", _("Market gate counter")
        PRIORITY_POINT = "priority_point", _("Tram/bus priority point")
        BUS = "bus", _("Bus")

    class Status(models.TextChoices):
        OK = "ok", _("OK")
        DEGRADED = "degraded", _("Degraded")
        FAULT = "fault", _("Fault")
        OFFLINE = "offline", _("Offline")
        MAINTENANCE = "maintenance", _("Maintenance")

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    district = models.ForeignKey(
        District, models.PROTECT, related_name="equipment", verbose_name=_("district")
    )
    site = models.ForeignKey(
        Site,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="equipment",
        verbose_name=_("site"),
    )
    parent = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        help_text=_("For example the lighting cabinet that feeds a streetlight."),
        verbose_name=_("parent"),
    )
    latitude = latitude_field()
    longitude = longitude_field()
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OK)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)
    # Time of the newest reading applied to `state`: older readings never overwrite it.
    state_time = models.DateTimeField(_("state time"), null=True, blank=True)
    state = models.JSONField(_("current state"), default=dict, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("equipment")
        verbose_name_plural = _("equipment")
        indexes = [
            models.Index(fields=["kind", "status"]),
            models.Index(fields=["district", "kind"]),
            # The device console finds a device by the start of its code (LIKE 'SL-004%'):
            # on PostgreSQL only a pattern index serves that under a non-C collation.
            models.Index(
                fields=["code"], name="equipment_code_prefix", opclasses=["varchar_pattern_ops"]
            ),
            # The console's search lists devices of a site, a district, a kind (and status) in
            # code order, the first page only: these read it straight off the index.
            models.Index(fields=["site", "code"], name="equipment_site_code"),
            models.Index(fields=["district", "kind", "code"], name="equipment_district_kind_code"),
            models.Index(fields=["kind", "status", "code"], name="equipment_kind_status_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.get_kind_display()})"


class Reading(models.Model):
    """One telemetry message from a device, kept for history and charts."""

    # No index of its own: the (equipment, -time) index and the (equipment, message_id)
    # constraint both lead with it and serve every lookup by device (EXPLAIN), and one index
    # fewer is one write fewer per reading stored.
    equipment = models.ForeignKey(
        Equipment,
        models.CASCADE,
        related_name="readings",
        db_index=False,
        verbose_name=_("equipment"),
    )
    time = models.DateTimeField(_("measured at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    metrics = models.JSONField(_("metrics"), default=dict)
    message_id = models.CharField(_("message id"), max_length=100, null=True, blank=True)

    class Meta:
        ordering = ["-time"]
        verbose_name = _("telemetry reading")
        verbose_name_plural = _("telemetry readings")
        indexes = [models.Index(fields=["equipment", "-time"])]
        constraints = [
            models.UniqueConstraint(
                fields=["equipment", "message_id"], name="reading_unique_message_per_device"
            )
        ]

    def __str__(self) -> str:
        return f"{self.equipment_id} @ {self.time:%Y-%m-%d %H:%M:%S}"


class DeviceTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at=None)


class DeviceToken(models.Model):
    """The API key of one device or gateway. Only a hash of the key is stored.

    A token reports for the equipment it owns, or for every device when it belongs to
    the city's own gateway network (`all_equipment`).
    """

    name = models.CharField(_("name"), max_length=100)
    key_prefix = models.CharField(_("key starts with"), max_length=8, editable=False)
    key_hash = models.CharField(
        max_length=64, unique=True, editable=False, verbose_name=_("key hash")
    )
    equipment = models.ManyToManyField(
        Equipment, blank=True, related_name="device_tokens", verbose_name=_("owned equipment")
    )
    all_equipment = models.BooleanField(
        _("reports for every device"),
        default=False,
        help_text=_("For the city's own gateways and the simulator."),
    )
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = DeviceTokenQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("device token")
        verbose_name_plural = _("device tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Command(models.Model):
    """An order sent to one device, from request to the device's acknowledgement."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SENT = "sent", _("Sent")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        FAILED = "failed", _("Failed")
        TIMED_OUT = "timed_out", _("Timed out")
        # Not delivered by its deadline (`expires_at`): dropped, never sent late.
        EXPIRED = "expired", _("Expired")

    equipment = models.ForeignKey(
        Equipment, models.PROTECT, related_name="commands", verbose_name=_("equipment")
    )
    action = models.CharField(_("action"), max_length=30)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    # Who asked when no person did directly: "crisis:12", "priority", "market-regulation".
    origin = models.CharField(_("origin"), max_length=60, blank=True, db_index=True)
    # The device's state before the command, for the keys the command changes: what a
    # rollback puts back.
    previous_state = models.JSONField(_("state before"), default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    requested_at = models.DateTimeField(_("requested at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    deadline_at = models.DateTimeField(_("acknowledgement due by"), null=True, blank=True)
    # Past this instant the command is dropped as expired rather than delivered late: a
    # lockdown's locks must not reach the buildings an hour after it was rolled back.
    expires_at = models.DateTimeField(_("deliver by"), null=True, blank=True)
    # When it was last handed to the background jobs: a command still requested long after
    # is stranded (a worker crashed) and is handed over again.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("command")
        verbose_name_plural = _("commands")
        indexes = [
            models.Index(fields=["status", "deadline_at"]),
            models.Index(fields=["status", "queued_at"]),
            models.Index(fields=["equipment", "-requested_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.action} → {self.equipment_id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_COMMAND_STATUSES


FINISHED_COMMAND_STATUSES = (
    Command.Status.ACKNOWLEDGED,
    Command.Status.FAILED,
    Command.Status.TIMED_OUT,
    Command.Status.EXPIRED,
)


class Camera(models.Model):
    """A video-protection camera as a stream: where the media gateway pulls its pictures, how
    it is steered, and what it sees on the map. Its login to the camera is kept encrypted
    (equipment/cameras.py) and never shown back."""

    equipment = models.OneToOneField(
        Equipment,
        models.CASCADE,
        primary_key=True,
        related_name="camera",
        limit_choices_to={"kind": Equipment.Kind.CAMERA},
        verbose_name=_("equipment"),
    )
    main_stream_url = models.CharField(
        _("main stream (RTSP)"),
        max_length=300,
        blank=True,
        help_text=_("Full-resolution stream, as rtsp://host:554/path, without login."),
    )
    sub_stream_url = models.CharField(
        _("sub stream (RTSP)"),
        max_length=300,
        blank=True,
        help_text=_("Low-resolution stream for wall tiles, as rtsp://host:554/path."),
    )
    onvif_url = models.CharField(
        _("ONVIF service address"),
        max_length=300,
        blank=True,
        help_text=_("As http://host:80/onvif/device_service."),
    )
    # Fernet tokens (key CAMERA_CREDENTIALS_KEY): never sent to a page, the API or the log.
    username_encrypted = models.TextField(_("encrypted username"), blank=True, editable=False)
    password_encrypted = models.TextField(_("encrypted password"), blank=True, editable=False)
    ptz = models.BooleanField(_("pan, tilt and zoom"), default=False)
    # [{"token": "1", "name": "Entrance"}, ...]: the camera's own presets, by ONVIF token.
    presets = models.JSONField(_("PTZ presets"), default=list, blank=True)
    direction = models.FloatField(
        _("direction (degrees)"),
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(360)],
        help_text=_("Where the camera looks, clockwise from north."),
    )
    field_angle = models.FloatField(
        _("field of view angle (degrees)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(360)],
    )
    range_m = models.PositiveIntegerField(
        _("range (m)"),
        default=150,
        validators=[MinValueValidator(1), MaxValueValidator(5000)],
        help_text=_("How far the camera sees usefully, in metres."),
    )

    class Transport(models.TextChoices):
        WEBRTC = "webrtc", _("WebRTC (its H.264 relayed as it comes)")
        MJPEG = "mjpeg", _("MJPEG (decoded and encoded again by the gateway)")

    # MJPEG for a camera whose video the screens cannot take as it comes (not the H.264
    # browsers decode); the screens also fall back to it when WebRTC fails for them.
    transport = models.CharField(
        _("to the screens as"),
        max_length=8,
        choices=Transport.choices,
        default=Transport.WEBRTC,
    )
    # Simulated cameras (ondijon/demo/cameras.py) are drawn by the gateway itself.
    simulated = models.BooleanField(_("simulated"), default=False)

    class Meta:
        ordering = ["equipment__code"]
        verbose_name = _("camera")
        verbose_name_plural = _("cameras")
        permissions = [
            ("watch_camera", _("Can watch live video")),
            ("move_camera", _("Can steer a camera (PTZ)")),
        ]

    def __str__(self) -> str:
        return self.equipment.code

    @property
    def has_credentials(self) -> bool:
        return bool(self.username_encrypted or self.password_encrypted)

    def clean(self) -> None:
        from equipment.camera_checks import camera_problems

        problems = camera_problems(self)
        if problems:
            raise ValidationError(problems)
