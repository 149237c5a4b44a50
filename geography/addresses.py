"""Finding addresses as people type them, and the nearest address to a point.

The index lives in memory (a metropolis has ~150,000 addresses but only a few thousand
streets): a query is matched against the streets of every commune with RapidFuzz, which
forgives typos and a word typed halfway, then the typed number picks the address on the
street. Reverse geocoding looks in the grid cells around the point.
"""

import math
import threading
import time
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from geography.models import Address, Import, address_label
from geography.text import REPETITIONS, fold, normalised, words
from ondijon.geo import distance_m

# Grid of the reverse search, in degrees (~110 m of latitude, ~75 m of longitude here).
CELL_DEG = 0.001
# How often a process checks for a newer import of addresses.
RELOAD_CHECK_SECONDS = 30.0
REP_SPELLING = {"b": "bis", "t": "ter", "q": "quater"}


@dataclass(frozen=True)
class Found:
    """One address found, as the API and the pages give it."""

    label: str
    numero: int | None
    rep: str
    nom_voie: str
    code_postal: str
    code_insee: str
    nom_commune: str
    longitude: float
    latitude: float
    score: float
    distance_m: float | None = None

    def as_feature(self) -> dict:
        properties = {
            "label": self.label,
            "housenumber": f"{self.numero or ''}{(' ' + self.rep) if self.rep else ''}".strip(),
            "street": self.nom_voie,
            "postcode": self.code_postal,
            "citycode": self.code_insee,
            "city": self.nom_commune,
            "score": round(self.score, 3),
        }
        if self.distance_m is not None:
            properties["distance_m"] = round(self.distance_m)
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [self.longitude, self.latitude]},
            "properties": properties,
        }


@dataclass
class _Street:
    nom_voie: str
    code_postal: str
    code_insee: str
    nom_commune: str
    rows: list[int]  # indexes of its addresses, by number


class AddressIndex:
    def __init__(self, rows: list[tuple]) -> None:
        """rows: (numero, rep, nom_voie, code_postal, code_insee, nom_commune, lon, lat)."""
        self.rows = rows
        by_street: dict[tuple, list[int]] = defaultdict(list)
        self.grid: dict[tuple[int, int], list[int]] = defaultdict(list)
        for index, row in enumerate(rows):
            by_street[(row[2], row[3], row[4], row[5])].append(index)
            self.grid[(math.floor(row[6] / CELL_DEG), math.floor(row[7] / CELL_DEG))].append(index)
        self.streets: list[_Street] = []
        self.choices: list[str] = []
        self.street_words: list[str] = []
        # Streets by commune (its name's words) and by postcode: a typed commune or postcode
        # narrows the search to its streets.
        self.by_commune: dict[str, list[int]] = defaultdict(list)
        self.by_postcode: dict[str, list[int]] = defaultdict(list)
        for (nom_voie, code_postal, code_insee, nom_commune), indexes in by_street.items():
            indexes.sort(key=lambda i: (rows[i][0] or 0, rows[i][1]))
            self.streets.append(_Street(nom_voie, code_postal, code_insee, nom_commune, indexes))
            self.street_words.append(normalised(nom_voie))
            self.choices.append(f"{normalised(nom_voie)} {normalised(nom_commune)} {code_postal}")
            self.by_commune[normalised(nom_commune)].append(len(self.streets) - 1)
            self.by_postcode[code_postal].append(len(self.streets) - 1)
        self.communes = sorted(self.by_commune, key=lambda name: -len(name.split()))

    def __len__(self) -> int:
        return len(self.rows)

    def _found(self, index: int, score: float, distance: float | None = None) -> Found:
        numero, rep, nom_voie, code_postal, code_insee, nom_commune, lon, lat = self.rows[index]
        return Found(
            address_label(numero, rep, nom_voie, code_postal, nom_commune),
            numero,
            rep,
            nom_voie,
            code_postal,
            code_insee,
            nom_commune,
            lon,
            lat,
            score,
            distance,
        )

    def search(self, query: str, limit: int = 5) -> list[Found]:
        """The addresses that best match what was typed, best first."""
        number, rep, postcode, rest = _parse(query)
        typed = words(rest)
        if not typed:
            return []
        in_postcode = self.by_postcode.get(postcode) if postcode else None
        # Each street found, by its best reading: (score, reading, second score, size).
        best: dict[int, tuple] = {}
        readings = self._commune_readings(typed)
        for order, (commune, street_typed) in enumerate(readings):
            subset = self.by_commune[commune]
            if in_postcode is not None:
                subset = sorted(set(subset) & set(in_postcode))
            # The commune is known: match the street's own words among its streets only.
            self._street_words_match(" ".join(street_typed), subset, -order, limit, best)
        # A commune's name may be a street's own word ("avenue de Talant" in Dijon): when no
        # reading with a commune matches a street fully, the words are read as one street too.
        if not best or max(key[0] for key in best.values()) < 100:
            text = " ".join(typed)
            if in_postcode:
                self._street_words_match(text, in_postcode, -len(readings), limit, best)
            else:
                self._everywhere(text, -len(readings), limit, best, merged=bool(readings))
        on_street = {i: self._on_street(self.streets[i], number, rep) for i in best}

        def rank(street_index: int) -> tuple:
            score, order, *rest = best[street_index]
            # Between streets matched as well (one name in two communes of a postcode), the
            # one that has the number typed comes first: "48 allée Gambetta 21800" is where
            # a 48 stands, not the nearest number on the other one.
            row = self.rows[on_street[street_index]]
            exact = number is not None and row[0] == number and fold(row[1]) == rep
            return (score, order, exact, *rest)

        ranked = sorted(best, key=rank, reverse=True)
        return [self._found(on_street[i], best[i][0] / 100) for i in ranked[:limit]]

    def _keep(self, best: dict[int, tuple], street_index: int, key: tuple) -> None:
        if street_index not in best or key > best[street_index]:
            best[street_index] = key

    def _street_words_match(
        self, text: str, subset: list[int], order: int, limit: int, best: dict[int, tuple]
    ) -> None:
        if not text or not subset:
            return
        matches = process.extract(
            text,
            {index: self.street_words[index] for index in subset},
            scorer=fuzz.WRatio,
            limit=max(limit * 2, 10),
            score_cutoff=50,
        )
        for _choice, score, key in matches:
            self._keep(best, key, (score, order, score, len(self.streets[key].rows)))

    def _everywhere(
        self, text: str, order: int, limit: int, best: dict[int, tuple], merged: bool
    ) -> None:
        """Street and commune together (WRatio forgives a word typed halfway and word
        order); the street alone breaks ties between communes with the same street."""
        # A cheap first pass (the query's words against each whole choice, a word typed
        # halfway counting as its start) keeps the streets worth WRatio's closer look.
        first = process.extract(
            text, self.choices, scorer=fuzz.partial_token_sort_ratio, limit=200, score_cutoff=50
        )
        matches = process.extract(
            text,
            {key: choice for choice, _, key in first},
            scorer=fuzz.WRatio,
            limit=max(limit * 4, 20),
            score_cutoff=50,
        )
        for _choice, score, key in matches:
            street_score = fuzz.WRatio(text, self.street_words[key])
            # Beside a reading with a commune, the street's own words are what compares.
            primary = max(score, street_score) if merged else score
            self._keep(best, key, (primary, order, street_score, len(self.streets[key].rows)))

    def _commune_readings(self, typed: list[str]) -> list[tuple[str, list[str]]]:
        """Each commune the end of what was typed may name (a slip forgiven), the longest
        name first, with the words before it: "avenue de la Fontaine Dijon" ends with
        Fontaine-lès-Dijon's words, and with Dijon's."""
        readings = []
        for commune in self.communes:
            size = len(commune.split())
            if len(typed) <= size:
                continue
            tail = " ".join(typed[-size:])
            if tail == commune or (len(commune) >= 5 and fuzz.ratio(tail, commune) >= 85):
                readings.append((commune, typed[:-size]))
        return readings

    def _on_street(self, street: _Street, number: int | None, rep: str) -> int:
        """The address of `number` (and its suffix) on the street, or the nearest number."""
        if number is None:
            return street.rows[0]

        def gap(index: int) -> tuple:
            numero, row_rep = self.rows[index][0] or 0, self.rows[index][1]
            return (abs(numero - number), fold(row_rep) != rep)

        return min(street.rows, key=gap)

    def reverse(self, lat: float, lon: float, limit: int = 1, radius_m: float = 500) -> list[Found]:
        """The nearest addresses within `radius_m`, nearest first."""
        cx, cy = math.floor(lon / CELL_DEG), math.floor(lat / CELL_DEG)
        scale = math.cos(math.radians(lat))
        rings = math.ceil(radius_m / (CELL_DEG * 111_000 * scale)) + 1
        best: list[tuple[float, int]] = []
        for ring in range(rings + 1):
            for ix in range(cx - ring, cx + ring + 1):
                for iy in range(cy - ring, cy + ring + 1):
                    if max(abs(ix - cx), abs(iy - cy)) != ring:
                        continue
                    for index in self.grid.get((ix, iy), ()):
                        row = self.rows[index]
                        dx = (row[6] - lon) * scale
                        dy = row[7] - lat
                        best.append((dx * dx + dy * dy, index))
            # A cell one ring further is at least `ring` cells away: stop once we hold enough
            # addresses nearer than that.
            if len(best) >= limit:
                edge = (ring * CELL_DEG * scale) ** 2
                if sum(1 for d, _ in best if d <= edge) >= limit:
                    break
        best.sort()
        found = []
        for _, index in best[:limit]:
            row = self.rows[index]
            metres = distance_m(lat, lon, row[7], row[6])
            if metres <= radius_m:
                found.append(self._found(index, 1.0, metres))
        return found


def _parse(query: str) -> tuple[int | None, str, str, str]:
    """(number, suffix, postcode, the rest) of what was typed."""
    number, rep, postcode = None, "", ""
    rest = []
    tokens = fold(query).split()
    for position, token in enumerate(tokens):
        if token.isdigit() and len(token) == 5:
            postcode = token
        elif number is None and not rest and token.isdigit() and len(token) <= 4:
            number = int(token)
        elif number is not None and not rest and not rep and token in REPETITIONS and position:
            rep = REP_SPELLING.get(token, token)
        elif number is None and not rest and token[:-1].isdigit() and token[-1] in "btq":  # "12b"
            number, rep = int(token[:-1]), REP_SPELLING[token[-1]]
        else:
            rest.append(token)
    return number, rep, postcode, " ".join(rest)


_lock = threading.Lock()
_index: AddressIndex | None = None
_index_import: int | None = None
_checked_at = 0.0


def _latest_import() -> int | None:
    return (
        Import.objects.filter(kind=Import.Kind.ADDRESSES)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )


def load_index() -> AddressIndex:
    rows = list(
        Address.objects.order_by("pk").values_list(
            "numero",
            "rep",
            "nom_voie",
            "code_postal",
            "code_insee",
            "nom_commune",
            "longitude",
            "latitude",
        )
    )
    return AddressIndex(rows)


def index() -> AddressIndex:
    """This process's address index, reloaded after a newer import."""
    global _index, _index_import, _checked_at
    now = time.monotonic()
    if _index is not None and now - _checked_at < RELOAD_CHECK_SECONDS:
        return _index
    with _lock:
        latest = _latest_import()
        if _index is None or latest != _index_import:
            _index, _index_import = load_index(), latest
        _checked_at = now
        return _index


def forget_index() -> None:
    """Drop the index (after an import in this process, and between tests)."""
    global _index, _index_import, _checked_at
    with _lock:
        _index, _index_import, _checked_at = None, None, 0.0
