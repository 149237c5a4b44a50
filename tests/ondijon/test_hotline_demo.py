"""The demo tells the first lockdown's story: ~4,650 calls in four weeks, 95 referrals."""

import time
from datetime import date

from hotline.models import Article, Call, Category, Referral, VulnerablePerson
from hotline.statistics import Period, hotline_statistics
from ondijon.demo import hotline as demo
from supervision.models import Event


def test_lockdown_weeks_are_seeded_fast_once_with_a_plausible_story(db):
    started = time.monotonic()
    first = demo.seed_hotline_demo()
    elapsed = time.monotonic() - started
    second = demo.seed_hotline_demo()

    assert first == {"calls": demo.TOTAL_CALLS, "referrals": 95}
    assert second == {"calls": 0, "referrals": 0}
    assert Call.objects.count() == 4650 and Referral.objects.count() == 95
    assert elapsed < 20  # bulk inserts; generous for a loaded CI machine
    assert not Event.objects.filter(kind="hotline.call_logged").exists()

    stats = hotline_statistics(Period(date(2020, 3, 15), date(2020, 4, 13)))
    assert stats["total_calls"] == 4650 and stats["referrals"]["total"] == 95
    per_day = [row["calls"] for row in stats["per_day"]]
    assert len(per_day) == 30
    assert max(per_day) == per_day[2]  # the peak: lockdown starts on 17 March
    assert per_day[0] < per_day[2] / 4 and per_day[-1] < per_day[2] / 2
    per_hour = [row["calls"] for row in stats["per_hour"]]
    assert sum(per_hour[9:12]) > 10 * sum(per_hour[1:4])  # mornings busy, nights quiet, not empty
    assert sum(per_hour[0:6]) > 0
    categories = [row["category"] for row in stats["per_category"]]
    assert categories[0] == Category.objects.get(code="declaration-forms").name
    assert 90 < stats["handling"]["average_seconds"] < 300
    # Every category of the issue is there with its shortcut, and answers have versions.
    assert set(Category.objects.values_list("code", flat=True)) >= {
        "declaration-forms",
        "opening-times",
        "fake-news",
        "lockdown-procedures",
        "waste-recycling",
        "municipal-services",
        "other",
    }
    assert Article.objects.filter(key="attestation-deplacement").count() == 2
    assert Article.objects.current().get(key="attestation-deplacement").version == 2
    assert VulnerablePerson.objects.count() > 50
    assert Referral.objects.filter(consent=True).count() == 95
