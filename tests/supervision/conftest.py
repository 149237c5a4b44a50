"""The supervision tests' shared fixtures."""

import pytest
from django.test import override_settings


@pytest.fixture(autouse=True)
def checkpoint_file(tmp_path):
    """The events chain's checkpoints go to a file of the test's own: never to the one a
    `demo` run of this checkout wrote for its own database (it would not match this one)."""
    path = tmp_path / "sink" / "events-checkpoints.jsonl"
    with override_settings(EVENTS_CHECKPOINT_FILE=str(path)):
        yield path


@pytest.fixture
def fast_user(db, django_user_model):
    """A user of a role made without hashing a password, for tests that log in with
    `force_login` once per role (the device console's role tests)."""
    from django.contrib.auth.models import Group

    from ondijon import roles

    def make(role: str | None = None, username: str | None = None, **extra):
        user = django_user_model.objects.create(
            username=username or f"{role or 'nobody'}-user",
            is_staff=role == roles.ADMINISTRATOR,
            **extra,
        )
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make
