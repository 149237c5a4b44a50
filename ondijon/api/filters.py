"""Filters shared by the apps' FilterSets."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from ondijon import inputs


class YesNoField(forms.Field):
    """`true` or `false` (or 1 and 0, in any case); anything else is refused, not ignored."""

    ANSWERS = {"true": True, "1": True, "false": False, "0": False}
    default_error_messages = {"invalid": _("Expected true or false.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        answer = self.ANSWERS.get(str(value).lower())
        if answer is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return answer


class YesNoFilter(django_filters.BooleanFilter):
    """A yes/no filter for the API: `?open=maybe` is a 400, where Django's own boolean
    filter would quietly not filter at all."""

    field_class = YesNoField


class ComparableDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time the database can compare: an offset PostgreSQL refuses (beyond
    ±14:00 here) or a date that leaves the calendar once in UTC is a 400, not a 500."""

    def to_python(self, value):
        result = super().to_python(value)
        if result is not None:
            try:
                inputs.filter_time(result)
            except inputs.BadValue as error:
                raise ValidationError(str(error), code="invalid") from None
        return result


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    """The API's date-time filter (`?since=2026-11-27T18:00:00+01:00`)."""

    field_class = ComparableDateTimeField
