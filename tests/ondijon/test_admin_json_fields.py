"""JSON typed into the admin (a device's state, a district's boundary, a playbook step's
parameters) that the database cannot store or the platform read back is refused with the
field's error, not a server error, and nothing is saved."""

import pytest
from django.test import Client

from equipment.models import District, Equipment
from ondijon import roles
from supervision.models import CrisisMode, PlaybookAction
from tests import admin_forms

UNSTORABLE = {
    "not a number": '{"lamp": NaN}',
    "infinite": '{"lamp": Infinity}',
    "beyond a double": '{"lamp": 1e400}',
    "NUL in a value": '{"lamp": "on\\u0000"}',
    "NUL in a key": '{"lamp\\u0000": "on"}',
    "nested too deep": "[" * 5000 + "]" * 5000,
}


@pytest.fixture
def admin_site(make_user) -> Client:
    client = Client()
    client.force_login(make_user(roles.ADMINISTRATOR, username="site-admin"))
    return client


def refused(client: Client, url: str, field: str, **changes) -> list[str]:
    response = client.post(url, {**admin_forms.page_values(client, url), **changes})
    assert response.status_code == 200, response
    errors = admin_forms.admin_errors(response)
    form_errors, inline_errors = errors
    if field in form_errors:
        return form_errors[field]
    return [e for formset in inline_errors for form in formset for e in form.get(field, [])]


@pytest.mark.parametrize("text", UNSTORABLE.values(), ids=UNSTORABLE.keys())
def test_an_equipment_state_the_database_cannot_store_is_refused(admin_site, streetlight, text):
    url = f"/admin/equipment/equipment/{streetlight.pk}/change/"
    assert refused(admin_site, url, "state", state=text)
    streetlight.refresh_from_db()
    assert streetlight.state == {"lamp": "on"}


@pytest.mark.parametrize("text", UNSTORABLE.values(), ids=UNSTORABLE.keys())
def test_a_new_device_with_an_unstorable_state_is_not_created(admin_site, district, text):
    url = "/admin/equipment/equipment/add/"
    changes = {"code": "SL-NEW", "kind": "streetlight", "district": str(district.pk)}
    changes |= {"latitude": "47.32", "longitude": "5.04", "state": text, "tags": "[]"}
    assert refused(admin_site, url, "state", **changes)
    assert not Equipment.objects.filter(code="SL-NEW").exists()


def test_a_district_boundary_with_infinite_points_is_refused(admin_site, district):
    url = f"/admin/equipment/district/{district.pk}/change/"
    assert refused(admin_site, url, "boundary", boundary="[[47.3, Infinity]]")
    district.refresh_from_db()
    assert District.objects.get(pk=district.pk).boundary == district.boundary


def test_a_playbook_step_with_unstorable_parameters_is_refused(admin_site):
    mode = CrisisMode.objects.create(code="flood", name="Flood")
    PlaybookAction.objects.create(mode=mode, position=1, type="wall_banner", text="Flood")
    url = f"/admin/supervision/crisismode/{mode.pk}/change/"
    assert refused(admin_site, url, "params", **{"actions-0-params": '{"level": NaN}'})
    assert PlaybookAction.objects.get(mode=mode).params == {}


def test_storable_json_is_still_saved(admin_site, streetlight):
    url = f"/admin/equipment/equipment/{streetlight.pk}/change/"
    admin_forms.save(admin_site, url, state='{"lamp": "off", "dim": 1.5e3}')
    streetlight.refresh_from_db()
    assert streetlight.state == {"lamp": "off", "dim": 1500.0}
