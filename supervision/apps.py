from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = _("Supervision")

    def ready(self) -> None:
        from . import roles

        # Roles are code: every migrate brings the groups' permissions up to date.
        post_migrate.connect(roles.sync_roles_after_migrate, sender=self)
