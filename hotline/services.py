"""Hotline calls, follow-ups, referrals, the register and call-back campaigns.

Events carry no personal data: the wall and the events log show them to every room role.
"""

import re
import unicodedata
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.models import (
    Article,
    Call,
    CallbackCampaign,
    CallbackRequest,
    CampaignCall,
    HotlineMode,
    Referral,
    ReferralNote,
    VulnerablePerson,
)
from interventions.services import create_intervention
from ondijon import bus


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def call_summary(call: Call) -> dict:
    return {
        "id": call.pk,
        "category": call.category.code,
        "category_name": call.category.name,
        "channel": call.channel,
        "outcome": call.outcome,
        "outcome_label": str(call.get_outcome_display()),
        "started_at": call.started_at.isoformat(),
        "handling_seconds": handling_seconds(call),
        "district": call.district_id,
        "intervention": call.intervention_id,
    }


def handling_seconds(call: Call) -> int | None:
    if not call.ended_at:
        return None
    return round((call.ended_at - call.started_at).total_seconds())


def referral_summary(referral: Referral) -> dict:
    return {"id": referral.pk, "status": referral.status, "district": referral.district_id}


def emit_call_logged(call: Call, agent=None) -> None:
    bus.emit(
        "hotline.call_logged",
        subject_type="call",
        subject_id=call.pk,
        subject_label=call.category.name,
        service="hotline",
        payload={"call": call_summary(call)},
        actor=_user(agent),
    )


# --- Calls --------------------------------------------------------------------------


@transaction.atomic
def log_call(data: dict, agent=None) -> Call:
    call = Call(**data)
    call.agent = _user(agent)
    call.started_at = call.started_at or timezone.now()
    call.ended_at = call.ended_at or timezone.now()
    call.full_clean()
    call.save()
    emit_call_logged(call, agent)
    return call


@transaction.atomic
def take_call(
    call_data: dict,
    agent=None,
    *,
    handling_seconds: int | None = None,
    callback_due_at: datetime | None = None,
    intervention: dict | None = None,
    referral: dict | None = None,
) -> Call:
    """Log a call from the agent's screen with its follow-up, all or nothing.

    The screen measures the call from pick-up to save; the server clock sets both ends so
    that a browser with a wrong clock cannot skew the handling times.
    """
    now = timezone.now()
    data = dict(call_data)
    data["ended_at"] = now
    data["started_at"] = now - timedelta(seconds=max(0, handling_seconds or 0))
    outcome = data.get("outcome") or Call.Outcome.ANSWERED
    if outcome == Call.Outcome.CALL_BACK and not callback_due_at:
        raise ValidationError({"callback_due_at": _("A call-back needs a due time.")})
    if outcome == Call.Outcome.INTERVENTION and not intervention:
        raise ValidationError({"intervention_title": _("Describe the intervention to create.")})
    if outcome == Call.Outcome.REFERRAL and not referral:
        raise ValidationError({"referral_name": _("Name the person to refer.")})
    article = data.get("article")
    if article and not Article.objects.current().filter(pk=article.pk).exists():
        raise ValidationError({"article": _("This answer is no longer the current version.")})
    if article and not data.get("answer"):
        data["answer"] = article.body
    call = Call(**data)
    call.agent = _user(agent)
    call.full_clean()
    call.save()
    if callback_due_at:
        request_callback(call, callback_due_at)
    if intervention:
        create_intervention_from_call(call, intervention, agent)
    if referral:
        create_referral({**referral, "call": call, "district": call.district}, agent)
    emit_call_logged(call, agent)
    return call


@transaction.atomic
def update_call(call: Call, changes: dict, agent=None) -> Call:
    for name, value in changes.items():
        setattr(call, name, value)
    call.full_clean()
    call.save()
    return call


def create_intervention_from_call(call: Call, details: dict, agent=None):
    """A fly-tip, a broken light: the call becomes an intervention, linked both ways."""

    district = call.district
    lat, lon = (
        (district.center_latitude, district.center_longitude) if district else settings.MAP_CENTER
    )
    # A citizen's app (Open311) sends where the problem is; the phone desk gives the district.
    if details.get("latitude") is not None and details.get("longitude") is not None:
        lat, lon = details["latitude"], details["longitude"]
    intervention = create_intervention(
        {
            "title": details["title"],
            "category": details.get("category") or call.category.code,
            "service": details["service"],
            "priority": details.get("priority") or 3,
            # What the agent wrote for the crew, never the caller's own words (personal data
            # that would outlive the call's retention in the intervention).
            "description": details.get("description", ""),
            "address": details.get("address", ""),
            "district": district,
            "latitude": lat,
            "longitude": lon,
        },
        actor=_user(agent),
    )
    call.intervention = intervention
    call.save(update_fields=["intervention"])
    return intervention


# --- Call-back requests -------------------------------------------------------------


def request_callback(call: Call, due_at: datetime) -> CallbackRequest:
    callback = CallbackRequest(call=call, due_at=due_at)
    callback.full_clean(exclude=["call"])
    callback.save()
    return callback


def callback_queue():
    """Open call-back requests, the most overdue first."""
    return (
        CallbackRequest.objects.filter(done_at=None)
        .select_related("call", "call__category", "call__district")
        .order_by("due_at")
    )


@transaction.atomic
def complete_callback(callback: CallbackRequest, result: str, actor=None) -> CallbackRequest:
    if callback.done_at:
        raise ValidationError({"callback": _("This call-back is already done.")})
    callback.done_at = timezone.now()
    callback.done_by = _user(actor)
    callback.result = result
    callback.save()
    return callback


# --- Referrals and the register -----------------------------------------------------


@transaction.atomic
def create_referral(data: dict, actor=None) -> Referral:
    """A new referral starts the social team's flow at its beginning, whatever it is given."""
    referral = Referral(**{**data, "status": Referral.Status.NEW, "closed_at": None})
    referral.created_at = timezone.now()
    referral.created_by = _user(actor)
    if not referral.consent:
        raise ValidationError({"consent": _("Refer a person only with their consent.")})
    referral.consent_at = referral.consent_at or referral.created_at
    referral.full_clean()
    referral.save()
    if referral.register_consent:
        add_to_register(referral)
    bus.emit(
        "hotline.referral_created",
        subject_type="referral",
        subject_id=referral.pk,
        subject_label=_("Referral to social support"),
        service="hotline",
        payload={"referral": referral_summary(referral)},
        actor=_user(actor),
    )
    return referral


def add_to_register(referral: Referral) -> VulnerablePerson:
    if not referral.phone:
        raise ValidationError({"phone": _("The register needs a phone number to call back.")})
    person, _created = VulnerablePerson.objects.get_or_create(
        referral=referral,
        defaults={
            "name": referral.person_name,
            "phone": referral.phone,
            "address": referral.address,
            "district": referral.district,
            "needs": referral.needs,
            "consent_at": referral.consent_at or timezone.now(),
        },
    )
    return person


REFERRAL_FLOW = {
    Referral.Status.NEW: {Referral.Status.CONTACTED, Referral.Status.CLOSED},
    Referral.Status.CONTACTED: {Referral.Status.SUPPORTED, Referral.Status.CLOSED},
    Referral.Status.SUPPORTED: {Referral.Status.CLOSED},
    Referral.Status.CLOSED: set(),
}


# Referrals that came in this recently and nobody has contacted yet stand out in the queue.
NEW_ARRIVAL = timedelta(hours=24)


def referral_queue(
    status: str = "", name: str = "", district=None, day=None, limit: int = 500
) -> list[Referral]:
    """The social team's queue, newest first: open referrals (or those of one status), by a
    part of the person's name, a district, the day they came in (the city's day)."""
    queue = Referral.objects.filter(anonymised_at=None).select_related("district")
    queue = queue.prefetch_related("notes")
    if status in Referral.Status.values:
        queue = queue.filter(status=status)
    else:
        queue = queue.exclude(status=Referral.Status.CLOSED)
    if name:
        queue = queue.filter(person_name__icontains=name.strip())
    if district is not None:
        queue = queue.filter(district=district)
    if day is not None:
        start = timezone.make_aware(datetime.combine(day, time.min))
        queue = queue.filter(created_at__gte=start, created_at__lt=start + timedelta(days=1))
    shown = list(queue.order_by("-created_at", "-pk")[:limit])
    arrivals_since = timezone.now() - NEW_ARRIVAL
    for referral in shown:
        referral.new_arrival = (
            referral.status == Referral.Status.NEW and referral.created_at >= arrivals_since
        )
    return shown


def next_referral_steps(status: str) -> list[tuple[str, str]]:
    """The steps a referral may take from `status`, forward only, in the flow's order."""
    allowed = REFERRAL_FLOW.get(status, set())
    return [(value, label) for value, label in Referral.Status.choices if value in allowed]


@transaction.atomic
def move_referral(referral: Referral, status: str, note: str = "", actor=None) -> Referral:
    """The social team's queue: new -> contacted -> supported -> closed, with a note."""
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if status not in REFERRAL_FLOW.get(referral.status, set()):
        raise ValidationError(
            {
                "status": _("A referral cannot go from %(status)s to %(status2)s.")
                % {"status": referral.status, "status2": status}
            }
        )
    return update_referral(referral, {"status": status}, actor=actor, note=note)


@transaction.atomic
def update_referral(referral: Referral, changes: dict, actor=None, note: str = "") -> Referral:
    """Change a referral; its status follows the social team's flow and consent, once given,
    is never taken back by an edit (the person leaves the register instead)."""
    previous_status = referral.status
    status = changes.get("status", previous_status)
    if status != previous_status and status not in REFERRAL_FLOW.get(previous_status, set()):
        raise ValidationError(
            {
                "status": _("A referral cannot go from %(previous_status)s to %(status)s.")
                % {"previous_status": previous_status, "status": status}
            }
        )
    if referral.consent and "consent" in changes and not changes["consent"]:
        raise ValidationError({"consent": _("Consent given cannot be removed by an edit.")})
    for name, value in changes.items():
        setattr(referral, name, value)
    if referral.status == Referral.Status.CLOSED and not referral.closed_at:
        referral.closed_at = timezone.now()
    referral.full_clean()
    referral.save()
    if note:
        add_referral_note(referral, note, actor)
    if referral.status != previous_status:
        bus.emit(
            "hotline.referral_status_changed",
            subject_type="referral",
            subject_id=referral.pk,
            subject_label=_("Referral to social support"),
            service="social_support",
            payload={"referral": referral_summary(referral)},
            actor=_user(actor),
        )
    return referral


def add_referral_note(referral: Referral, text: str, actor=None) -> ReferralNote:
    if not text.strip():
        raise ValidationError({"note": _("Write something.")})
    return ReferralNote.objects.create(referral=referral, text=text.strip(), author=_user(actor))


@transaction.atomic
def leave_register(person: VulnerablePerson, actor=None) -> VulnerablePerson:
    """Consent withdrawn: no more call-backs; data goes with the social team's retention."""
    person.left_at = person.left_at or timezone.now()
    person.save(update_fields=["left_at"])
    return person


def register():
    return VulnerablePerson.objects.filter(left_at=None, anonymised_at=None)


# --- Crisis: call-back campaigns and 24/7 -------------------------------------------


def campaign_summary(campaign: CallbackCampaign) -> dict:
    counts = dict(
        campaign.calls.values_list("outcome").annotate(n=Count("id")).values_list("outcome", "n")
    )
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "crisis": campaign.crisis,
        "started_at": campaign.started_at.isoformat(),
        "closed_at": campaign.closed_at.isoformat() if campaign.closed_at else None,
        "people": sum(counts.values()),
        "outcomes": counts,
    }


@transaction.atomic
def start_callback_campaign(
    name: str, crisis: str = CallbackCampaign.Crisis.OTHER, actor=None, districts=None
) -> CallbackCampaign:
    """Call back every person on the register (optionally only some districts).

    Called by the supervisor's page and by crisis playbooks.
    """
    campaign = CallbackCampaign(
        name=name, crisis=crisis, started_by=_user(actor), started_at=timezone.now()
    )
    campaign.full_clean()
    campaign.save()
    people = register()
    if districts:
        people = people.filter(district__in=districts)
    CampaignCall.objects.bulk_create(
        [
            CampaignCall(campaign=campaign, person_id=pk)
            for pk in people.values_list("pk", flat=True)
        ]
    )
    bus.emit(
        "hotline.campaign_started",
        subject_type="campaign",
        subject_id=campaign.pk,
        subject_label=campaign.name,
        service="hotline",
        payload={"campaign": campaign_summary(campaign)},
        actor=_user(actor),
    )
    return campaign


@transaction.atomic
def close_callback_campaign(campaign: CallbackCampaign, actor=None) -> CallbackCampaign:
    campaign.closed_at = campaign.closed_at or timezone.now()
    campaign.save(update_fields=["closed_at"])
    bus.emit(
        "hotline.campaign_closed",
        subject_type="campaign",
        subject_id=campaign.pk,
        subject_label=campaign.name,
        service="hotline",
        payload={"campaign": campaign_summary(campaign)},
        actor=_user(actor),
    )
    return campaign


@transaction.atomic
def record_campaign_outcome(
    campaign_call: CampaignCall, outcome: str, note: str = "", actor=None
) -> CampaignCall:
    campaign_call = CampaignCall.objects.select_for_update().get(pk=campaign_call.pk)
    if campaign_call.campaign.closed_at:
        raise ValidationError({"campaign": _("This campaign is closed.")})
    if outcome not in CampaignCall.Outcome.values or outcome == CampaignCall.Outcome.PENDING:
        raise ValidationError({"outcome": _("Choose what came of the call.")})
    campaign_call.outcome = outcome
    campaign_call.note = note
    campaign_call.attempts += 1
    campaign_call.agent = _user(actor)
    campaign_call.called_at = timezone.now()
    campaign_call.save()
    return campaign_call


def next_campaign_calls(campaign: CallbackCampaign):
    """Whom to call next: never called first, then those who did not answer."""
    return (
        campaign.calls.filter(
            outcome__in=[CampaignCall.Outcome.PENDING, CampaignCall.Outcome.NO_ANSWER]
        )
        .select_related("person", "person__district")
        .order_by("attempts", "id")
    )


def hotline_mode() -> HotlineMode:
    mode, _created = HotlineMode.objects.get_or_create(pk=1)
    return mode


@transaction.atomic
def set_round_the_clock(enabled: bool, actor=None) -> HotlineMode:
    """Switch the hotline to 24/7 (a crisis mode) or back to its opening hours."""
    mode = HotlineMode.objects.select_for_update().filter(pk=1).first() or hotline_mode()
    if mode.round_the_clock == enabled:
        return mode
    mode.round_the_clock = enabled
    mode.changed_at = timezone.now()
    mode.changed_by = _user(actor)
    mode.save()
    bus.emit(
        "hotline.hours_changed",
        subject_type="hotline",
        subject_id=1,
        subject_label=_("Hotline open 24/7") if enabled else _("Hotline back to opening hours"),
        service="hotline",
        payload={"hotline": {"round_the_clock": enabled}},
        actor=_user(actor),
    )
    return mode


def _parse(hhmm: str) -> time:
    hours, minutes = hhmm.split(":")
    return time(int(hours), int(minutes))


def is_open(at: datetime | None = None) -> bool:
    if hotline_mode().round_the_clock:
        return True
    local = timezone.localtime(at or timezone.now())
    ranges = settings.HOTLINE_OPENING_HOURS.get(local.weekday(), [])
    return any(_parse(start) <= local.time() < _parse(end) for start, end in ranges)


def opening_hours_today(at: datetime | None = None) -> list[tuple[str, str]]:
    local = timezone.localtime(at or timezone.now())
    return list(settings.HOTLINE_OPENING_HOURS.get(local.weekday(), []))


# --- For the wall -------------------------------------------------------------------


def hotline_figures(at: datetime | None = None) -> dict:
    """The hotline panel of the wall: counts only, no personal data."""
    now = at or timezone.now()
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    calls = Call.objects.filter(started_at__gte=day_start, started_at__lte=now).aggregate(
        today=Count("id"),
        last_hour=Count("id", filter=Q(started_at__gte=now - timedelta(hours=1))),
    )
    return {
        "calls_today": calls["today"],
        "calls_last_hour": calls["last_hour"],
        "callbacks_due": CallbackRequest.objects.filter(done_at=None, due_at__lte=now).count(),
        "referrals_open": Referral.objects.exclude(status=Referral.Status.CLOSED)
        .filter(anonymised_at=None)
        .count(),
        "register_size": register().count(),
        "campaigns_running": CallbackCampaign.objects.filter(closed_at=None).count(),
        "round_the_clock": hotline_mode().round_the_clock,
        "open": is_open(now),
    }


def current_answers(public_only: bool = False):
    """Approved answers valid now, newest version of each: for agents and the public page."""
    answers = Article.objects.current().select_related("category")
    return answers.filter(public=True) if public_only else answers


def folded(text: str) -> str:
    """Text as agents type it in a hurry: no accents, no case ("eclairage" = "Éclairage")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def search_answers(query: str, category_code: str = "", limit: int = 8) -> list[Article]:
    """Current answers matching the agent's free text, best first.

    The agent types the caller's question, not search terms, so any word of three letters or
    more counts; answers of the call's category come first, then a word in the title weighs
    more than one in the answer. The current answers are a few hundred at most: ranked in Python.
    """
    words = {w for w in re.findall(r"\w+", folded(query)) if len(w) >= 3}

    def score(article: Article) -> int:
        title, text = folded(article.title), folded(f"{article.key} {article.body}")
        return sum(2 * (w in title) + (w in text) for w in words)

    ranked = []
    for article in current_answers():
        points = score(article)
        in_category = article.category.code == category_code
        if points or (not words and in_category):
            ranked.append((not in_category, -points, article.title, article))
    return [row[-1] for row in sorted(ranked, key=lambda row: row[:3])[:limit]]


@transaction.atomic
def publish_new_version(article: Article, changes: dict, valid_from=None) -> Article:
    """A decision changed: the new version replaces the old one for every agent at once."""
    latest = Article.objects.filter(key=article.key).order_by("-version").first()
    new = Article(
        key=article.key,
        version=latest.version + 1,
        title=article.title,
        body=article.body,
        category=article.category,
        source=article.source,
        valid_until=article.valid_until,
        public=article.public,
    )
    for name, value in changes.items():
        setattr(new, name, value)
    new.valid_from = valid_from or timezone.now()
    new.full_clean()
    new.save()
    return new
