"""What video protection keeps besides live pictures: the frame of each alert's nearest
camera, deleted with the view records' retention (VIDEO_RETENTION_DAYS)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from supervision.models.alerts import Alert


class AlertSnapshot(models.Model):
    """The frame the nearest camera covering an alert's place showed at the alert's time. An
    alert no camera covered keeps a row without a picture, so that it is looked at once."""

    alert = models.OneToOneField(
        Alert, models.CASCADE, related_name="snapshot", verbose_name=_("alert")
    )
    camera = models.ForeignKey(
        "equipment.Camera",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="snapshots",
        verbose_name=_("camera"),
    )
    # The camera's code as it was: the snapshot outlives a camera removed from the register.
    camera_code = models.CharField(_("camera code"), max_length=60, blank=True)
    taken_at = models.DateTimeField(_("taken at"), db_index=True)
    image = models.BinaryField(_("image (JPEG)"), blank=True, default=b"")
    width = models.PositiveIntegerField(_("width"), default=0)
    height = models.PositiveIntegerField(_("height"), default=0)

    class Meta:
        ordering = ["-taken_at"]
        verbose_name = _("alert snapshot")
        verbose_name_plural = _("alert snapshots")

    def __str__(self) -> str:
        return f"{self.camera_code or '-'} {self.taken_at:%Y-%m-%d %H:%M:%S}"

    @property
    def has_picture(self) -> bool:
        return bool(self.image)
