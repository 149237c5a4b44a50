"""Service-backed viewsets: the API writes only through the apps' service functions.

Each change the room sees is written with its event by a service function (the one door), so
a viewset never saves a serializer itself. The write mixins here take the validated data to the
service the viewset names:

    class TeamViewSet(ServiceModelViewSet):
        create_service = services.create_team      # (data, actor) -> the new object
        update_service = services.update_team      # (object, changes, actor) -> the object
        delete_service = services.delete_team      # (object, actor) -> None

A viewset offers only the writes whose mixin it takes, and a mixin without its service is
refused when the class is defined. Custom write actions (`@action(methods=["post"])`) call a
service in their body and say so with `@service_action`; the contract test
(tests/contract/test_one_door.py) walks the router and fails for any other write.
"""

import inspect
from collections.abc import Callable
from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from rest_framework import mixins, viewsets

# Write actions of the router, the service each needs, and the mixin method that calls it.
WRITE_ACTIONS = {
    "create": ("create_service", "perform_create"),
    "update": ("update_service", "perform_update"),
    "partial_update": ("update_service", "perform_update"),
    "destroy": ("delete_service", "perform_destroy"),
}


def service_action(function: Callable) -> Callable:
    """Mark a custom write action (or a hand-written create) whose body calls a service."""
    function.calls_service = True
    return function


class ServiceBacked:
    """Wraps the named services so they are called as plain functions, and refuses a class
    that takes a write mixin without naming its service."""

    create_service: ClassVar[Callable[..., Any] | None] = None
    update_service: ClassVar[Callable[..., Any] | None] = None
    delete_service: ClassVar[Callable[..., Any] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in ("create_service", "update_service", "delete_service"):
            if inspect.isfunction(vars(cls).get(name)):
                setattr(cls, name, staticmethod(vars(cls)[name]))
        if cls.__module__ == __name__:
            return  # the bases below name no service: every viewset built on them does
        for mixin, name in WRITE_MIXINS:
            if issubclass(cls, mixin) and getattr(cls, name) is None:
                raise ImproperlyConfigured(
                    f"{cls.__qualname__} writes through {mixin.__name__}: name its {name}."
                )


class ServiceCreateMixin(ServiceBacked, mixins.CreateModelMixin):
    def perform_create(self, serializer) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = self.create_service(data, self.request.user)


class ServiceUpdateMixin(ServiceBacked, mixins.UpdateModelMixin):
    def perform_update(self, serializer) -> None:
        changes = dict(serializer.validated_data)
        serializer.instance = self.update_service(serializer.instance, changes, self.request.user)


class ServiceDestroyMixin(ServiceBacked, mixins.DestroyModelMixin):
    def perform_destroy(self, instance) -> None:
        self.delete_service(instance, self.request.user)


WRITE_MIXINS = [
    (ServiceCreateMixin, "create_service"),
    (ServiceUpdateMixin, "update_service"),
    (ServiceDestroyMixin, "delete_service"),
]


class ServiceModelViewSet(
    ServiceCreateMixin,
    ServiceUpdateMixin,
    ServiceDestroyMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Everything a ModelViewSet offers, each write through the service the subclass names."""
