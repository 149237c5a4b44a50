from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "hotline"
    verbose_name = _("Citizen hotline")

    def ready(self) -> None:
        # Registers the periodic tasks with Celery in every process (web, beat thread, worker),
        # not only where Celery's autodiscovery runs.
        from . import tasks  # noqa: F401
