"""Filters shared by the apps' FilterSets."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


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
