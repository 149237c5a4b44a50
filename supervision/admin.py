from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy

from ondijon.admin import ReadOnlyAdmin, ServiceAdmin
from supervision.alerts import services
from supervision.alerts.rules import rule_problems
from supervision.models import Alert, AlertRule, Event, RuleCondition, WallScreen
from supervision.wall import screens


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """The events log is append-only: administrators read it, nobody edits it."""

    list_display = ["seq", "time", "kind", "actor_label", "service", "subject_label"]
    list_filter = ["service", "subject_type"]
    search_fields = ["kind", "subject_label", "actor_label"]
    date_hierarchy = "time"
    show_full_result_count = False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("supervision.view_event")


@admin.register(Alert)
class AlertAdmin(ServiceAdmin):
    """Alerts are raised and changed here as on the desk; closed, never deleted."""

    list_display = ["title", "severity", "category", "status", "raised_at", "equipment"]
    list_filter = ["status", "severity", "category", "source"]
    search_fields = ["title", "category"]
    raw_id_fields = ["equipment", "intervention", "rule"]
    readonly_fields = ["raised_at", "updated_at"]
    date_hierarchy = "raised_at"
    list_select_related = ["equipment"]
    create_service = services.raise_alert
    update_service = services.update_alert


class AlertRuleForm(forms.ModelForm):
    """A rule's fields, then whether together they make a rule that can work."""

    class Meta:
        model = AlertRule
        fields = list(services.RULE_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left blank, a storm is a storm from the model's default count.
        self.fields["group_threshold"].required = False

    def clean_group_threshold(self) -> int:
        value = self.cleaned_data.get("group_threshold")
        return AlertRule._meta.get_field("group_threshold").default if value is None else value

    def clean(self) -> dict:
        cleaned = super().clean()
        candidate = AlertRule(**cleaned)
        for name, problem in rule_problems(candidate).items():
            if name not in self.errors:  # a field refused on its own says so already
                self.add_error(name if name in self.fields else None, problem)
        return cleaned


class AlertRuleRowForm(forms.ModelForm):
    """A row of the rules' list: its switch names the rule it turns on or off, for whoever
    reads the list with a screen reader (a bare checkbox in a table says nothing)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "enabled" in self.fields:
            self.fields["enabled"].widget.attrs["aria-label"] = gettext_lazy(
                "Rule “%(name)s” switched on"
            ) % {"name": self.instance.name}


@admin.register(AlertRule)
class AlertRuleAdmin(ServiceAdmin):
    """The rules of the room: what raises an alert, how bad it is, and what to do."""

    form = AlertRuleForm
    create_service = services.create_alert_rule
    update_service = services.update_alert_rule
    delete_service = services.delete_alert_rule

    list_display = ["name", "kind", "equipment_kind", "metric", "severity", "category", "enabled"]
    list_filter = ["enabled", "kind", "equipment_kind", "severity"]
    search_fields = ["name", "category", "metric"]
    list_editable = ["enabled"]

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, **{"form": AlertRuleRowForm, **kwargs})

    fieldsets = [
        (None, {"fields": ["name", "enabled", "kind", "equipment_kind"]}),
        (
            gettext_lazy("Condition"),
            {
                "fields": [
                    "metric",
                    "comparison",
                    "value",
                    "clear_value",
                    "match_text",
                    "subtract_metric",
                    "duration_seconds",
                    "clear_after_seconds",
                ]
            },
        ),
        (
            gettext_lazy("Alert"),
            {"fields": ["severity", "category", "procedure", "suggested_steps"]},
        ),
        (gettext_lazy("Grouping a storm"), {"fields": ["group_by", "group_threshold"]}),
    ]


@admin.register(RuleCondition)
class RuleConditionAdmin(ReadOnlyAdmin):
    list_display = ["key", "rule", "active", "since", "ended_at", "alert"]
    list_filter = ["active", "rule"]
    raw_id_fields = ["equipment", "site", "alert"]


class WallScreenForm(forms.ModelForm):
    panels = forms.MultipleChoiceField(
        choices=WallScreen.Panel.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    map_layers = forms.MultipleChoiceField(
        choices=WallScreen.MapLayer.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = WallScreen
        fields = [
            "name",
            "slug",
            "active",
            "kiosk",
            "panels",
            "map_layers",
            "center_latitude",
            "center_longitude",
            "zoom",
            "width_m",
            "viewing_distance_m",
            "video_layout",
            "video_tiles",
            "alarm_tile",
        ]


@admin.register(WallScreen)
class WallScreenAdmin(ServiceAdmin):
    form = WallScreenForm
    create_service = screens.create_screen
    update_service = screens.update_screen
    delete_service = screens.delete_screen
    list_display = ["name", "slug", "active", "kiosk", "zoom"]
    list_filter = ["active"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]
