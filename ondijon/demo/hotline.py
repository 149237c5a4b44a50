"""The hotline's first lockdown: 15 March - 13 April 2020, about 4,650 calls and 95 referrals.

Deterministic and idempotent: the calls are generated once (bulk inserts, no per-call events,
so seeding takes well under a second); running it again finds them and adds nothing.
"""

import math
import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction

from equipment.models import District
from hotline.models import Article, Call, CallbackRequest, Category, Referral, VulnerablePerson

PARIS = ZoneInfo("Europe/Paris")
FIRST_DAY = date(2020, 3, 15)
DAYS = 30  # 15 March - 13 April 2020
TOTAL_CALLS = 4650
TOTAL_REFERRALS = 95
SEED = 2020

CATEGORIES = [  # code, name, shortcut: the list, municipal services, other
    ("declaration-forms", "Attestations de déplacement", "1"),
    ("opening-times", "Horaires des commerces et des écoles", "2"),
    ("fake-news", "Rumeurs et fausses informations", "3"),
    ("lockdown-procedures", "Règles du confinement", "4"),
    ("waste-recycling", "Déchets et déchèterie", "5"),
    ("municipal-services", "Services municipaux (piscines, bibliothèques…)", "6"),
    ("isolated-person", "Personne isolée ou vulnérable", "7"),
    ("other", "Autre", "0"),
]

# Share of calls per category in the first and the last days; the mix drifts between them:
# forms and procedures first, then the reopening of the recycling centre and services.
MIX_START = {
    "declaration-forms": 30,
    "opening-times": 18,
    "fake-news": 10,
    "lockdown-procedures": 24,
    "waste-recycling": 4,
    "municipal-services": 6,
    "isolated-person": 3,
    "other": 5,
}
MIX_END = {
    "declaration-forms": 14,
    "opening-times": 14,
    "fake-news": 8,
    "lockdown-procedures": 14,
    "waste-recycling": 26,
    "municipal-services": 12,
    "isolated-person": 4,
    "other": 8,
}
# Typical handling time per category, seconds (log-normal around it).
HANDLING = {"isolated-person": 420, "lockdown-procedures": 190, "fake-news": 170}
# Calls per hour of day (24/7 service): a morning peak, a post-lunch peak, quiet nights.
HOUR_CURVE = [
    2,
    1,
    1,
    1,
    1,
    2,
    5,
    14,
    42,
    70,
    78,
    72,
    50,
    44,
    66,
    70,
    62,
    52,
    38,
    26,
    17,
    11,
    7,
    4,
]

ARTICLES = [  # key, version, category, source, valid from, title, answer
    (
        "attestation-deplacement",
        1,
        "declaration-forms",
        "national",
        date(2020, 3, 17),
        "Attestation de déplacement dérogatoire",
        "Imprimez l'attestation sur le site national ou recopiez-la à la main ; gardez une "
        "pièce d'identité sur vous.",
    ),
    (
        "attestation-deplacement",
        2,
        "declaration-forms",
        "national",
        date(2020, 4, 6),
        "Attestation de déplacement (version numérique)",
        "L'attestation existe sur papier ou sur téléphone (site national, QR code) ; une "
        "attestation par sortie, avec l'heure de départ ; gardez une pièce d'identité sur vous.",
    ),
    (
        "sortie-sport",
        1,
        "lockdown-procedures",
        "national",
        date(2020, 3, 24),
        "Activité physique en plein air",
        "Une heure par jour, seul, dans un rayon d'1 km autour du domicile, avec l'attestation.",
    ),
    (
        "marches",
        1,
        "opening-times",
        "local",
        date(2020, 3, 24),
        "Marchés",
        "Les marchés couverts et de plein air sont fermés ; les commerces alimentaires et les "
        "supermarchés restent ouverts.",
    ),
    (
        "ecoles",
        1,
        "opening-times",
        "national",
        date(2020, 3, 16),
        "Écoles et crèches",
        "Les écoles sont fermées ; les enfants des soignants sont accueillis dans des écoles "
        "désignées.",
    ),
    (
        "decheterie",
        1,
        "waste-recycling",
        "local",
        date(2020, 3, 17),
        "Déchèterie",
        "La déchèterie est fermée pendant le confinement ; les ordures ménagères sont collectées "
        "comme d'habitude.",
    ),
    (
        "decheterie",
        2,
        "waste-recycling",
        "local",
        date(2020, 4, 14),
        "Réouverture de la déchèterie",
        "La déchèterie rouvre sur rendez-vous uniquement (déchets verts d'abord) ; réservez en "
        "ligne ou ici.",
    ),
    (
        "piscines",
        1,
        "municipal-services",
        "local",
        date(2020, 3, 14),
        "Piscines et bibliothèques",
        "Les piscines, bibliothèques et musées municipaux sont fermés jusqu'à nouvel ordre.",
    ),
    (
        "fausses-infos",
        1,
        "fake-news",
        "local",
        date(2020, 3, 18),
        "Rumeurs",
        "Fiez-vous aux annonces de la préfecture et de la ville ; pas de désinfection par "
        "hélicoptère, pas de couvre-feu à Dijon à cette date.",
    ),
    (
        "personne-isolee",
        1,
        "isolated-person",
        "local",
        date(2020, 3, 17),
        "Personne isolée",
        "Proposez un signalement au centre communal d'action sociale (CCAS) avec le "
        "consentement de la personne ; il rappelle dans la journée (courses, médicaments, "
        "une présence pour parler).",
    ),
]

FIRST_NAMES = ["Jeanne", "Marcel", "Lucienne", "André", "Simone", "Roger", "Yvette", "Henri"]
LAST_NAMES = ["Girard", "Bonnet", "Roux", "Fournier", "Mercier", "Blanc", "Guerin", "Faure"]
NEEDS = [
    "courses",
    "médicaments",
    "une présence pour parler",
    "repas",
    "transport chez le médecin",
]


def seed_hotline_demo() -> dict[str, int]:
    with transaction.atomic():
        seed_categories()
        seed_articles()
        window = (_at(FIRST_DAY, 0), _at(FIRST_DAY + timedelta(days=DAYS), 0))
        if Call.objects.filter(started_at__gte=window[0], started_at__lt=window[1]).exists():
            return {"calls": 0, "referrals": 0}
        rng = random.Random(SEED)
        calls = seed_calls(rng)
        referrals = seed_referrals(rng, calls)
    return {"calls": len(calls), "referrals": referrals}


def _at(day: date, hour: int, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=PARIS) + timedelta(seconds=second)


def seed_categories() -> None:
    for position, (code, name, shortcut) in enumerate(CATEGORIES):
        Category.objects.get_or_create(
            code=code, defaults={"name": name, "shortcut": shortcut, "position": position}
        )


def seed_articles() -> None:
    categories = {c.code: c for c in Category.objects.all()}
    for key, version, category, source, valid_from, title, body in ARTICLES:
        Article.objects.get_or_create(
            key=key,
            version=version,
            defaults={
                "title": title,
                "body": body,
                "category": categories[category],
                "source": source,
                "valid_from": _at(valid_from, 0),
            },
        )


def daily_volumes() -> list[int]:
    """About 40 calls on the Sunday, a peak of ~330 as the lockdown starts, ~110 a day in April."""
    weights = []
    for n in range(DAYS):
        day = FIRST_DAY + timedelta(days=n)
        level = 40 if n == 0 else 110 + 230 * math.exp(-(n - 2) / 6) if n >= 2 else 190
        if day.weekday() >= 5:
            level *= 0.6
        weights.append(level)
    scale = TOTAL_CALLS / sum(weights)
    volumes = [round(w * scale) for w in weights]
    volumes[2] += TOTAL_CALLS - sum(volumes)  # rounding goes to the peak day
    return volumes


def seed_calls(rng: random.Random) -> list[Call]:
    categories = {c.code: c for c in Category.objects.all()}
    current = {}
    for article in Article.objects.filter(key__in={a[0] for a in ARTICLES}).order_by("version"):
        current.setdefault(article.category.code, []).append(article)
    districts = list(District.objects.all())
    weights = [max(d.population, 1) for d in districts]
    codes = list(MIX_START)
    calls = []
    for n, volume in enumerate(daily_volumes()):
        day = FIRST_DAY + timedelta(days=n)
        drift = n / (DAYS - 1)
        mix = [MIX_START[c] * (1 - drift) + MIX_END[c] * drift for c in codes]
        for _ in range(volume):
            code = rng.choices(codes, mix)[0]
            hour = rng.choices(range(24), HOUR_CURVE)[0]
            started = _at(day, hour, rng.randrange(3600))
            seconds = max(20, int(rng.lognormvariate(math.log(HANDLING.get(code, 140)), 0.45)))
            articles = [a for a in current.get(code, []) if a.valid_from <= started]
            outcome = rng.choices(["answered", "transferred", "call_back"], [86, 9, 5])[0]
            calls.append(
                Call(
                    started_at=started,
                    ended_at=started + timedelta(seconds=seconds),
                    category=categories[code],
                    article=articles[-1] if articles and outcome == "answered" else None,
                    outcome=outcome,
                    district=rng.choices(districts, weights)[0]
                    if districts and rng.random() < 0.6
                    else None,
                )
            )
    calls = Call.objects.bulk_create(calls, batch_size=1000)
    CallbackRequest.objects.bulk_create(
        [
            CallbackRequest(
                call=call,
                due_at=call.ended_at + timedelta(hours=2),
                done_at=call.ended_at + timedelta(minutes=rng.randrange(20, 110)),
            )
            for call in calls
            if call.outcome == "call_back"
        ],
        batch_size=1000,
    )
    return calls


def seed_referrals(rng: random.Random, calls: list[Call]) -> int:
    """95 isolated people found by the calls, worked by the social team since."""
    isolated = [c for c in calls if c.category.code == "isolated-person"]
    chosen = sorted(rng.sample(isolated, min(TOTAL_REFERRALS, len(isolated))), key=lambda c: c.pk)
    Call.objects.filter(pk__in=[c.pk for c in chosen]).update(outcome="referral", article=None)
    statuses = ["supported"] * 62 + ["closed"] * 18 + ["contacted"] * 10 + ["new"] * 5
    referrals = []
    for n, (call, status) in enumerate(zip(chosen, statuses, strict=False)):
        referrals.append(
            Referral(
                call=call,
                person_name=f"{FIRST_NAMES[n % 8]} {LAST_NAMES[(n * 3 + 1) % 8]} ({n + 1:02d})",
                phone=f"03 80 {rng.randrange(10, 99)} {rng.randrange(10, 99)} {(n + 10) % 100:02d}",
                district=call.district,
                needs=", ".join(rng.sample(NEEDS, 2)),
                consent=True,
                consent_at=call.ended_at,
                register_consent=status != "closed" and rng.random() < 0.8,
                status=status,
                created_at=call.ended_at,
                closed_at=call.ended_at + timedelta(days=21) if status == "closed" else None,
            )
        )
    referrals = Referral.objects.bulk_create(referrals)
    VulnerablePerson.objects.bulk_create(
        [
            VulnerablePerson(
                referral=r,
                name=r.person_name,
                phone=r.phone,
                district=r.district,
                needs=r.needs,
                consent_at=r.consent_at,
            )
            for r in referrals
            if r.register_consent
        ]
    )
    return len(referrals)
