"""Every serializer of the API takes date-times and codes through the project's fields
(ondijon/api/fields.py): DRF's own accept what PostgreSQL refuses and print what RFC 3339 does
not allow, so a serializer added with them would bring the 500s back."""

import importlib
import pkgutil

from rest_framework import serializers

APPS = ["equipment", "interventions", "hotline", "geography", "supervision"]


def api_serializers() -> list[type[serializers.Serializer]]:
    for app in APPS:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".api" in module.name and "migrations" not in module.name:
                importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return [
        cls for cls in subclasses(serializers.Serializer) if cls.__module__.split(".")[0] in APPS
    ]


def test_serializers_use_the_fields_that_refuse_what_cannot_be_stored():
    found = api_serializers()
    assert len(found) > 10
    wrong = []
    for cls in found:
        for name, field in cls().fields.items():
            if type(field) is serializers.DateTimeField:
                wrong.append(f"{cls.__module__}.{cls.__name__}.{name}: DateTimeField")
            if type(field) is serializers.SlugRelatedField:
                wrong.append(f"{cls.__module__}.{cls.__name__}.{name}: SlugRelatedField")
            if (
                isinstance(field, serializers.ManyRelatedField)
                and type(field.child_relation) is serializers.SlugRelatedField
            ):
                wrong.append(f"{cls.__module__}.{cls.__name__}.{name}: SlugRelatedField")
    assert not wrong, f"use ondijon.api.fields instead: {wrong}"
