"""Hotline statistics: calls per day, category and hour of day, handling times, referrals.

Every figure is one GROUP BY in the database, so a year of calls stays fast. Anonymised calls
keep their category, times, outcome and district, so the statistics survive retention.
"""

import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import CharField, Count, DurationField, ExpressionWrapper, F, Max, Min, Sum
from django.db.models.functions import Cast, TruncDate, TruncHour
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.models import Call, Category, Referral
from ondijon import spreadsheet

HANDLING = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())


@dataclass
class Period:
    start: date
    end: date  # inclusive

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        zone = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def default_period(days: int = 28) -> Period:
    """The four weeks up to the latest call (today when there is none)."""
    latest = Call.objects.aggregate(latest=Max("started_at"))["latest"]
    end = timezone.localdate(latest) if latest else timezone.localdate()
    return Period(end - timedelta(days=days - 1), end)


def _seconds(value: timedelta | None) -> int | None:
    return round(value.total_seconds()) if value is not None else None


def hotline_statistics(period: Period) -> dict:
    start, end = period.bounds
    calls = Call.objects.filter(started_at__gte=start, started_at__lt=end)
    # Two scans of the calls: by local hour (one time-zone conversion per row, at most
    # 8,784 groups a year) and by (category, outcome); the rest is summed here. The hour
    # comes back as text ("2020-03-17 09:00:00", local time): turning thousands of
    # timestamps into aware datetimes would cost more than the query itself.
    per_day, per_hour = Counter(), Counter()
    for slot, n in (
        calls.annotate(slot=Cast(TruncHour("started_at"), CharField()))
        .values("slot")
        .annotate(n=Count("id"))
        .values_list("slot", "n")
    ):
        per_day[date.fromisoformat(slot[:10])] += n
        per_hour[int(slot[11:13])] += n
    by_category: dict[int, dict] = {}
    per_outcome: Counter = Counter()
    durations: list[timedelta] = []
    for row in calls.values("category", "outcome").annotate(
        n=Count("id"),
        timed=Count("ended_at"),
        total=Sum(HANDLING),
        shortest=Min(HANDLING),
        longest=Max(HANDLING),
    ):
        per_outcome[row["outcome"]] += row["n"]
        group = by_category.setdefault(row["category"], {"n": 0, "timed": 0, "total": timedelta()})
        group["n"] += row["n"]
        group["timed"] += row["timed"]
        group["total"] += row["total"] or timedelta()
        durations += [d for d in (row["shortest"], row["longest"]) if d is not None]
    names = dict(Category.objects.values_list("id", "name"))
    per_category = [
        {
            "category": names.get(category, "?"),
            "calls": group["n"],
            "average_seconds": _average(group["total"], group["timed"]),
        }
        for category, group in sorted(by_category.items(), key=lambda item: -item[1]["n"])
    ]
    timed = sum(g["timed"] for g in by_category.values())
    total_handling = sum((g["total"] for g in by_category.values()), timedelta())
    referrals = Referral.objects.filter(created_at__gte=start, created_at__lt=end)
    referrals_per_status = dict(
        referrals.values("status").annotate(n=Count("id")).values_list("status", "n")
    )
    referrals_per_day = dict(
        referrals.annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "total_calls": sum(per_outcome.values()),
        "handling": {
            "average_seconds": _average(total_handling, timed),
            "shortest_seconds": _seconds(min(durations)) if durations else None,
            "longest_seconds": _seconds(max(durations)) if durations else None,
        },
        "per_day": [{"day": d.isoformat(), "calls": per_day.get(d, 0)} for d in period.days],
        "per_hour": [{"hour": h, "calls": per_hour.get(h, 0)} for h in range(24)],
        "per_category": per_category,
        "per_outcome": dict(per_outcome),
        "referrals": {
            "total": sum(referrals_per_status.values()),
            "per_status": referrals_per_status,
            "per_day": [
                {"day": d.isoformat(), "referrals": referrals_per_day.get(d, 0)}
                for d in period.days
            ],
        },
    }


def _average(total: timedelta, count: int) -> int | None:
    return round(total.total_seconds() / count) if count else None


def statistics_csv(statistics: dict) -> str:
    """One row per day, then per category, per hour and per outcome, in the reader's language
    (French Excel: days as dd/mm/yyyy, decimals with a comma)."""
    out = io.StringIO()
    out.write(spreadsheet.BOM)
    writer = spreadsheet.writer(out)
    writer.writerow([_("section"), _("key"), _("calls"), _("average handling (s)"), _("referrals")])
    referrals = {row["day"]: row["referrals"] for row in statistics["referrals"]["per_day"]}
    day, category, hour = _("day"), _("category"), _("hour")
    for row in statistics["per_day"]:
        when = date.fromisoformat(row["day"]).strftime("%d/%m/%Y")
        writer.writerow([day, when, row["calls"], "", referrals.get(row["day"], 0)])
    for row in statistics["per_category"]:
        writer.writerow(
            [
                category,
                row["category"],
                row["calls"],
                spreadsheet.decimal(row["average_seconds"]),
                "",
            ]
        )
    for row in statistics["per_hour"]:
        writer.writerow([hour, f"{row['hour']:02d}", row["calls"], "", ""])
    outcomes = dict(Call.Outcome.choices)
    for outcome, n in sorted(statistics["per_outcome"].items()):
        writer.writerow([_("outcome"), str(outcomes.get(outcome, outcome)), n, "", ""])
    return out.getvalue()
