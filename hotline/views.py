"""Hotline pages: thin callers of hotline.services; each one checks its role's permission."""

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from equipment.models import District
from hotline import services
from hotline.forms import (
    CallbackDoneForm,
    CallForm,
    CampaignOutcomeForm,
    CampaignStartForm,
    PeriodForm,
    ReferralMoveForm,
    ReferralNoteForm,
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


# --- The agent's call screen --------------------------------------------------------


@require_GET
@permission_required("hotline.add_call", raise_exception=True)
def desk(request: HttpRequest) -> HttpResponse:
    categories = Category.objects.filter(active=True)
    return render(
        request,
        "hotline/desk.html",
        {
            "categories": categories,
            "outcomes": Call.Outcome.choices,
            "districts": District.objects.only("id", "name"),
            "services": Service.choices,
            "figures": services.hotline_figures(),
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
    return JsonResponse(
        {
            "call": services.call_summary(call),
            "intervention": call.intervention.reference if call.intervention else None,
        },
        status=201,
    )


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
@permission_required(
    ["hotline.view_callbackrequest", "hotline.view_personal_data"], raise_exception=True
)
def callbacks(request: HttpRequest) -> HttpResponse:
    return render(request, "hotline/callbacks.html", {"callbacks": services.callback_queue()})


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
@permission_required(["hotline.view_referral", "hotline.view_personal_data"], raise_exception=True)
def referrals(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    queue = Referral.objects.filter(anonymised_at=None).select_related("district")
    queue = queue.prefetch_related("notes")
    if status in Referral.Status.values:
        queue = queue.filter(status=status)
    else:
        queue = queue.exclude(status=Referral.Status.CLOSED)
    return render(
        request,
        "hotline/referrals.html",
        {
            "referrals": queue.order_by("created_at")[:500],
            "statuses": Referral.Status.choices,
            "status": status,
            "flow": {k: sorted(v) for k, v in services.REFERRAL_FLOW.items()},
        },
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
@permission_required(
    ["hotline.view_vulnerableperson", "hotline.view_personal_data"], raise_exception=True
)
def register(request: HttpRequest) -> HttpResponse:
    people = services.register().select_related("district")
    return render(request, "hotline/register.html", {"people": people})


@require_POST
@permission_required("hotline.change_vulnerableperson", raise_exception=True)
def register_leave(request: HttpRequest, pk: int) -> HttpResponse:
    services.leave_register(get_object_or_404(VulnerablePerson, pk=pk), request.user)
    return redirect("hotline:register")


# --- Crisis: campaigns and 24/7 -----------------------------------------------------


@require_GET
@permission_required("hotline.view_callbackcampaign", raise_exception=True)
def campaigns(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "hotline/campaigns.html",
        {
            "campaigns": [
                services.campaign_summary(c) for c in CallbackCampaign.objects.all()[:50]
            ],
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
@permission_required(
    ["hotline.change_campaigncall", "hotline.view_personal_data"], raise_exception=True
)
def campaign_work(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(CallbackCampaign, pk=pk)
    return render(
        request,
        "hotline/campaign_work.html",
        {
            "campaign": campaign,
            "summary": services.campaign_summary(campaign),
            "next_calls": services.next_campaign_calls(campaign)[:30],
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
        return JsonResponse({"detail": "Not allowed."}, status=403)
    return JsonResponse(services.hotline_figures())
