from django.apps import AppConfig


class OndijonConfig(AppConfig):
    name = "ondijon"
    verbose_name = "ondijon platform"
