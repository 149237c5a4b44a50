"""Hotline statistics: calls per day, category and hour of day, handling times, referrals.

Every figure is one GROUP BY in the database, so a year of calls stays fast. Anonymised calls
keep their category, times, outcome and district, so the statistics survive retention.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Max, Min
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from .models import Call, Category, Referral

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
    per_day = dict(
        calls.annotate(day=TruncDate("started_at"))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    per_hour = dict(
        calls.annotate(hour=ExtractHour("started_at"))
        .values("hour")
        .annotate(n=Count("id"))
        .values_list("hour", "n")
    )
    names = dict(Category.objects.values_list("id", "name"))
    per_category = [
        {
            "category": names.get(row["category"], "?"),
            "calls": row["n"],
            "average_seconds": _seconds(row["average"]),
        }
        for row in calls.values("category")
        .annotate(n=Count("id"), average=Avg(HANDLING))
        .order_by("-n")
    ]
    per_outcome = dict(calls.values("outcome").annotate(n=Count("id")).values_list("outcome", "n"))
    totals = calls.aggregate(
        n=Count("id"), average=Avg(HANDLING), shortest=Min(HANDLING), longest=Max(HANDLING)
    )
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
        "total_calls": totals["n"],
        "handling": {
            "average_seconds": _seconds(totals["average"]),
            "shortest_seconds": _seconds(totals["shortest"]),
            "longest_seconds": _seconds(totals["longest"]),
        },
        "per_day": [{"day": d.isoformat(), "calls": per_day.get(d, 0)} for d in period.days],
        "per_hour": [{"hour": h, "calls": per_hour.get(h, 0)} for h in range(24)],
        "per_category": per_category,
        "per_outcome": per_outcome,
        "referrals": {
            "total": sum(referrals_per_status.values()),
            "per_status": referrals_per_status,
            "per_day": [
                {"day": d.isoformat(), "referrals": referrals_per_day.get(d, 0)}
                for d in period.days
            ],
        },
    }


def statistics_csv(statistics: dict) -> str:
    """One row per day, then per category and per hour: opens in any spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "key", "calls", "average_handling_seconds", "referrals"])
    referrals = {row["day"]: row["referrals"] for row in statistics["referrals"]["per_day"]}
    for row in statistics["per_day"]:
        writer.writerow(["day", row["day"], row["calls"], "", referrals.get(row["day"], 0)])
    for row in statistics["per_category"]:
        writer.writerow(["category", row["category"], row["calls"], row["average_seconds"], ""])
    for row in statistics["per_hour"]:
        writer.writerow(["hour", f"{row['hour']:02d}", row["calls"], "", ""])
    for outcome, n in sorted(statistics["per_outcome"].items()):
        writer.writerow(["outcome", outcome, n, "", ""])
    return out.getvalue()
