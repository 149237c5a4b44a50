"""The platform's own processes, as the room sees them: which run, which went silent."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlatformProcess(models.Model):
    """A long-running process of the platform, with its last sign of life.

    Each process reports itself every few seconds (`ondijon/liveness.py`); a periodic check
    (`supervision/platform/`) marks one that fell silent as stopped and one that speaks again
    as running, each change an event of the log."""

    class Kind(models.TextChoices):
        WEB = "web", _("Web server (daphne)")
        WORKER = "worker", _("Background worker (Celery)")
        BEAT = "beat", _("Periodic jobs (Celery beat)")
        MQTT_BRIDGE = "mqtt_bridge", _("MQTT telemetry bridge")
        ACK_LISTENER = "ack_listener", _("Command acknowledgement listener")
        EMBEDDED = "embedded", _("Whole platform in one process (embedded default)")

    class State(models.TextChoices):
        RUNNING = "running", _("running")
        STOPPED = "stopped", _("stopped")

    name = models.CharField(_("name"), max_length=150, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    host = models.CharField(_("host"), max_length=150)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started at"))
    last_seen_at = models.DateTimeField(_("last sign of life"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.RUNNING
    )
    state_changed_at = models.DateTimeField(_("state changed at"))

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("platform process")
        verbose_name_plural = _("platform processes")

    def __str__(self) -> str:
        return self.name
