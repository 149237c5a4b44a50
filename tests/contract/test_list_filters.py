"""Every list of the API filters through a FilterSet, and a bad filter value is a 400 that
names the field, never a 200 that quietly ignores it or filters on nonsense."""

import pytest
from django import forms
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.test import APIClient

from ondijon.urls import api_router

BAD_VALUE = "not-a-valid-value"
# Lists that take no filter at all: a handful of rows each, read whole.
WITHOUT_FILTERS = {"hotline/categories", "crisis-modes", "crisis-activations"}


def list_endpoints() -> list[tuple[str, type]]:
    return [
        (prefix, viewset) for prefix, viewset, _ in api_router.registry if hasattr(viewset, "list")
    ]


def takes_any_text(filter_) -> bool:
    """A code or a name: any text is a value to look for (an unknown one matches nothing)."""
    return filter_.field_class is forms.CharField and filter_.method is None


def filter_cases() -> list:
    cases = []
    for prefix, viewset in list_endpoints():
        filterset = getattr(viewset, "filterset_class", None)
        if filterset is None:
            continue
        for name, filter_ in filterset.base_filters.items():
            if not takes_any_text(filter_):
                cases.append(pytest.param(prefix, name, id=f"{prefix}?{name}"))
    return cases


@pytest.fixture
def superuser_api(django_user_model):
    from django.contrib.auth.models import Permission

    root = django_user_model.objects.create_superuser("root", "", "x")
    # Personal data opens only to an explicit grant, a superuser's included.
    root.user_permissions.add(Permission.objects.get(codename="view_personal_data"))
    client = APIClient()
    client.force_authenticate(root)
    return client


@pytest.mark.parametrize(
    ("prefix", "viewset"), list_endpoints(), ids=[prefix for prefix, _ in list_endpoints()]
)
def test_every_list_filters_through_a_filterset(prefix, viewset):
    if prefix in WITHOUT_FILTERS:
        assert getattr(viewset, "filterset_class", None) is None
        return
    assert DjangoFilterBackend in [backend for backend in viewset().filter_backends]
    assert getattr(viewset, "filterset_class", None) is not None, (
        f"/api/v1/{prefix}/ filters by hand: give it a FilterSet"
    )


@pytest.mark.parametrize(("prefix", "name"), filter_cases())
def test_a_bad_filter_value_is_refused_with_the_field_named(superuser_api, prefix, name):
    response = superuser_api.get(f"/api/v1/{prefix}/", {name: BAD_VALUE})
    assert response.status_code == 400, response.content
    assert name in response.json()


def test_the_commands_list_refuses_an_unknown_status(superuser_api):
    response = superuser_api.get("/api/v1/commands/", {"status": "lost"})
    assert response.status_code == 400
    assert "status" in response.json()
