"""Deleting a record the room has seen: refused, with the reason, while other records refer to it.

A deletion that quietly empties or cascades into other records (an alert losing its device, an
intervention losing its team) would change what screens show without an event. So a service
deletes a record only when nothing refers to it but what goes with it (its own history, its
derived state), named by model label; anything else is a 409 Conflict that says what to do.
"""

from collections.abc import Iterable

from django.db import models
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from ondijon.api.errors import Conflict


def references(instance: models.Model, deleted_with: Iterable[str] = ()) -> dict[str, int]:
    """How many records of each other kind refer to `instance`, by their verbose name, leaving
    out the models in `deleted_with` ("equipment.reading"), whose records go with it."""
    going = set(deleted_with)
    counts: dict[str, int] = {}
    for relation in instance._meta.get_fields(include_hidden=True):
        if not relation.auto_created or relation.concrete or not relation.is_relation:
            continue  # not a relation from another model to this one
        model = relation.related_model
        if model._meta.auto_created:
            continue  # the table behind a many-to-many: counted through the model that owns it
        if model._meta.label_lower in going:
            continue
        count = model._base_manager.filter(**{relation.field.name: instance}).count()
        if count:
            options = model._meta
            name = options.verbose_name if count == 1 else options.verbose_name_plural
            counts[str(name)] = counts.get(str(name), 0) + count
    return counts


def refuse_while_referenced(
    instance: models.Model, deleted_with: Iterable[str] = (), instead: str = ""
) -> None:
    """Raise a Conflict naming what still refers to `instance`, and what to do `instead`."""
    found = references(instance, deleted_with)
    if not found:
        return
    listed = get_text_list([f"{count} {name}" for name, count in found.items()], _("and"))
    message = _("%(record)s cannot be deleted while records refer to it (%(references)s).") % {
        "record": instance,
        "references": listed,
    }
    raise Conflict(f"{message} {instead}".strip(), code="referenced")
