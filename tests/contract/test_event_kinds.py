"""Every kind of event the code can write is named for people (supervision/log/kinds.py) and has
its payload's schema (supervision/api/shapes.py): a person never reads `alert.raised` where a
name belongs, and a partner reading the API knows each kind's payload.

The kinds are found in the source as written: string constants shaped `subject.step` whose
subject is one the log knows, less Django's own dotted names (permissions, model labels,
modules) that share the apps' names."""

import ast
import importlib.util

import pytest
from django.apps import apps
from django.utils import translation

from equipment.catalogue import CATALOGUE
from supervision.api import shapes
from supervision.log import kinds
from tests.conftest import ROOT

APPS = ("equipment", "interventions", "hotline", "geography", "supervision", "ondijon")
# Kinds built from a step (interventions/services.py: f"intervention.team_{step}").
BUILT = {f"intervention.team_{step}" for step in ("en_route", "on_site", "done")}


def django_names() -> set[str]:
    """Permissions, model labels and the devices' actions: `hotline.view_call` and
    `camera.goto_preset` are no kinds of event."""
    names = {f"{kind}.{action}" for kind, actions in CATALOGUE.items() for action in actions}
    for model in apps.get_models():
        meta = model._meta
        names.add(meta.label_lower)
        for action in meta.default_permissions:
            names.add(f"{meta.app_label}.{action}_{meta.model_name}")
        names.update(f"{meta.app_label}.{codename}" for codename, _ in meta.permissions)
    return names


def kinds_in_source() -> dict[str, str]:
    # A kind's subject is one the log names already, an app, or any of the apps' models (a new model's
    # events must not slip past for want of a name).
    subjects = (
        {kind.split(".")[0] for kind in kinds.KIND_NAMES}
        | set(APPS)
        | {
            model._meta.model_name
            for app in APPS
            for model in apps.get_app_config(app).get_models()
        }
    )
    skip = django_names()
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts or "demo" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            # Not kinds: the pieces of f-strings (BUILT), a serializer field's `source=`.
            ignored = {
                id(part)
                for node in ast.walk(tree)
                if isinstance(node, ast.JoinedStr)
                for part in node.values
            } | {
                id(node.value)
                for node in ast.walk(tree)
                if isinstance(node, ast.keyword) and node.arg == "source"
            }
            for node in ast.walk(tree):
                if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
                    continue
                subject, dot, step = node.value.partition(".")
                if id(node) in ignored or not dot or subject not in subjects:
                    continue
                if not step.replace("_", "").isalpha() or not step.islower():
                    continue
                if node.value in skip or (
                    subject in APPS and importlib.util.find_spec(node.value) is not None
                ):
                    continue
                found.setdefault(node.value, str(path.relative_to(ROOT)))
    return found


def test_every_kind_in_the_source_is_named_and_has_a_payload_schema():
    found = kinds_in_source()
    assert "alert.raised" in found and "hotline.call_logged" in found  # the scan reads the code
    unnamed = {kind: where for kind, where in found.items() if kind not in kinds.KIND_NAMES}
    assert not unnamed, unnamed
    assert set(kinds.KIND_NAMES) == set(found) | BUILT  # no name left for a kind gone
    assert set(shapes.EVENT_PAYLOADS) == set(kinds.KIND_NAMES)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_each_kind_and_subject_has_its_own_name_in_each_language(language):
    with translation.override(language):
        names = [str(name) for name in kinds.KIND_NAMES.values()]
        subjects = [str(name) for name in kinds.SUBJECT_NAMES.values()]
    assert len(set(names)) == len(names)  # two kinds never read the same
    assert all(name and "." not in name and "_" not in name for name in names + subjects)
    with translation.override(language):
        assert (
            kinds.kind_name("alert.raised")
            == {"fr": "Alerte levée", "en": "Alert raised"}[language]
        )
        assert kinds.kind_name("test.entry") == "test.entry"  # not named yet: its code
