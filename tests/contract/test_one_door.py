"""One door: every write path of what the room sees goes through a service function, which
writes the change and its event together. This walks the API router and the admin registry
and fails for a write that does not, unless it is explicitly read-only."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from rest_framework import decorators, mixins, viewsets

from equipment.models import Camera, Command, District, Equipment, Reading, Site
from hotline.models import Call
from interventions.models import Assignment, Intervention, Team
from ondijon.admin import ReadOnlyAdmin, ServiceAdmin
from ondijon.api.viewsets import WRITE_ACTIONS, WRITE_MIXINS, ServiceModelViewSet
from ondijon.urls import api_router
from supervision.live import streams as desks
from supervision.models import (
    Alert,
    AlertRule,
    CommandSchedule,
    CommandSelection,
    CrisisMode,
    Event,
    MarketOccupancy,
    ModeActivation,
    PlaybookAction,
    PriorityRequest,
    WallScreen,
)
from supervision.wall import state as wall

# What the room sees, by the subject type its events carry: in a wall or desk snapshot, in a
# live stream, or in the events log the room keeps.
ROOM_SEES = {
    "equipment": Equipment,
    "team": Team,
    "intervention": Intervention,
    "alert": Alert,
    "market": Site,
    "site": Site,
    "district": District,
    "priority": PriorityRequest,
    "command": Command,
    "crisis": ModeActivation,
    "crisis_mode": CrisisMode,
    "call": Call,
    "alert_rule": AlertRule,
    "wall_screen": WallScreen,
    "note": Event,
    # The device console's selections and planned commands.
    "selection": CommandSelection,
    "schedule": CommandSchedule,
    "camera": Camera,
}
# Records that change what those show without being a subject of their own.
ALSO_SEEN = {Assignment, PlaybookAction, MarketOccupancy, Reading}
ROOM_MODELS = set(ROOM_SEES.values()) | ALSO_SEEN


def test_the_list_covers_every_object_a_screen_draws():
    assert set(wall.OBJECT_TYPES) <= set(ROOM_SEES)
    assert {*desks.ALERT_DESK_GROUPS, *desks.DISPATCH_GROUPS} <= set(ROOM_SEES)


# --- The API ----------------------------------------------------------------------------------


def api_write_problems(viewset: type) -> list[str]:
    """Why a viewset's writes are not all service-backed (empty: they are).

    The router's standard writes must come from the service mixins, with their service named
    and their `perform_*` left as is (or be hand-written and marked `@service_action`); every
    other route that takes POST, PUT, PATCH or DELETE must be marked `@service_action`.
    """
    problems = []
    for action, (service, perform) in WRITE_ACTIONS.items():
        if not hasattr(viewset, action):
            continue
        if getattr(getattr(viewset, action), "calls_service", False):
            continue
        mixin = next(m for m, name in WRITE_MIXINS if name == service)
        if not issubclass(viewset, mixin) or getattr(viewset, service) is None:
            problems.append(f"{viewset.__name__}.{action} does not go through a service")
        elif getattr(viewset, perform) is not getattr(mixin, perform):
            problems.append(f"{viewset.__name__}.{perform} is overridden: the service is bypassed")
    for extra in viewset.get_extra_actions():
        writes = set(extra.mapping) - {"get", "head", "options"}
        if writes and not getattr(extra, "calls_service", False):
            problems.append(f"{viewset.__name__}.{extra.__name__} is not marked @service_action")
    return problems


@pytest.mark.parametrize(
    ("prefix", "viewset"), [(prefix, viewset) for prefix, viewset, _ in api_router.registry]
)
def test_every_api_write_goes_through_a_service(prefix, viewset):
    assert api_write_problems(viewset) == []


def test_the_router_serves_every_room_model_it_lists_through_the_bases():
    served = {
        viewset.queryset.model: viewset
        for _, viewset, _ in api_router.registry
        if getattr(viewset, "queryset", None) is not None
    }
    for model in (Equipment, Site, District, Team, Intervention):
        assert issubclass(served[model], ServiceModelViewSet), model


class PlainEquipmentViewSet(viewsets.ModelViewSet):
    queryset = Equipment.objects.all()


class OverriddenSave(ServiceModelViewSet):
    queryset = Equipment.objects.all()
    create_service = update_service = delete_service = staticmethod(lambda *args: None)

    def perform_update(self, serializer):
        serializer.save()


class HandWrittenWrites(mixins.CreateModelMixin, viewsets.GenericViewSet):
    queryset = Equipment.objects.all()

    @decorators.action(detail=True, methods=["post"])
    def repair(self, request, pk=None):
        pass


def test_the_api_check_fails_for_a_plain_viewset():
    assert api_write_problems(PlainEquipmentViewSet) == [
        "PlainEquipmentViewSet.create does not go through a service",
        "PlainEquipmentViewSet.update does not go through a service",
        "PlainEquipmentViewSet.partial_update does not go through a service",
        "PlainEquipmentViewSet.destroy does not go through a service",
    ]
    assert api_write_problems(OverriddenSave) == [
        "OverriddenSave.perform_update is overridden: the service is bypassed",
        "OverriddenSave.perform_update is overridden: the service is bypassed",
    ]
    assert api_write_problems(HandWrittenWrites) == [
        "HandWrittenWrites.create does not go through a service",
        "HandWrittenWrites.repair is not marked @service_action",
    ]


def test_a_service_mixin_without_its_service_cannot_be_defined():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="delete_service"):

        class Forgetful(ServiceModelViewSet):
            queryset = Equipment.objects.all()
            create_service = update_service = staticmethod(lambda *args: None)


# --- The admin --------------------------------------------------------------------------------


@pytest.fixture
def superuser_request():
    request = RequestFactory().get("/admin/")
    request.user = get_user_model()(username="root", is_superuser=True, is_staff=True)
    return request


def admin_write_problems(model_admin: admin.ModelAdmin, request) -> list[str]:
    """Why an admin lets a superuser write around the services (empty: it does not).

    A service-backed admin may write only what it names a service for, with its saving and
    deleting methods and bulk actions left to the base; any other admin must be read-only. An
    inline of something the room sees is read-only or handed to the service.
    """
    name = type(model_admin).__name__
    writes = {
        "add": model_admin.has_add_permission(request),
        "change": model_admin.has_change_permission(request),
        "delete": model_admin.has_delete_permission(request),
    }
    if not isinstance(model_admin, ServiceAdmin):
        return [f"{name} can {what} without a service" for what, can in writes.items() if can]
    problems = []
    needs = {"add": "create_service", "change": "update_service", "delete": "delete_service"}
    for what, can in writes.items():
        if can and getattr(model_admin, needs[what]) is None:
            problems.append(f"{name} can {what} but names no {needs[what]}")
    for method in ("save_model", "save_related", "delete_model", "delete_queryset"):
        if getattr(type(model_admin), method) is not getattr(ServiceAdmin, method):
            problems.append(f"{name}.{method} is overridden: the service is bypassed")
    for action, action_name, _ in model_admin.get_actions(request).values():
        if not getattr(action, "calls_service", False):
            problems.append(f"{name} action {action_name} does not go through a service")
    for inline in model_admin.get_inline_instances(request):
        formset = inline.get_formset(request)
        if inline.model not in ROOM_MODELS or formset.get_default_prefix() in (
            model_admin.service_inlines
        ):
            continue
        if (
            inline.has_add_permission(request, None)
            or inline.has_change_permission(request)
            or (inline.can_delete and inline.has_delete_permission(request))
        ):
            problems.append(f"{name} saves {inline.model.__name__} rows around the service")
    return problems


ROOM_ADMINS = [
    (model, model_admin)
    for model, model_admin in admin.site._registry.items()
    if model in ROOM_MODELS
]


@pytest.mark.parametrize(
    ("model", "model_admin"), ROOM_ADMINS, ids=[m.__name__ for m, _ in ROOM_ADMINS]
)
def test_every_admin_write_of_what_the_room_sees_goes_through_a_service(
    db, superuser_request, model, model_admin
):
    assert admin_write_problems(model_admin, superuser_request) == []


def test_the_room_models_with_an_admin_are_all_checked():
    checked = {model for model, _ in ROOM_ADMINS}
    assert {Equipment, Site, District, Team, Intervention, Alert, AlertRule} <= checked
    assert {WallScreen, CrisisMode, ModeActivation, Command, Event, Call} <= checked
    assert {CommandSelection, CommandSchedule} <= checked


def test_the_admin_check_fails_for_a_plain_admin(db, superuser_request):
    from supervision.admin import AlertAdmin

    plain = admin.ModelAdmin(Alert, admin.site)
    assert admin_write_problems(plain, superuser_request) == [
        "ModelAdmin can add without a service",
        "ModelAdmin can change without a service",
        "ModelAdmin can delete without a service",
    ]

    class SavesByHand(AlertAdmin):
        def save_model(self, request, obj, form, change):
            obj.save()

        @admin.action(description="Close")
        def close_all(self, request, queryset):
            queryset.update(status="closed")

        actions = ["close_all"]

    assert admin_write_problems(SavesByHand(Alert, admin.site), superuser_request) == [
        "SavesByHand.save_model is overridden: the service is bypassed",
        "SavesByHand action close_all does not go through a service",
    ]
    assert admin_write_problems(ReadOnlyAdmin(Alert, admin.site), superuser_request) == []
