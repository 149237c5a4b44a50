"""The one door for the city's geography: imports of addresses and streets.

Each import writes its rows, an Import record and its Event in one transaction, so the room's
log says when the city's addresses or streets changed, and every process's in-memory index
reloads after it (geography.addresses.index, geography.roads.graph).
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from geography.models import Address, Import, Street
from geography.text import fold
from ondijon import bus

BATCH = 2000
ADDRESS_FIELDS = [
    "numero",
    "rep",
    "nom_voie",
    "code_postal",
    "code_insee",
    "nom_commune",
    "longitude",
    "latitude",
]
# The BAN's columns this import reads (its CSV has more: they are ignored).
BAN_COLUMNS = ["id", "numero", "rep", "nom_voie", "code_postal", "code_insee", "nom_commune"]


class BanFormatError(ValueError):
    pass


@dataclass
class ImportReport:
    created: int
    updated: int
    skipped: int


def read_ban(path: str | Path) -> Iterator[dict]:
    """The rows of a BAN CSV (`;`-separated, UTF-8, a header line), as dicts."""
    with open(path, encoding="utf-8-sig", newline="") as stream:
        yield from read_ban_stream(stream)


def read_ban_stream(stream: io.TextIOBase) -> Iterator[dict]:
    reader = csv.DictReader(stream, delimiter=";")
    missing = {"numero", "nom_voie", "nom_commune", "lon", "lat"} - set(reader.fieldnames or [])
    if missing:
        raise BanFormatError(f"missing BAN columns: {', '.join(sorted(missing))}")
    yield from reader


def _address(row: dict) -> Address | None:
    """An Address from one BAN row; None for a row that cannot be placed."""
    try:
        longitude, latitude = float(row["lon"]), float(row["lat"])
    except (TypeError, ValueError):
        return None
    if not (-180 <= longitude <= 180 and -90 <= latitude <= 90) or not row.get("nom_voie"):
        return None
    numero_text = (row.get("numero") or "").strip()
    numero = int(numero_text) if numero_text.isdigit() else None
    rep = (row.get("rep") or "").strip()
    code_insee = (row.get("code_insee") or "").strip()
    nom_voie = row["nom_voie"].strip()
    ban_id = (row.get("id") or "").strip() or "_".join(
        [code_insee, fold(nom_voie).replace(" ", "-"), str(numero or 0), fold(rep)]
    )
    return Address(
        ban_id=ban_id[:64],
        numero=numero,
        rep=rep[:16],
        nom_voie=nom_voie[:200],
        code_postal=(row.get("code_postal") or "").strip()[:5],
        code_insee=code_insee[:5],
        nom_commune=(row.get("nom_commune") or "").strip()[:100],
        longitude=longitude,
        latitude=latitude,
    )


def _upsert_in_batches(
    items: Iterable, upsert: Callable[[list], tuple[int, int]]
) -> tuple[int, int]:
    """Created and updated counts of `upsert` over `items`, BATCH at a time."""
    created = updated = 0
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= BATCH:
            new, old = upsert(batch)
            created, updated, batch = created + new, updated + old, []
    if batch:
        new, old = upsert(batch)
        created, updated = created + new, updated + old
    return created, updated


def _log_import(kind: str, event_kind: str, source: str, actor, **counts: int) -> None:
    """The import's record (processes reload their indexes from it) and its Event."""
    record = Import.objects.create(
        kind=kind, source=source[:300], created=counts["created"], updated=counts["updated"]
    )
    bus.emit(
        event_kind,
        subject_type="geography",
        subject_id=record.pk,
        subject_label=source[:200],
        payload=counts,
        actor=actor,
    )


def _upsert_addresses(batch: list[Address]) -> tuple[int, int]:
    ids = {address.ban_id for address in batch}
    known = set(Address.objects.filter(ban_id__in=ids).values_list("ban_id", flat=True))
    Address.objects.bulk_create(
        batch, update_conflicts=True, unique_fields=["ban_id"], update_fields=ADDRESS_FIELDS
    )
    new = len(ids - known)
    return new, len(ids) - new


def _upsert_streets(batch: list[Street]) -> tuple[int, int]:
    kinds = {street.source for street in batch}
    ids = [street.source_id for street in batch]
    known = set(
        Street.objects.filter(source__in=kinds, source_id__in=ids).values_list(
            "source", "source_id"
        )
    )
    Street.objects.bulk_create(
        batch,
        update_conflicts=True,
        unique_fields=["source", "source_id"],
        update_fields=["name", "road_class", "oneway", "nodes", "points"],
    )
    keys = {(street.source, street.source_id) for street in batch}
    return len(keys - known), len(keys & known)


def import_addresses(rows: Iterable[dict], source: str, actor=None) -> ImportReport:
    """Create or update (by BAN id) the addresses of BAN rows, in one transaction."""
    skipped = 0

    def placed() -> Iterator[Address]:
        nonlocal skipped
        for row in rows:
            address = _address(row)
            if address is None:
                skipped += 1
            else:
                yield address

    with transaction.atomic():
        created, updated = _upsert_in_batches(placed(), _upsert_addresses)
        _log_import(
            Import.Kind.ADDRESSES,
            "geography.addresses_imported",
            source,
            actor,
            created=created,
            updated=updated,
            skipped=skipped,
        )
    return ImportReport(created, updated, skipped)


def import_streets(streets: Iterable[Street], source: str, actor=None) -> ImportReport:
    """Create or update (by source and id) the streets of the road network."""
    with transaction.atomic():
        created, updated = _upsert_in_batches(streets, _upsert_streets)
        _log_import(
            Import.Kind.STREETS,
            "geography.streets_imported",
            source,
            actor,
            created=created,
            updated=updated,
        )
    return ImportReport(created, updated, 0)
