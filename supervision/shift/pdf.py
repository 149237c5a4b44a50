"""The room's reports as PDF files, drawn by reportlab (pure Python, from PyPI alone: the
embedded default needs no system library). The figures are those of
`supervision.shift.reports`, the same as the printed pages show.

Text from data (alert titles, reasons, names) goes through `text()`, which escapes it: a
reportlab paragraph reads a little markup, and a title must never be read as markup.
"""

from collections.abc import Iterable
from datetime import datetime
from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from supervision.alerts import kpis

STYLES = getSampleStyleSheet()
BODY = STYLES["BodyText"]
SMALL = STYLES["BodyText"].clone("small", fontSize=8, leading=10)
GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf2")),
    ]
)


def text(value: object, style=BODY) -> Paragraph:
    """A value from data as text in a cell or a line, never markup."""
    return Paragraph(escape("" if value is None else str(value)), style)


def when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return formats.number_format(round(value, digits), decimal_pos=None)


def table(header: list[str], rows: Iterable[Iterable[object]], widths=None) -> Table:
    """A table with its header; an empty table says so."""
    body = [[text(cell, SMALL) for cell in row] for row in rows]
    if not body:
        body = [[text(_("None."), SMALL)] + [""] * (len(header) - 1)]
    return Table(
        [[text(name, SMALL) for name in header], *body],
        colWidths=widths,
        style=GRID,
        repeatRows=1,
        hAlign="LEFT",
    )


def heading(title: str) -> Paragraph:
    return Paragraph(escape(title), STYLES["Heading2"])


def document(title: str, story: list[Flowable]) -> bytes:
    """The A4 PDF of a report: its title, then its sections, pages numbered."""
    title = str(title)  # a lazy translation is no string to reportlab
    buffer = BytesIO()
    printed = when(timezone.now())

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(15 * mm, 10 * mm, f"ondijon — {title} — {printed}")
        canvas.drawRightString(195 * mm, 10 * mm, _("Page %(page)s") % {"page": doc.page})
        canvas.restoreState()

    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author="ondijon",
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
    )
    pdf.build(
        [Paragraph(escape(title), STYLES["Title"]), *story],
        onFirstPage=footer,
        onLaterPages=footer,
    )
    return buffer.getvalue()


# --- The sections a period's report holds ----------------------------------------------------


def alarm_section(alarms: kpis.AlarmKpis) -> list[Flowable]:
    """The alarm KPIs against ISA-18.2's targets."""
    rows = [
        (
            _("Alarms per position per hour"),
            number(alarms.average_per_hour),
            _("≤ %(ok)s acceptable, ≤ %(max)s manageable")
            % {"ok": kpis.ACCEPTABLE_PER_HOUR, "max": kpis.MANAGEABLE_PER_HOUR},
        ),
        (
            _("Peak per position in 10 minutes"),
            number(alarms.peak_per_ten_minutes),
            _("a flood above %(n)s") % {"n": alarms.flood_threshold},
        ),
        (_("Share of time in flood"), f"{number(alarms.flood_share * 100)} %", "0 %"),
        (_("Alarms"), alarms.alarms, ""),
        (
            _("Median time to acknowledge (s)"),
            number(alarms.acknowledge_median_s),
            "",
        ),
    ]
    return [
        heading(_("Alarm KPIs")),
        table([_("Figure"), _("Value"), _("Target")], rows, [80 * mm, 30 * mm, 70 * mm]),
    ]


def figures_section(report: dict) -> list[Flowable]:
    interventions = report["interventions"]
    commands = report["command_log"]
    rows = [
        (_("Entries in the events log"), report["events"]),
        (_("Hotline calls"), report["calls_total"]),
        (_("Interventions reported"), interventions["reported"]),
        (_("Interventions reached on site"), interventions["reached"]),
        (_("Median minutes to the site"), number(interventions["median_minutes_to_site"])),
        (
            _("Within their target time"),
            _("%(n)s of %(of)s")
            % {"n": interventions["on_time"], "of": interventions["with_target"]},
        ),
        (_("Commands requested"), commands["requested"]),
        (_("Commands acknowledged"), commands["acknowledged"]),
        (_("Commands failed"), commands["failed"]),
        (_("Commands still in flight"), commands["in_flight"]),
        (
            _("Median seconds to acknowledge a command"),
            number(commands["median_seconds_to_acknowledge"]),
        ),
    ]
    return [heading(_("Figures")), table([_("Figure"), _("Value")], rows, [110 * mm, 40 * mm])]


def period_story(report: dict) -> list[Flowable]:
    """Everything a period's report holds, in the page's order."""
    story: list[Flowable] = [
        text(
            _("From %(start)s to %(end)s")
            % {"start": when(report["start"]), "end": when(report["end"])}
        ),
        Spacer(1, 4 * mm),
    ]
    activation = report.get("activation")
    if activation:
        story += [
            heading(_("Crisis activation")),
            text(_("Mode: %(mode)s") % {"mode": activation["mode"]}),
            text(_("Reason: %(reason)s") % {"reason": activation["reason"]}),
            text(
                _("Activated %(at)s by %(who)s")
                % {"at": when(activation["activated_at"]), "who": activation["activated_by"] or "—"}
            ),
            text(
                _("Ended %(at)s by %(who)s")
                % {
                    "at": when(activation["deactivated_at"]),
                    "who": activation["deactivated_by"] or "—",
                }
                if activation["deactivated_at"]
                else _("Still active.")
            ),
            table(
                ["#", _("Step"), _("Status")],
                [(s["position"], s["summary"], s["status"]) for s in activation["steps"]],
                [10 * mm, 130 * mm, 40 * mm],
            ),
        ]
    story += figures_section(report)
    story += alarm_section(report["alarms"])
    story += [
        heading(_("Alarms by category")),
        table([_("Category"), _("Alarms")], report["alerts_by_category"], [110 * mm, 40 * mm]),
        heading(_("Calls by category")),
        table([_("Category"), _("Calls")], report["calls"], [110 * mm, 40 * mm]),
        heading(_("Crisis modes")),
        table(
            [_("Mode"), _("From"), _("To")],
            [(c["mode"], when(c["from"]), when(c["to"])) for c in report["crisis"]],
            [70 * mm, 55 * mm, 55 * mm],
        ),
        heading(_("Timeline")),
    ]
    if report["timeline_left_out"]:
        story.append(
            text(
                _("The %(n)s earliest entries are in the CSV.") % {"n": report["timeline_left_out"]}
            )
        )
    story.append(
        table(
            [_("Time"), _("Event"), _("Subject"), _("Actor")],
            [
                (when(e.time), e.kind_label, e.subject_label, e.actor_label)
                for e in report["timeline"]
            ],
            [35 * mm, 50 * mm, 65 * mm, 30 * mm],
        )
    )
    return story


def period_pdf(title: str, report: dict) -> bytes:
    """A period's report (`reports.period_report` or `reports.activation_report`) as PDF."""
    return document(title, period_story(report))


def situation_pdf(sitrep: dict) -> bytes:
    """The situation report (`reports.situation_report`) as PDF."""
    alerts = sitrep["alerts"]
    interventions = sitrep["interventions"]
    story: list[Flowable] = [
        text(_("Situation at %(now)s") % {"now": when(sitrep["now"])}),
        Spacer(1, 4 * mm),
        heading(_("City mode")),
        table(
            [_("Mode"), _("Since"), _("Reason")],
            [(c["mode"], when(c["from"]), c["reason"]) for c in sitrep["crisis"]]
            or [(_("Normal"), "—", "—")],
            [50 * mm, 45 * mm, 85 * mm],
        ),
        text(_("The room is in an alarm flood.") if sitrep["flood"] else _("No alarm flood.")),
        heading(_("Open alerts")),
        text(
            _("%(open)s open alerts, one per cause; %(shelved)s shelved.")
            % {"open": alerts["open"], "shelved": alerts["shelved"]}
        ),
        table(
            [_("Severity"), _("Alerts")],
            [(f"S{level}", n) for level, n in alerts["by_severity"]],
            [40 * mm, 40 * mm],
        ),
        table([_("Category"), _("Alerts")], alerts["by_category"], [110 * mm, 40 * mm]),
        table(
            [_("Severity"), _("Alert"), _("Raised at")],
            [(f"S{a.severity}", a.title, when(a.raised_at)) for a in alerts["top"]],
            [20 * mm, 115 * mm, 45 * mm],
        ),
        heading(_("Interventions")),
        text(
            _("%(open)s open, %(late)s past their target time without a team on site.")
            % {"open": interventions["open"], "late": interventions["late"]}
        ),
        table([_("Status"), _("Interventions")], interventions["by_status"], [110 * mm, 40 * mm]),
        heading(_("Teams")),
        table([_("Status"), _("Teams")], sitrep["teams"], [110 * mm, 40 * mm]),
        heading(_("Equipment")),
        table(
            [_("Kind"), _("Devices"), _("Operational")],
            sitrep["equipment"],
            [90 * mm, 40 * mm, 40 * mm],
        ),
        heading(_("Today so far")),
        *figures_section(sitrep["today"])[1:],
        *alarm_section(sitrep["today"]["alarms"])[1:],
    ]
    return document(_("Situation report"), story)
