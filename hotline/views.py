"""Hotline pages: thin callers of hotline.services; each one checks its role's permission."""

from functools import wraps

from django.contrib.auth.decorators import permission_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from equipment.models import District
from hotline import personal_data, services
from hotline.forms import (
    CallbackDoneForm,
    CallForm,
    CampaignOutcomeForm,
    CampaignStartForm,
    PeriodForm,
    PersonalDataReadsForm,
    ReferralMoveForm,
    ReferralNoteForm,
    ReferralSearchForm,
    RoundTheClockForm,
)
from hotline.models import (
    Call,
    CallbackCampaign,
    CallbackRequest,
    CampaignCall,
    Category,
    Referral,
    VulnerablePerson,
)
from hotline.statistics import Period, default_period, hotline_statistics, statistics_csv
from interventions.models import Service


def _refuse(errors) -> JsonResponse:
    return JsonResponse({"errors": errors}, status=400)


def _form_errors(form) -> dict:
    return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


def _validation_errors(error: ValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {
            name: [m for e in errs for m in e.messages] for name, errs in error.error_dict.items()
        }
    return {"__all__": error.messages}


def _bad_form(request: HttpRequest, errors: dict) -> HttpResponse:
    return render(request, "hotline/refused.html", {"errors": errors}, status=400)


def personal_data_page(permission: str):
    """A page of callers' or referred people's data: its role's permission, and the personal
    data permission held explicitly (an administrator's blanket rights do not open it)."""

    def decorate(view):
        @wraps(view)
        def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not (request.user.has_perm(permission) and personal_data.can_read(request.user)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return checked

    return decorate


# --- The agent's call screen --------------------------------------------------------


@require_GET
@permission_required("hotline.add_call", raise_exception=True)
def desk(request: HttpRequest) -> HttpResponse:
    categories = Category.objects.filter(active=True)
    figures = services.hotline_figures()
    return render(
        request,
        "hotline/desk.html",
        {
            "categories": categories,
            "outcomes": Call.Outcome.choices,
            "districts": District.objects.only("id", "name"),
            "services": Service.choices,
            "figures": figures,
            "calls_today_text": calls_today_text(figures["calls_today"]),
            "opening_hours": services.opening_hours_today(),
        },
    )


@require_POST
@permission_required("hotline.add_call", raise_exception=True)
def log_call(request: HttpRequest) -> JsonResponse:
    form = CallForm(request.POST)
    if not form.is_valid():
        return _refuse(_form_errors(form))
    try:
        call = services.take_call(form.call_data(), request.user, **form.follow_up())
    except ValidationError as error:
        return _refuse(_validation_errors(error))
    calls_today = services.hotline_figures()["calls_today"]
    return JsonResponse(
        {
            "call": services.call_summary(call),
            "intervention": call.intervention.reference if call.intervention else None,
            # The desk's "N calls today" follows each call saved.
            "calls_today": calls_today,
            "calls_today_text": calls_today_text(calls_today),
        },
        status=201,
    )


def calls_today_text(count: int) -> str:
    return ngettext("%(count)d call today", "%(count)d calls today", count) % {"count": count}


@require_GET
@permission_required("hotline.view_article", raise_exception=True)
def search_answers(request: HttpRequest) -> JsonResponse:
    """Approved answers as the agent types: current versions only, best match first."""
    query = request.GET.get("q", "").strip()[:100]
    category = request.GET.get("category", "")
    answers = services.search_answers(query, category)
    return JsonResponse(
        {
            "answers": [
                {
                    "id": a.pk,
                    "key": a.key,
                    "version": a.version,
                    "title": a.title,
                    "body": a.body,
                    "source": a.get_source_display(),
                    "category": a.category.code,
                    "valid_until": a.valid_until.isoformat() if a.valid_until else None,
                }
                for a in answers
            ]
        }
    )


# --- Call-backs ---------------------------------------------------------------------


@require_GET
@personal_data_page("hotline.view_callbackrequest")
def callbacks(request: HttpRequest) -> HttpResponse:
    """The shared queue of callers to ring back: any agent may take any of them."""
    queue = list(services.callback_queue())
    personal_data.record_reads(
        request.user, personal_data.Record.CALL, [c.call_id for c in queue], "page call-backs"
    )
    return render(request, "hotline/callbacks.html", {"callbacks": queue})


@require_POST
@permission_required("hotline.change_callbackrequest", raise_exception=True)
def callback_done(request: HttpRequest, pk: int) -> HttpResponse:
    callback = get_object_or_404(CallbackRequest, pk=pk)
    form = CallbackDoneForm(request.POST)
    if not form.is_valid():
        return _bad_form(request, _form_errors(form))
    try:
        services.complete_callback(callback, form.cleaned_data["result"], request.user)
    except ValidationError as error:
        return _bad_form(request, _validation_errors(error))
    return redirect("hotline:callbacks")


# --- Referrals: the social team's queue, and the register ---------------------------


@require_GET
@personal_data_page("hotline.view_referral")
def referrals(request: HttpRequest) -> HttpResponse:
    form = ReferralSearchForm(request.GET)
    if not form.is_valid():
        return _bad_form(request, _form_errors(form))
    search = form.cleaned_data
    shown = services.referral_queue(
        search["status"], search["name"], search["district"], search["day"]
    )
    for referral in shown:
        referral.next_steps = services.next_referral_steps(referral.status)
    personal_data.record_reads(
        request.user, personal_data.Record.REFERRAL, [r.pk for r in shown], "page referrals"
    )
    return render(
        request,
        "hotline/referrals.html",
        {"referrals": shown, "form": form, "status": search["status"]},
    )


@require_POST
@permission_required("hotline.change_referral", raise_exception=True)
def referral_move(request: HttpRequest, pk: int) -> HttpResponse:
    referral = get_object_or_404(Referral, pk=pk)
    form = ReferralMoveForm(request.POST)
    if not form.is_valid():
        return _bad_form(request, _form_errors(form))
    try:
        services.move_referral(
            referral, form.cleaned_data["status"], form.cleaned_data["note"], request.user
        )
    except ValidationError as error:
        return _bad_form(request, _validation_errors(error))
    return redirect("hotline:referrals")


@require_POST
@permission_required("hotline.add_referralnote", raise_exception=True)
def referral_note(request: HttpRequest, pk: int) -> HttpResponse:
    referral = get_object_or_404(Referral, pk=pk)
    form = ReferralNoteForm(request.POST)
    if not form.is_valid():
        return _bad_form(request, _form_errors(form))
    services.add_referral_note(referral, form.cleaned_data["note"], request.user)
    return redirect("hotline:referrals")


@require_GET
@personal_data_page("hotline.view_vulnerableperson")
def register(request: HttpRequest) -> HttpResponse:
    people = list(services.register().select_related("district"))
    personal_data.record_reads(
        request.user,
        personal_data.Record.VULNERABLE_PERSON,
        [p.pk for p in people],
        "page register",
    )
    return render(request, "hotline/register.html", {"people": people})


@require_POST
@permission_required("hotline.change_vulnerableperson", raise_exception=True)
def register_leave(request: HttpRequest, pk: int) -> HttpResponse:
    services.leave_register(get_object_or_404(VulnerablePerson, pk=pk), request.user)
    return redirect("hotline:register")


# --- Crisis: campaigns and 24/7 -----------------------------------------------------


def readable_summary(campaign: CallbackCampaign) -> dict:
    """A campaign's summary as the desk reads it: outcomes and crisis named in the page's
    language, the start a datetime (shown in Paris time)."""
    summary = services.campaign_summary(campaign)
    names = dict(CampaignCall.Outcome.choices)
    summary["outcome_rows"] = [
        (names.get(code, code), n) for code, n in summary["outcomes"].items()
    ]
    summary["crisis_name"] = dict(CallbackCampaign.Crisis.choices).get(
        campaign.crisis, campaign.crisis
    )
    summary["started"] = campaign.started_at
    return summary


@require_GET
@permission_required("hotline.view_callbackcampaign", raise_exception=True)
def campaigns(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "hotline/campaigns.html",
        {
            "campaigns": [readable_summary(c) for c in CallbackCampaign.objects.all()[:50]],
            "crises": CallbackCampaign.Crisis.choices,
            "mode": services.hotline_mode(),
            "register_size": services.register().count(),
            "opening_hours": services.opening_hours_today(),
            "is_open": services.is_open(),
        },
    )


@require_POST
@permission_required("hotline.run_campaign", raise_exception=True)
def campaign_start(request: HttpRequest) -> HttpResponse:
    form = CampaignStartForm(request.POST)
    if not form.is_valid():
        return _bad_form(request, _form_errors(form))
    services.start_callback_campaign(
        form.cleaned_data["name"], form.cleaned_data["crisis"], actor=request.user
    )
    return redirect("hotline:campaigns")


@require_POST
@permission_required("hotline.run_campaign", raise_exception=True)
def campaign_close(request: HttpRequest, pk: int) -> HttpResponse:
    services.close_callback_campaign(get_object_or_404(CallbackCampaign, pk=pk), request.user)
    return redirect("hotline:campaigns")


@require_POST
@permission_required("hotline.switch_round_the_clock", raise_exception=True)
def round_the_clock(request: HttpRequest) -> HttpResponse:
    form = RoundTheClockForm(request.POST)
    form.is_valid()  # a missing box means "off", as in any HTML form
    services.set_round_the_clock(form.cleaned_data.get("enabled", False), request.user)
    return redirect("hotline:campaigns")


@require_GET
@personal_data_page("hotline.change_campaigncall")
def campaign_work(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(CallbackCampaign, pk=pk)
    next_calls = list(services.next_campaign_calls(campaign)[:30])
    personal_data.record_reads(
        request.user,
        personal_data.Record.VULNERABLE_PERSON,
        [c.person_id for c in next_calls],
        "page campaign",
    )
    return render(
        request,
        "hotline/campaign_work.html",
        {
            "campaign": campaign,
            "summary": readable_summary(campaign),
            "next_calls": next_calls,
            "outcomes": [
                c for c in CampaignCall.Outcome.choices if c[0] != CampaignCall.Outcome.PENDING
            ],
        },
    )


@require_POST
@permission_required("hotline.change_campaigncall", raise_exception=True)
def campaign_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    campaign_call = get_object_or_404(CampaignCall, pk=pk)
    form = CampaignOutcomeForm(request.POST)
    if not form.is_valid():
        return _bad_form(request, _form_errors(form))
    try:
        services.record_campaign_outcome(
            campaign_call, form.cleaned_data["outcome"], form.cleaned_data["note"], request.user
        )
    except ValidationError as error:
        return _bad_form(request, _validation_errors(error))
    return redirect("hotline:campaign", pk=campaign_call.campaign_id)


# --- Statistics ---------------------------------------------------------------------


def _period(request: HttpRequest) -> Period | dict:
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return _form_errors(form)
    fallback = default_period()
    return Period(
        form.cleaned_data.get("start") or fallback.start,
        form.cleaned_data.get("end") or fallback.end,
    )


@require_GET
@permission_required("hotline.view_statistics", raise_exception=True)
def statistics(request: HttpRequest) -> HttpResponse:
    period = _period(request)
    if isinstance(period, dict):
        return _bad_form(request, period)
    figures = hotline_statistics(period)
    return render(request, "hotline/statistics.html", {"stats": figures, "period": period})


@require_GET
@permission_required("hotline.view_statistics", raise_exception=True)
def statistics_export(request: HttpRequest) -> HttpResponse:
    period = _period(request)
    if isinstance(period, dict):
        return _refuse(period)
    response = HttpResponse(
        statistics_csv(hotline_statistics(period)), content_type="text/csv; charset=utf-8"
    )
    name = f"hotline-{period.start}-{period.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
def figures(request: HttpRequest) -> JsonResponse:
    """The wall's hotline panel: counts only, for the wall kiosk and the supervisors."""
    user = request.user
    if not (user.has_perm("supervision.view_wall") or user.has_perm("hotline.view_statistics")):
        return JsonResponse({"detail": _("Not allowed.")}, status=403)
    return JsonResponse(services.hotline_figures())


# --- Personal data: who read it ------------------------------------------------------


@require_GET
def personal_data_reads(request: HttpRequest) -> HttpResponse:
    """The social support lead's register of reads: who read which record, when, where."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not personal_data.can_audit(request.user):
        raise PermissionDenied
    form = PersonalDataReadsForm(request.GET)
    if not form.is_valid():
        return _bad_form(request, _form_errors(form))
    found = personal_data.reads(
        form.cleaned_data.get("record_type") or "",
        form.cleaned_data.get("record_id"),
        form.cleaned_data.get("reader") or "",
    )
    return render(
        request,
        "hotline/personal_data_reads.html",
        {"reads": found[:500], "form": form, "records": personal_data.Record.choices},
    )
