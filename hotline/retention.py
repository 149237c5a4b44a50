"""Data protection: callers' personal data goes after the retention period, statistics stay."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from hotline.models import Call, Referral, ReferralNote, VulnerablePerson
from interventions.models import Intervention
from interventions.services import anonymise_descriptions

ANONYMISED = "(anonymised)"


@transaction.atomic
def anonymise_expired_personal_data(now: datetime | None = None) -> dict[str, int]:
    """Blank who called and what they said; keep category, times, outcome and district.

    What of the call reached an intervention (its description) goes with it.

    Referrals follow the social team's retention, counted from when they were closed; a
    person who left the register is anonymised after the same period.
    """
    now = now or timezone.now()
    call_limit = now - timedelta(days=settings.HOTLINE_CALLER_RETENTION_DAYS)
    social_limit = now - timedelta(days=settings.HOTLINE_REFERRAL_RETENTION_DAYS)
    expired_calls = Call.objects.filter(started_at__lt=call_limit, anonymised_at=None)
    anonymise_descriptions(
        Intervention.objects.filter(
            pk__in=expired_calls.exclude(intervention=None).values("intervention")
        )
    )
    calls = expired_calls.update(caller_name="", caller_phone="", question="", anonymised_at=now)
    expired_referrals = Referral.objects.filter(
        status=Referral.Status.CLOSED, closed_at__lt=social_limit, anonymised_at=None
    )
    ReferralNote.objects.filter(referral__in=expired_referrals).update(text=ANONYMISED)
    referrals = expired_referrals.update(
        person_name=ANONYMISED, phone="", address="", needs="", anonymised_at=now
    )
    people = VulnerablePerson.objects.filter(
        Q(left_at__lt=social_limit), anonymised_at=None
    ).update(name=ANONYMISED, phone="", address="", needs="", anonymised_at=now)
    return {"calls": calls, "referrals": referrals, "register": people}
