"""Shared model pieces: WGS84 coordinates validated at the model level."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


def latitude_field(**kwargs) -> models.FloatField:
    return models.FloatField(
        _("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)], **kwargs
    )


def longitude_field(**kwargs) -> models.FloatField:
    return models.FloatField(
        _("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)], **kwargs
    )
