"""Hotline calls and referrals. Events carry no personal data: the wall shows them."""

from django.db import transaction
from django.utils import timezone

from ondijon import bus

from .models import Call, Referral


def call_summary(call: Call) -> dict:
    return {
        "id": call.pk,
        "category": call.category.code,
        "channel": call.channel,
        "outcome": call.outcome,
        "started_at": call.started_at.isoformat(),
        "district": call.district_id,
    }


@transaction.atomic
def log_call(data: dict, agent=None) -> Call:
    call = Call(**data)
    call.agent = agent if getattr(agent, "is_authenticated", False) else None
    call.started_at = call.started_at or timezone.now()
    call.ended_at = call.ended_at or timezone.now()
    call.full_clean()
    call.save()
    bus.emit(
        "hotline.call_logged",
        subject_type="call",
        subject_id=call.pk,
        subject_label=call.category.name,
        service="hotline",
        payload={"call": call_summary(call)},
        actor=agent,
    )
    return call


@transaction.atomic
def update_call(call: Call, changes: dict, agent=None) -> Call:
    for name, value in changes.items():
        setattr(call, name, value)
    call.full_clean()
    call.save()
    return call


@transaction.atomic
def create_referral(data: dict, actor=None) -> Referral:
    referral = Referral(**data)
    referral.created_at = timezone.now()
    referral.created_by = actor if getattr(actor, "is_authenticated", False) else None
    if referral.consent and not referral.consent_at:
        referral.consent_at = referral.created_at
    referral.full_clean()
    referral.save()
    bus.emit(
        "hotline.referral_created",
        subject_type="referral",
        subject_id=referral.pk,
        subject_label="Referral to social support",
        service="hotline",
        payload={"referral": {"id": referral.pk, "district": referral.district_id}},
        actor=actor,
    )
    return referral


@transaction.atomic
def update_referral(referral: Referral, changes: dict, actor=None) -> Referral:
    previous_status = referral.status
    for name, value in changes.items():
        setattr(referral, name, value)
    referral.full_clean()
    referral.save()
    if referral.status != previous_status:
        bus.emit(
            "hotline.referral_status_changed",
            subject_type="referral",
            subject_id=referral.pk,
            subject_label="Referral to social support",
            service="social_support",
            payload={"referral": {"id": referral.pk, "status": referral.status}},
            actor=actor,
        )
    return referral
