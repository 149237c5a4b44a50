"""The imported streets and addresses in the admin: listed, searched, never edited by hand."""

import pytest
from django.core.management import call_command
from django.test import Client

from geography import services
from geography.models import Address, Import, Street
from ondijon import roles
from tests.geography.roads import river_town

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(make_user, ban_file) -> Client:
    call_command("import_ban", ban_file)
    services.import_streets(river_town(), source="test")
    client = Client()
    client.force_login(make_user(roles.ADMINISTRATOR))
    return client


def test_addresses_are_searched_and_placed_on_the_list_map(admin_client):
    page = admin_client.get("/admin/geography/address/", {"q": "Liberté"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "12 bis Rue de la Liberté, 21000 Dijon" in text
    assert "Boulevard Carnot" not in text
    points = page.context["map_points"]
    assert {point["label"] for point in points} == {
        "12 Rue de la Liberté, 21000 Dijon",
        "14 Rue de la Liberté, 21000 Dijon",
        "12 bis Rue de la Liberté, 21000 Dijon",
    }
    chenove = admin_client.get("/admin/geography/address/", {"nom_commune": "Chenôve"})
    assert "Rue Saint-Exupéry" in chenove.content.decode()
    assert "Place Darcy" not in chenove.content.decode()


def test_streets_are_searched_by_name(admin_client):
    page = admin_client.get("/admin/geography/street/", {"q": "quai nord"})
    assert page.status_code == 200
    assert "Quai Nord" in page.content.decode()
    assert "Pont de l&#x27;Est" not in page.content.decode()


def test_streets_addresses_and_imports_are_read_only(admin_client):
    address = Address.objects.get(ban_id="21231_0300_00003")
    street = Street.objects.first()
    imported = Import.objects.get(kind=Import.Kind.ADDRESSES)
    for path in (
        f"/admin/geography/address/{address.pk}/change/",
        f"/admin/geography/street/{street.pk}/change/",
        f"/admin/geography/import/{imported.pk}/change/",
    ):
        page = admin_client.get(path)
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode()
        assert admin_client.post(path, {"source": "hand-edited"}).status_code == 403
    imports = admin_client.get("/admin/geography/import/").content.decode()
    assert "adresses-21.csv" in imports
    assert admin_client.get("/admin/geography/address/add/").status_code == 403
    assert Import.objects.get(pk=imported.pk).source.endswith("adresses-21.csv")
