"""The admin's shared parts: a Leaflet map without GeoDjango (see the listed objects, place one
by click, on plain `latitude`/`longitude` fields, so no GDAL is needed: see STACK-NOTES), a
read-only admin, and a service-backed admin for everything the room sees.
"""

import inspect
from collections.abc import Callable
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from ondijon.api.errors import Conflict
from ondijon.inputs import json_problem

MAP_POINTS_LIMIT = 3000


class StorableJSONField(forms.JSONField):
    """JSON typed in the admin, refused with the field's error when the database could not
    store it or the platform read it back (NaN, Infinity, 1e400, NUL characters, nesting
    deeper than the API's bound): the same checks as every other door (ondijon/inputs.py)."""

    def to_python(self, value):
        try:
            converted = super().to_python(value)
        except RecursionError:
            converted = None
            problem = _("Nested deeper than %(depth)d levels.") % {
                "depth": settings.API_MAX_JSON_DEPTH
            }
        else:
            problem = json_problem(converted)
        if problem is not None:
            raise ValidationError(problem, code="invalid")
        return converted

    def bound_data(self, data, initial):
        try:
            return super().bound_data(data, initial)
        except RecursionError:
            return forms.fields.InvalidJSONInput(data)


# Every JSON field of a service-backed admin and of its inlines.
STORABLE_JSON = {models.JSONField: {"form_class": StorableJSONField}}


class MapAdminMixin:
    change_form_template = "admin/map_change_form.html"
    change_list_template = "admin/map_change_list.html"
    map_label_field = "pk"

    def map_points(self, queryset) -> list[dict]:
        rows = queryset.exclude(latitude=None).values_list(
            "pk", self.map_label_field, "latitude", "longitude"
        )[:MAP_POINTS_LIMIT]
        return [
            {"id": pk, "label": str(label), "lat": lat, "lon": lon} for pk, label, lat, lon in rows
        ]

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            context["map_points"] = self.map_points(context["cl"].queryset)
            context["map_points_limit"] = MAP_POINTS_LIMIT
        return response


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that are written by the platform only (events, readings)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Service-backed admin ------------------------------------------------------------------


def service_admin_action(function: Callable) -> Callable:
    """Mark a bulk action of a service-backed admin whose body calls a service per object."""
    function.calls_service = True
    return function


@service_admin_action
@admin.action(permissions=["delete"])
def delete_selected(modeladmin, request, queryset):
    """Django's "Delete selected" (its confirmation page, then `delete_queryset`), all or
    nothing: one object the service refuses to delete and none is deleted."""
    try:
        with transaction.atomic(using=router.db_for_write(modeladmin.model)):
            return django_delete_selected(modeladmin, request, queryset)
    except (Conflict, ValidationError) as refusal:
        modeladmin.message_user(request, refusal_message(refusal), messages.ERROR)
        return None


def refusal_message(refusal: Exception) -> str:
    if isinstance(refusal, Conflict):
        return refusal.message
    return " ".join(refusal.messages)


class ServiceAdmin(admin.ModelAdmin):
    """An admin that writes only through the app's service functions, so that each change an
    administrator makes is in the events log and on the screens, like any other change.

    Name the services as a viewset does (ondijon/api/viewsets.py):
    `create_service(data, actor)`, `update_service(object, changes, actor)`,
    `delete_service(object, actor)`. Adding, changing or deleting is offered only when its
    service is named. The form's changed fields (and the inlines named in `service_inlines`,
    as lists of rows) go to the service in one call; other inlines are saved as usual, so they
    must hold nothing the room sees. A refusal (409 Conflict) is shown as a message.
    """

    create_service: ClassVar[Callable[..., Any] | None] = None
    update_service: ClassVar[Callable[..., Any] | None] = None
    delete_service: ClassVar[Callable[..., Any] | None] = None
    # Inlines whose rows are part of the object's change, by their relation's name.
    service_inlines: ClassVar[tuple[str, ...]] = ()
    formfield_overrides = STORABLE_JSON

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in ("create_service", "update_service", "delete_service"):
            if inspect.isfunction(vars(cls).get(name)):
                setattr(cls, name, staticmethod(vars(cls)[name]))

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        for inline in inlines:
            inline.formfield_overrides.setdefault(models.JSONField, {}).update(
                STORABLE_JSON[models.JSONField]
            )
        return inlines

    # --- what may be done ---

    def has_add_permission(self, request) -> bool:
        return self.create_service is not None and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.update_service is not None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.delete_service is not None and super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            actions["delete_selected"] = (
                delete_selected,
                "delete_selected",
                actions["delete_selected"][2],
            )
        return actions

    # --- saving ---

    def save_model(self, request, obj, form, change) -> None:
        """Nothing yet: `save_related` hands the change to the service with its inlines."""

    def save_related(self, request, form, formsets, change) -> None:
        obj = form.instance
        data = (
            {name: form.cleaned_data[name] for name in form.changed_data}
            if change
            else dict(form.cleaned_data)
        )
        for formset in formsets:
            if formset.prefix in self.service_inlines and formset.has_changed():
                data[formset.prefix] = inline_rows(formset)
        if change:
            current = self.model._base_manager.get(pk=obj.pk)
            # Saved without a change: nothing to write, nothing to log.
            saved = self.update_service(current, data, request.user) if data else current
        else:
            saved = self.create_service(data, request.user)
        adopt(obj, saved)
        for formset in formsets:
            if formset.prefix in self.service_inlines:
                # Saved by the service: nothing for the admin's history to list row by row.
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            else:
                formset.instance = obj
                self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj) -> None:
        self.delete_service(obj, request.user)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic(using=router.db_for_write(self.model)):
            for obj in queryset.order_by("pk"):
                self.delete_service(obj, request.user)

    # --- refusals as messages, never a 500 ---

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (Conflict, ValidationError) as refusal:
            self.message_user(request, refusal_message(refusal), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except (Conflict, ValidationError) as refusal:
            self.message_user(request, refusal_message(refusal), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except (Conflict, ValidationError) as refusal:
            self.message_user(request, refusal_message(refusal), messages.ERROR)
            change = f"admin:{self.opts.app_label}_{self.opts.model_name}_change"
            return HttpResponseRedirect(reverse(change, args=[object_id]))


def inline_rows(formset) -> list[dict]:
    """An inline's rows as the service takes them: each kept row's fields, `id` None for a
    new one; deleted rows are left out."""
    rows = []
    for form in formset.forms:
        if not form.has_changed() and form.instance.pk is None:
            continue  # an empty extra row
        if formset.can_delete and formset._should_delete_form(form):
            continue
        row = {
            name: value
            for name, value in form.cleaned_data.items()
            if name not in ("DELETE", "id", formset.fk.name)
        }
        row["id"] = form.instance.pk
        rows.append(row)
    return rows


def adopt(obj, saved) -> None:
    """Make the admin's object the one the service saved (the admin logs it, redirects to it)."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db
