"""Addresses from the Base Adresse Nationale: import, search as typed, nearest to a click."""

import pytest
from django.core.management import CommandError, call_command

from geography import addresses
from geography.models import Address
from supervision.models import Event
from tests.geography.ban import SAMPLE, write_ban

pytestmark = pytest.mark.django_db


def test_import_ban_reads_the_published_format_and_logs_it(ban_file, capsys):
    call_command("import_ban", ban_file)
    assert Address.objects.count() == len(SAMPLE)
    liberte = Address.objects.get(ban_id="21231_0540_00012_bis")
    assert (liberte.numero, liberte.rep, liberte.nom_commune) == (12, "bis", "Dijon")
    assert liberte.label == "12 bis Rue de la Liberté, 21000 Dijon"
    assert (liberte.longitude, liberte.latitude) == (5.03955, 47.32192)
    assert "8 created, 0 updated" in capsys.readouterr().out
    assert Event.objects.filter(kind="geography.addresses_imported").count() == 1


def test_reimport_updates_in_place(tmp_path, ban_file):
    call_command("import_ban", ban_file)
    before = Address.objects.get(ban_id="21231_0300_00003")
    moved = [(*row[:7], 5.0470, 47.3195) if row[0] == before.ban_id else row for row in SAMPLE]
    call_command("import_ban", write_ban(tmp_path / "again.csv", moved))
    after = Address.objects.get(ban_id="21231_0300_00003")
    assert after.pk == before.pk and (after.longitude, after.latitude) == (5.0470, 47.3195)
    assert Address.objects.count() == len(SAMPLE)


def test_rows_without_a_position_are_skipped_and_a_wrong_file_refused(tmp_path):
    bad = [*SAMPLE[:2], ("21231_x", 9, "", "Rue Perdue", "21000", "21231", "Dijon", "", "")]
    call_command("import_ban", write_ban(tmp_path / "some-bad.csv", bad))
    assert not Address.objects.filter(nom_voie="Rue Perdue").exists()
    other = tmp_path / "not-ban.csv"
    other.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(CommandError, match="missing BAN columns"):
        call_command("import_ban", str(other))
    assert Address.objects.count() == 2


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12 rue de la Liberté", "12 Rue de la Liberté, 21000 Dijon"),
        ("12 RUE DE LA LIBERTE", "12 Rue de la Liberté, 21000 Dijon"),
        ("12 r liberte", "12 Rue de la Liberté, 21000 Dijon"),
        ("12 bis rue de la liberté", "12 bis Rue de la Liberté, 21000 Dijon"),
        ("14 rue de la libreté", "14 Rue de la Liberté, 21000 Dijon"),  # a typo
        ("3 bd carnot", "3 Boulevard Carnot, 21000 Dijon"),
        ("21 av jean jaures chenove", "21 Avenue Jean Jaurès, 21300 Chenôve"),
        ("21 avenue jean jaurès 21000", "21 Avenue Jean Jaurès, 21000 Dijon"),
        ("5 r st exupery", "5 Rue Saint-Exupéry, 21300 Chenôve"),
        ("1 pl darcy", "1 Place Darcy, 21000 Dijon"),
    ],
)
def test_search_finds_the_address_as_people_type_it(ban_file, typed, expected):
    call_command("import_ban", ban_file)
    found = addresses.index().search(typed)
    assert found and found[0].label == expected


def test_reverse_gives_the_nearest_address(ban_file):
    call_command("import_ban", ban_file)
    nearest = addresses.index().reverse(47.32191, 5.03979)
    assert [item.label for item in nearest] == ["14 Rue de la Liberté, 21000 Dijon"]
    assert nearest[0].distance_m < 10
    assert addresses.index().reverse(47.40, 5.20) == []  # nothing within 500 m


def test_a_new_import_reaches_the_index(tmp_path, ban_file):
    call_command("import_ban", ban_file)
    assert addresses.index().search("9 rue neuve") == [] or (
        addresses.index().search("9 rue neuve")[0].nom_voie != "Rue Neuve"
    )
    new = [("21231_0900_00009", 9, "", "Rue Neuve", "21000", "21231", "Dijon", 5.04, 47.32)]
    call_command("import_ban", write_ban(tmp_path / "new.csv", new))
    addresses.forget_index()  # another process would see the newer import within a minute
    assert addresses.index().search("9 rue neuve")[0].label == "9 Rue Neuve, 21000 Dijon"


# Streets named after the next commune, as every French city has them.
NEIGHBOURS = [
    (33, "", "Avenue de la Fontaine", "21000", "21231", "Dijon", 5.030, 47.330),
    (33, "", "Avenue Vauban", "21121", "21278", "Fontaine-lès-Dijon", 5.020, 47.340),
    (8, "", "Rue de Chenôve", "21000", "21231", "Dijon", 5.031, 47.310),
    (8, "", "Rue Roger Salengro", "21300", "21166", "Chenôve", 5.008, 47.293),
]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("33 av de la fontaine dijon", "33 Avenue de la Fontaine, 21000 Dijon"),
        ("33 avenue vauban fontaine les dijon", "33 Avenue Vauban, 21121 Fontaine-lès-Dijon"),
        ("8 rue de chenove", "8 Rue de Chenôve, 21000 Dijon"),
        ("8 rue de chenove dijon", "8 Rue de Chenôve, 21000 Dijon"),
        ("8 rue salengro chenove", "8 Rue Roger Salengro, 21300 Chenôve"),
    ],
)
def test_a_commune_named_in_a_street_does_not_hide_the_street(typed, expected):
    found = addresses.AddressIndex(NEIGHBOURS).search(typed)
    assert found and found[0].label == expected


# One street name in two communes of one postcode, as 21800 has them.
TWINS = [
    (47, "", "Allée Gambetta", "21800", "21171", "Chevigny-Saint-Sauveur", 5.135, 47.300),
    (46, "", "Allée Gambetta", "21800", "21171", "Chevigny-Saint-Sauveur", 5.136, 47.300),
    (48, "", "Allée Gambetta", "21800", "21515", "Quetigny", 5.106, 47.313),
    (12, "bis", "Allée Gambetta", "21800", "21515", "Quetigny", 5.107, 47.313),
    (12, "", "Allée Gambetta", "21800", "21171", "Chevigny-Saint-Sauveur", 5.137, 47.300),
]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("48 allee gambetta 21800", "48 Allée Gambetta, 21800 Quetigny"),
        ("47 allee gambetta 21800", "47 Allée Gambetta, 21800 Chevigny-Saint-Sauveur"),
        ("12 bis allee gambetta 21800", "12 bis Allée Gambetta, 21800 Quetigny"),
        ("12 allee gambetta 21800", "12 Allée Gambetta, 21800 Chevigny-Saint-Sauveur"),
    ],
)
def test_of_two_streets_of_one_name_the_one_with_the_number_typed_comes_first(typed, expected):
    found = addresses.AddressIndex(TWINS).search(typed)
    assert found and found[0].label == expected
