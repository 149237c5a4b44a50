from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy


class OndijonConfig(AppConfig):
    name = "ondijon"
    verbose_name = gettext_lazy("ondijon platform")

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from ondijon import lockouts, roles

        # django-axes tells of a lockout by a signal; the log is written by the service.
        user_locked_out.connect(lockouts.on_user_locked_out, dispatch_uid="ondijon-lockouts")

        # Roles are code: every migrate brings the groups' permissions up to date, once the
        # last app has migrated (only then do every app's permissions exist).
        last_app = list(self.apps.get_app_configs())[-1]
        post_migrate.connect(roles.sync_roles_after_migrate, sender=last_app)
