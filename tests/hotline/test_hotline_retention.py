"""Data protection: personal data goes after the retention period, the statistics stay."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from hotline import services
from hotline.models import Call, Category, Referral, VulnerablePerson
from hotline.statistics import Period, hotline_statistics
from ondijon.celery import app


def _call(category, days_ago, **extra):
    started = timezone.now() - timedelta(days=days_ago)
    return Call.objects.create(
        category=category,
        started_at=started,
        ended_at=started + timedelta(seconds=90),
        caller_name="Jean Dupont",
        caller_phone="0601020304",
        question="My neighbour Mrs X is alone",
        **extra,
    )


def test_scheduled_job_anonymises_old_callers_and_keeps_statistics(db, settings):
    settings.HOTLINE_CALLER_RETENTION_DAYS = 30
    settings.HOTLINE_REFERRAL_RETENTION_DAYS = 365
    category = Category.objects.create(code="other", name="Other")
    old, recent = _call(category, 40), _call(category, 5)
    period = Period(timezone.localdate() - timedelta(days=41), timezone.localdate())
    before = hotline_statistics(period)

    # The job is in the beat schedule and runs as a Celery task.
    entry = settings.CELERY_BEAT_SCHEDULE["hotline-anonymise-personal-data"]
    result = app.tasks[entry["task"]].apply().get()

    assert result == {"calls": 1, "referrals": 0, "register": 0}
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.caller_name, old.caller_phone, old.question) == ("", "", "")
    assert old.anonymised_at is not None
    assert old.category == category and old.ended_at - old.started_at == timedelta(seconds=90)
    assert recent.caller_name == "Jean Dupont" and recent.anonymised_at is None
    assert hotline_statistics(period) == before
    # Running again changes nothing.
    assert app.tasks[entry["task"]].apply().get() == {"calls": 0, "referrals": 0, "register": 0}


def test_referrals_follow_the_social_teams_retention(db, settings):
    settings.HOTLINE_REFERRAL_RETENTION_DAYS = 180
    open_referral = services.create_referral(
        {
            "person_name": "Still followed",
            "phone": "0380",
            "consent": True,
            "register_consent": True,
        }
    )
    closed = services.create_referral({"person_name": "Marcel Roux", "consent": True})
    services.move_referral(closed, "closed", "Moved to his daughter's")
    Referral.objects.filter(pk=closed.pk).update(closed_at=timezone.now() - timedelta(days=200))
    left = VulnerablePerson.objects.create(
        name="Left long ago",
        phone="0381",
        consent_at=timezone.now() - timedelta(days=400),
        left_at=timezone.now() - timedelta(days=190),
    )

    from hotline.retention import anonymise_expired_personal_data

    assert anonymise_expired_personal_data() == {"calls": 0, "referrals": 1, "register": 1}
    closed.refresh_from_db()
    left.refresh_from_db()
    assert closed.person_name == "(anonymised)" and closed.phone == "" and closed.needs == ""
    assert [n.text for n in closed.notes.all()] == ["(anonymised)"]
    assert (left.name, left.phone) == ("(anonymised)", "")
    open_referral.refresh_from_db()
    assert open_referral.person_name == "Still followed"
    assert list(services.register()) == [open_referral.register_entry]
    assert closed.status == "closed"  # counted in the statistics still


def test_retention_settings_have_defaults():
    assert settings.HOTLINE_CALLER_RETENTION_DAYS > 0
    assert settings.HOTLINE_REFERRAL_RETENTION_DAYS >= settings.HOTLINE_CALLER_RETENTION_DAYS
