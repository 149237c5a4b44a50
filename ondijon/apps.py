from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OndijonConfig(AppConfig):
    name = "ondijon"
    verbose_name = "ondijon platform"

    def ready(self) -> None:
        from ondijon import roles

        # Roles are code: every migrate brings the groups' permissions up to date, once the
        # last app has migrated (only then do every app's permissions exist).
        last_app = list(self.apps.get_app_configs())[-1]
        post_migrate.connect(roles.sync_roles_after_migrate, sender=last_app)
