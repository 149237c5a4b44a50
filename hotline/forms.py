"""Input of the hotline pages: every field checked, errors returned field by field."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from equipment.models import District
from hotline.models import (
    Article,
    Call,
    CallbackCampaign,
    CampaignCall,
    Category,
    PersonalDataRead,
    Referral,
)
from interventions.models import Service


class CallForm(forms.Form):
    category = forms.ModelChoiceField(Category.objects.filter(active=True), to_field_name="code")
    question = forms.CharField(required=False, max_length=5000)
    article = forms.ModelChoiceField(Article.objects.all(), required=False)
    answer = forms.CharField(required=False, max_length=5000)
    outcome = forms.ChoiceField(choices=Call.Outcome.choices, initial=Call.Outcome.ANSWERED)
    caller_name = forms.CharField(required=False, max_length=150)
    caller_phone = forms.CharField(required=False, max_length=30)
    district = forms.ModelChoiceField(District.objects.all(), required=False)
    handling_seconds = forms.IntegerField(min_value=0, max_value=6 * 3600)
    callback_due_at = forms.DateTimeField(required=False)
    intervention_title = forms.CharField(required=False, max_length=200)
    intervention_service = forms.ChoiceField(choices=[("", ""), *Service.choices], required=False)
    intervention_address = forms.CharField(required=False, max_length=200)
    # Where the address box placed it (the district's centre otherwise).
    intervention_latitude = forms.FloatField(required=False, min_value=-90, max_value=90)
    intervention_longitude = forms.FloatField(required=False, min_value=-180, max_value=180)
    # What the crew needs to know, written for them: the caller's words stay in the call.
    intervention_description = forms.CharField(required=False, max_length=2000)
    referral_name = forms.CharField(required=False, max_length=150)
    referral_phone = forms.CharField(required=False, max_length=30)
    referral_address = forms.CharField(required=False, max_length=200)
    referral_needs = forms.CharField(required=False, max_length=2000)
    referral_consent = forms.BooleanField(required=False)
    referral_register = forms.BooleanField(required=False)

    CALL_FIELDS = [
        "category",
        "question",
        "article",
        "answer",
        "outcome",
        "caller_name",
        "caller_phone",
        "district",
    ]

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        if outcome == Call.Outcome.CALL_BACK and not data.get("callback_due_at"):
            self.add_error("callback_due_at", _("A call-back needs a due time."))
        if outcome == Call.Outcome.INTERVENTION:
            if not data.get("intervention_title"):
                self.add_error("intervention_title", _("Describe the intervention."))
            if not data.get("intervention_service"):
                self.add_error("intervention_service", _("Choose the service."))
        if outcome == Call.Outcome.REFERRAL:
            if not (data.get("referral_name") or data.get("caller_name")):
                self.add_error("referral_name", _("Name the person to refer."))
            if not data.get("referral_consent"):
                self.add_error("referral_consent", _("Refer a person only with their consent."))
            if data.get("referral_register") and not (
                data.get("referral_phone") or data.get("caller_phone")
            ):
                self.add_error("referral_phone", _("The register needs a phone number."))
        return data

    def call_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.CALL_FIELDS}

    def follow_up(self) -> dict:
        data, outcome = self.cleaned_data, self.cleaned_data["outcome"]
        follow_up: dict = {"handling_seconds": data["handling_seconds"]}
        if outcome == Call.Outcome.CALL_BACK:
            follow_up["callback_due_at"] = data["callback_due_at"]
        if outcome == Call.Outcome.INTERVENTION:
            follow_up["intervention"] = {
                "title": data["intervention_title"],
                "service": data["intervention_service"],
                "address": data["intervention_address"],
                "description": data["intervention_description"],
                "latitude": data["intervention_latitude"],
                "longitude": data["intervention_longitude"],
            }
        if outcome == Call.Outcome.REFERRAL:
            follow_up["referral"] = {
                "person_name": data["referral_name"] or data["caller_name"],
                "phone": data["referral_phone"] or data["caller_phone"],
                "address": data["referral_address"],
                "needs": data["referral_needs"] or data["question"],
                "consent": data["referral_consent"],
                "register_consent": data["referral_register"],
            }
        return follow_up


class ReferralMoveForm(forms.Form):
    status = forms.ChoiceField(choices=Referral.Status.choices)
    note = forms.CharField(required=False, max_length=5000)


class ReferralSearchForm(forms.Form):
    """The social team's queue, narrowed to a person, a district or the day they came in."""

    status = forms.ChoiceField(
        required=False,
        label=_("Status"),
        choices=[("", pgettext_lazy("referrals still open", "Open")), *Referral.Status.choices],
    )
    name = forms.CharField(required=False, max_length=150, label=_("Name"))
    district = forms.ModelChoiceField(
        District.objects.all(), required=False, label=_("District"), empty_label=_("Any")
    )
    day = forms.DateField(
        required=False, label=_("Came in on"), widget=forms.DateInput(attrs={"type": "date"})
    )


class ReferralNoteForm(forms.Form):
    note = forms.CharField(max_length=5000)


class CallbackDoneForm(forms.Form):
    result = forms.CharField(required=False, max_length=2000)


class CampaignStartForm(forms.Form):
    name = forms.CharField(max_length=150)
    crisis = forms.ChoiceField(choices=CallbackCampaign.Crisis.choices)


class CampaignOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[c for c in CampaignCall.Outcome.choices if c[0] != CampaignCall.Outcome.PENDING]
    )
    note = forms.CharField(required=False, max_length=2000)


class RoundTheClockForm(forms.Form):
    enabled = forms.BooleanField(required=False)


class PeriodForm(forms.Form):
    start = forms.DateField(required=False)
    end = forms.DateField(required=False)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end comes before the start."))
        if data.get("start") and data.get("end") and (data["end"] - data["start"]).days > 800:
            self.add_error("end", _("At most two years at once."))
        return data


class PersonalDataReadsForm(forms.Form):
    record_type = forms.ChoiceField(
        choices=[("", ""), *PersonalDataRead.Record.choices], required=False
    )
    record_id = forms.IntegerField(required=False, min_value=1)
    reader = forms.CharField(required=False, max_length=150)
