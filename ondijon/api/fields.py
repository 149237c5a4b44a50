"""Serializer fields that take only what the database stores and give back valid RFC 3339.

Every serializer of the API uses these (a contract test checks it): DRF's own date-time field
takes ISO week dates, comma decimals and any offset PostgreSQL then refuses, and prints a date
before 1911 with Paris's local mean time offset (`+00:09:21`), which is not RFC 3339; its
slug field sends a NUL character to the database, which refuses it with a 500.
"""

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.db import models
from rest_framework import serializers

from ondijon import inputs


class DateTimeField(serializers.DateTimeField):
    """RFC 3339 in and out, inside the platform's window (`future`: how far ahead of now a
    value may be; default the `INPUT_MAX_FUTURE_DAYS` setting)."""

    def __init__(self, *args, future: timedelta | Callable[[], timedelta] | None = None, **kwargs):
        self.future = future
        super().__init__(*args, **kwargs)

    def to_internal_value(self, value):
        if isinstance(value, datetime):
            parsed = value
        else:
            try:
                parsed = inputs.parse_timestamp(value)
            except inputs.BadValue as error:
                raise serializers.ValidationError(str(error), code="invalid") from None
        if parsed.tzinfo is None:
            return super().to_internal_value(parsed)  # made aware in the current time zone
        try:
            future = self.future() if callable(self.future) else self.future
            inputs.check_window(parsed, future)
        except inputs.BadValue as error:
            raise serializers.ValidationError(str(error), code="out_of_range") from None
        return self.enforce_timezone(parsed)

    def to_representation(self, value):
        if not value or isinstance(value, str):
            return value or None
        return rfc3339(value)


def rfc3339(value: datetime) -> str:
    """In the current time zone when its offset is whole minutes (RFC 3339 knows no seconds
    in an offset) and the value fits in it; in UTC otherwise."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = None
    with contextlib.suppress(OverflowError, ValueError):
        local = value.astimezone(_current_zone())
    offset = local.utcoffset() if local is not None else None
    if offset is None or offset % timedelta(minutes=1):
        local = value.astimezone(UTC)
    text = local.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _current_zone():
    from django.utils import timezone

    return timezone.get_current_timezone()


def no_nul(value) -> None:
    if isinstance(value, str) and inputs.text_problem(value):
        raise serializers.ValidationError(inputs.text_problem(value), code="null_characters")


def storable_json(value) -> None:
    """A validator: the JSON value can be stored and read back (see `inputs.json_problem`)."""
    problem = inputs.json_problem(value)
    if problem:
        raise serializers.ValidationError(problem, code="invalid")


class JSONField(serializers.JSONField):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.validators.append(storable_json)


class DictField(serializers.DictField):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.validators.append(storable_json)


class SlugRelatedField(serializers.SlugRelatedField):
    """A related object by its code; a code with a NUL character is simply unknown."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
        return super().to_internal_value(data)


class ModelSerializer(serializers.ModelSerializer):
    """DRF's model serializer with the fields above for the model fields they cover."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
        models.JSONField: JSONField,
    }
