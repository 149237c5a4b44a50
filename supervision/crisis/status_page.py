"""The public status page: no login, fast, readable on a phone."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.views.decorators.cache import cache_control

from hotline import services as hotline_services
from hotline.models import Article
from supervision import markets
from supervision.crisis import services as crisis


def public_status() -> dict:
    """What citizens see: the city's mode and message, answers, markets, the hotline."""
    activation = crisis.current_activation()
    mode = crisis.mode_snapshot(activation)
    return {
        "mode": mode,
        "message": activation.public_message if activation else "",
        "since": activation.activated_at if activation else None,
        "articles": list(
            Article.objects.current()
            .filter(public=True)
            .select_related("category")
            .order_by("category__position", "title")[:50]
        ),
        "markets": markets.public_markets(),
        "hotline": {
            "phone": settings.HOTLINE_PHONE,
            "hours": "24 hours a day, 7 days a week"
            if mode["hotline_24_7"] or hotline_round_the_clock()
            else opening_hours_text(settings.HOTLINE_OPENING_HOURS),
        },
    }


def hotline_round_the_clock() -> bool:
    """Whether the hotline is open 24/7 (switched on its own page or by a playbook)."""
    return hotline_services.hotline_mode().round_the_clock


# Django's own abbreviated day names, translated: "lun.–ven." in French.
DAYS = WEEKDAYS_ABBR


def opening_hours_text(weekly: dict[int, list[tuple[str, str]]]) -> str:
    """`{0: [("08:30", "18:00")], ...}` as "Mon–Fri 08:30–18:00; Sat 09:00–12:30"."""
    parts, day = [], 0
    while day < 7:
        ranges = weekly.get(day, [])
        last = day
        while last + 1 < 7 and weekly.get(last + 1, []) == ranges:
            last += 1
        if ranges:
            days = DAYS[day] if last == day else f"{DAYS[day]}–{DAYS[last]}"
            hours = ", ".join(f"{start}–{end}" for start, end in ranges)
            parts.append(f"{days} {hours}")
        day = last + 1
    return "; ".join(parts) or "closed"


@login_not_required
@cache_control(public=True, max_age=15)
def status(request: HttpRequest) -> HttpResponse:
    return render(
        request, "supervision/status.html", {**public_status(), "generated_at": timezone.now()}
    )
