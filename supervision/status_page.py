"""The public status page: no login, fast, readable on a phone."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control

from hotline.models import Article

from . import crisis, markets


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
            if mode["hotline_24_7"]
            else settings.HOTLINE_HOURS,
        },
    }


@login_not_required
@cache_control(public=True, max_age=15)
def status(request: HttpRequest) -> HttpResponse:
    return render(request, "status.html", public_status())
