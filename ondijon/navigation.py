"""The top bar every desk shares, and the desk each role lands on after login.

Each link states what opening its page takes, in the same terms as the page's own check
(the permissions of ondijon/roles.py, personal data held explicitly, a field team): the bar
shows a person only the pages that will open for them, never one that answers 403.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hotline import personal_data
from ondijon import roles
from supervision.overview.services import OVERVIEW


@dataclass(frozen=True)
class Link:
    url_name: str
    label: str | Promise
    opens_for: Callable[..., bool]

    @property
    def url(self) -> str:
        return reverse(self.url_name)


def holds(*permissions: str) -> Callable[..., bool]:
    return lambda user: user.has_perms(permissions)


def holds_with_personal_data(permission: str) -> Callable[..., bool]:
    """Pages of callers' or referred people's data (hotline.views.personal_data_page)."""
    return lambda user: user.has_perm(permission) and personal_data.can_read(user)


def in_field_team(user) -> bool:
    officer = getattr(user, "officer", None)
    return user.has_perm("interventions.report_progress") and bool(officer and officer.team_id)


LINKS: list[Link] = [
    Link("overview", _("Overview"), holds(*OVERVIEW)),
    Link(
        "alert-desk", _("Alert desk"), holds("supervision.change_alert", "supervision.view_alert")
    ),
    Link("alarm-kpis", _("Alarm KPIs"), holds("supervision.view_alarm_kpis")),
    Link("shift", _("Shift and handover"), holds("supervision.view_shift")),
    Link("sitrep", _("Situation report"), holds("supervision.view_reports")),
    Link(
        "console", _("Device console"), holds("equipment.view_equipment", "supervision.view_alert")
    ),
    Link("dispatch-desk", _("Dispatch desk"), holds("interventions.dispatch_intervention")),
    Link("field-view", _("My assignment"), in_field_team),
    Link("hotline:desk", _("Call desk"), holds("hotline.add_call")),
    Link(
        "hotline:callbacks",
        _("Call-backs"),
        holds_with_personal_data("hotline.view_callbackrequest"),
    ),
    Link(
        "hotline:referrals",
        _("Social support queue"),
        holds_with_personal_data("hotline.view_referral"),
    ),
    Link(
        "hotline:register", _("Register"), holds_with_personal_data("hotline.view_vulnerableperson")
    ),
    Link("hotline:campaigns", _("Campaigns"), holds("hotline.view_callbackcampaign")),
    Link("hotline:statistics", _("Hotline statistics"), holds("hotline.view_statistics")),
    Link("hotline:personal_data_reads", _("Reads of personal data"), personal_data.can_audit),
    Link("crisis", _("Crisis modes"), holds("supervision.view_crisismode")),
    Link("events-log", _("Events log"), holds("supervision.view_event")),
    Link("wall-index", _("Wall screens"), holds("supervision.view_wall")),
    Link("platform", _("Platform"), holds("supervision.view_platformprocess")),
    Link("admin:index", _("Administration"), lambda user: user.is_staff),
    Link("status", _("Public status page"), lambda user: True),
]

# Where each role starts its shift, first role first (a person may hold several).
LANDING: list[tuple[str, str]] = [
    (roles.SUPERVISOR, "overview"),
    (roles.OPERATOR, "alert-desk"),
    (roles.DISPATCHER, "dispatch-desk"),
    (roles.HOTLINE_AGENT, "hotline:desk"),
    (roles.SOCIAL_SUPPORT_LEAD, "hotline:referrals"),
    (roles.SOCIAL_SUPPORT, "hotline:referrals"),
    (roles.FIELD_TEAM, "field-view"),
    (roles.WALL_DISPLAY, "wall-index"),
]


def links_for(user) -> list[Link]:
    """The bar's links; none for a wall kiosk, whose screens nobody clicks."""
    if not (user and user.is_authenticated):
        return []
    if set(user.groups.values_list("name", flat=True)) == {roles.WALL_DISPLAY}:
        return []
    return [link for link in LINKS if link.opens_for(user)]


def role_names(user) -> list[str]:
    """The person's roles in words, in the page's language."""
    held = set(user.groups.values_list("name", flat=True))
    return [str(label) for role, label in roles.ROLE_LABELS.items() if role in held]


def landing_url(user) -> str | None:
    """The desk a person lands on after login; None: the home page (administrators, no role)."""
    held = set(user.groups.values_list("name", flat=True))
    if roles.ADMINISTRATOR in held:
        return None
    by_name = {link.url_name: link for link in LINKS}
    for role, url_name in LANDING:
        if role not in held:
            continue
        if url_name == "wall-index":
            return wall_of(user)
        link = by_name[url_name]
        if link.opens_for(user):
            return link.url
    return None


def wall_of(user) -> str:
    """A kiosk opens its wall: the active screen linked to its account, else the one active
    screen; the list when that leaves several (or none) to choose from."""
    from supervision.models import WallScreen

    active = WallScreen.objects.filter(active=True)
    screens = list(active.filter(kiosk=user).values_list("slug", flat=True)[:2])
    if not screens:
        screens = list(active.values_list("slug", flat=True)[:2])
    if len(screens) == 1:
        return reverse("wall-screen", args=[screens[0]])
    return reverse("wall-index")
