"""The hotline's services: calls with their follow-ups, answers and their versions, crisis."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from hotline import services
from hotline.models import (
    Article,
    Call,
    CallbackCampaign,
    CallbackRequest,
    CampaignCall,
    Category,
    Referral,
    VulnerablePerson,
)
from interventions.models import Intervention
from supervision.models import Event


@pytest.fixture
def forms(db):
    return Category.objects.create(code="declaration-forms", name="Forms", shortcut="1")


@pytest.fixture
def attestation(forms):
    return Article.objects.create(
        key="attestation",
        version=1,
        title="Travel form",
        body="Print it or copy it by hand.",
        category=forms,
        source=Article.Source.NATIONAL,
        valid_from=timezone.now() - timedelta(days=10),
    )


def test_routine_call_is_timed_by_the_server_and_gets_the_answer(forms, attestation, make_user):
    agent = make_user("hotline_agent")
    call = services.take_call(
        {"category": forms, "question": "Which form?", "article": attestation},
        agent,
        handling_seconds=25,
    )
    assert call.answer == attestation.body
    assert services.handling_seconds(call) == 25
    assert call.agent == agent
    event = Event.objects.get(kind="hotline.call_logged")
    assert event.payload["call"]["handling_seconds"] == 25
    assert "Which form?" not in str(event.payload)


def test_call_events_carry_no_personal_data(forms):
    services.take_call(
        {"category": forms, "caller_name": "Jean Dupont", "caller_phone": "0601020304"},
        handling_seconds=10,
    )
    payload = str(Event.objects.get(kind="hotline.call_logged").payload)
    assert "Dupont" not in payload and "0601" not in payload


def test_new_version_replaces_the_old_everywhere_at_once(attestation):
    assert list(services.current_answers()) == [attestation]
    new = services.publish_new_version(attestation, {"body": "Digital form allowed too."})
    assert new.version == 2
    assert list(services.current_answers()) == [new]
    assert [a.pk for a in services.search_answers("form")] == [new.pk]
    # A screen still holding version 1 cannot link it any more.
    with pytest.raises(ValidationError) as error:
        services.take_call(
            {"category": attestation.category, "article": attestation}, handling_seconds=5
        )
    assert "article" in error.value.error_dict
    assert Call.objects.count() == 0


def test_expired_and_future_answers_are_hidden(forms, attestation):
    now = timezone.now()
    Article.objects.create(
        key="old",
        title="Old",
        body="x",
        category=forms,
        source="local",
        valid_from=now - timedelta(days=9),
        valid_until=now - timedelta(days=1),
    )
    Article.objects.create(
        key="soon",
        title="Soon",
        body="x",
        category=forms,
        source="local",
        valid_from=now + timedelta(days=1),
    )
    assert [a.key for a in services.current_answers()] == ["attestation"]


def test_search_puts_the_calls_category_and_title_matches_first(forms, attestation):
    other = Category.objects.create(code="waste", name="Waste")
    Article.objects.create(
        key="tip",
        title="Recycling centre",
        body="Travel form not needed for the tip.",
        category=other,
        source="local",
        valid_from=timezone.now() - timedelta(days=1),
    )
    assert services.search_answers("form", "declaration-forms")[0].key == "attestation"
    assert services.search_answers("form", "waste")[0].key == "tip"
    assert [a.key for a in services.search_answers("recycling tip")] == ["tip"]


def test_call_back_outcome_needs_a_due_time_and_joins_the_queue(forms):
    with pytest.raises(ValidationError):
        services.take_call({"category": forms, "outcome": "call_back"}, handling_seconds=5)
    due = timezone.now() + timedelta(hours=2)
    call = services.take_call(
        {"category": forms, "outcome": "call_back"}, handling_seconds=5, callback_due_at=due
    )
    assert list(services.callback_queue()) == [call.callback]
    services.complete_callback(call.callback, "Called back, answered.")
    assert list(services.callback_queue()) == []
    with pytest.raises(ValidationError):
        services.complete_callback(CallbackRequest.objects.get(), "twice")


def test_call_creates_an_intervention_linked_both_ways(forms, district, make_user):
    call = services.take_call(
        {
            "category": forms,
            "outcome": "intervention",
            "question": "Fly-tip rue X",
            "district": district,
        },
        make_user("hotline_agent"),
        handling_seconds=40,
        intervention={"title": "Fly-tip rue X", "service": "cleaning"},
    )
    intervention = Intervention.objects.get()
    assert call.intervention == intervention
    assert list(intervention.calls.all()) == [call]
    assert (intervention.latitude, intervention.district) == (district.center_latitude, district)
    assert Event.objects.filter(kind="intervention.created").count() == 1


def test_bad_intervention_saves_nothing(forms):
    with pytest.raises(ValidationError):
        services.take_call(
            {"category": forms, "outcome": "intervention"},
            handling_seconds=5,
            intervention={"title": "Broken light", "service": "no-such-service"},
        )
    assert Call.objects.count() == 0 and Intervention.objects.count() == 0


def test_referral_needs_consent_and_may_join_the_register(forms):
    with pytest.raises(ValidationError):
        services.take_call(
            {"category": forms, "outcome": "referral"},
            handling_seconds=5,
            referral={"person_name": "Jeanne", "phone": "0380", "consent": False},
        )
    assert Call.objects.count() == 0
    call = services.take_call(
        {"category": forms, "outcome": "referral"},
        handling_seconds=5,
        referral={
            "person_name": "Jeanne",
            "phone": "0380",
            "consent": True,
            "register_consent": True,
        },
    )
    referral = call.referrals.get()
    assert referral.consent_at is not None
    assert list(services.register()) == [referral.register_entry]
    assert Event.objects.get(kind="hotline.referral_created").payload == {
        "referral": {"id": referral.pk, "status": "new", "district": None}
    }


def test_social_queue_moves_forward_only_with_notes(forms):
    referral = services.create_referral({"person_name": "Marcel", "consent": True})
    services.move_referral(referral, "contacted", "Rang, needs shopping.")
    services.move_referral(referral, "supported", "Volunteer found.")
    with pytest.raises(ValidationError):
        services.move_referral(referral, "new")
    services.move_referral(referral, "closed")
    referral.refresh_from_db()
    assert referral.status == "closed" and referral.closed_at is not None
    assert [n.text for n in referral.notes.all()] == ["Rang, needs shopping.", "Volunteer found."]
    kinds = Event.objects.filter(kind="hotline.referral_status_changed").count()
    assert kinds == 3


def _person(name, **extra):
    return VulnerablePerson.objects.create(
        name=name, phone="0380", consent_at=timezone.now(), **extra
    )


def test_campaign_calls_everyone_on_the_register_and_records_outcomes(make_user):
    anne, bruno = _person("Anne"), _person("Bruno")
    _person("Gone", left_at=timezone.now())
    supervisor = make_user("supervisor")
    campaign = services.start_callback_campaign("Heatwave 2026", "heatwave", actor=supervisor)
    assert sorted(c.person.name for c in campaign.calls.all()) == ["Anne", "Bruno"]
    first = services.next_campaign_calls(campaign)[0]
    services.record_campaign_outcome(first, "no_answer", actor=make_user("hotline_agent"))
    # Not answered goes to the back of the queue, after people never called.
    assert [c.person for c in services.next_campaign_calls(campaign)] == [bruno, anne]
    services.record_campaign_outcome(services.next_campaign_calls(campaign)[0], "reached_ok")
    with pytest.raises(ValidationError):
        services.record_campaign_outcome(first, "pending")
    summary = services.campaign_summary(campaign)
    assert summary["outcomes"] == {"no_answer": 1, "reached_ok": 1}
    event = Event.objects.get(kind="hotline.campaign_started")
    assert event.payload["campaign"]["people"] == 2 and "Anne" not in str(event.payload)
    services.close_callback_campaign(campaign)
    with pytest.raises(ValidationError):
        services.record_campaign_outcome(first, "reached_ok")
    assert CampaignCall.objects.filter(outcome="reached_ok").count() == 1
    assert CallbackCampaign.objects.get().closed_at is not None


def test_round_the_clock_overrides_opening_hours(settings, make_user):
    settings.HOTLINE_OPENING_HOURS = {d: [("08:30", "18:00")] for d in range(7)}
    night = timezone.now().replace(hour=2)  # 03:00 or 04:00 in Paris
    assert services.is_open(night) is False
    services.set_round_the_clock(True, make_user("supervisor"))
    assert services.is_open(night) is True
    assert services.hotline_figures()["round_the_clock"] is True
    services.set_round_the_clock(True)  # no change, no event
    services.set_round_the_clock(False)
    assert services.is_open(night) is False
    kinds = list(
        Event.objects.filter(kind="hotline.hours_changed").values_list("payload", flat=True)
    )
    assert kinds == [
        {"hotline": {"round_the_clock": True}},
        {"hotline": {"round_the_clock": False}},
    ]


def test_figures_for_the_wall(forms):
    services.take_call({"category": forms}, handling_seconds=5)
    services.take_call(
        {"category": forms, "outcome": "call_back"},
        handling_seconds=5,
        callback_due_at=timezone.now() - timedelta(minutes=1),
    )
    services.create_referral({"person_name": "X", "consent": True})
    figures = services.hotline_figures()
    assert figures["calls_today"] == 2 and figures["calls_last_hour"] == 2
    assert figures["callbacks_due"] == 1 and figures["referrals_open"] == 1
    assert Referral.objects.count() == 1


def test_category_keys_are_unique_and_leave_the_desks_own_keys(forms):
    with pytest.raises(ValidationError):
        Category(code="again", name="Again", shortcut="1").full_clean()
    with pytest.raises(ValidationError):
        Category(code="dogs", name="Dogs", shortcut="D").full_clean()
    Category(code="inactive", name="Old", shortcut="1", active=False).full_clean()
    Category(code="pools", name="Pools", shortcut="p").full_clean()
