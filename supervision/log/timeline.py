"""The events log ("main courante"): the shared timeline, its export, its integrity check, and
what the room knew at any past moment.

Everything here reads the log; the only way to add to it is `ondijon.bus` (and `add_note` in
`supervision.alerts.services` for hand-written entries and corrections).
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace

from django.db.models import Max, Q, QuerySet
from django.utils.translation import gettext as _

from equipment.models import Command
from hotline.models import Referral
from interventions.models import Intervention, Service, Team
from ondijon import bus, spreadsheet
from supervision.log.kinds import kind_name, subject_name
from supervision.models import Alert, Event, EventSequence, ModeActivation

# The status words of the subjects the log follows, named in the reader's language.
STATUS_NAMES = {
    **dict(ModeActivation.Status.choices),
    **dict(Referral.Status.choices),
    **dict(Team.Status.choices),
    **dict(Command.Status.choices),
    **dict(Intervention.Status.choices),
    **dict(Alert.Status.choices),
}


def status_name(code: object) -> str:
    return str(STATUS_NAMES.get(code, code))


OPEN_ALERT_STATUSES = {"raised", "acknowledged", "qualified"}
FINISHED_INTERVENTION_STATUSES = {"resolved", "closed", "cancelled"}
VERIFY_CHUNK = 20_000


# The room's view leaves out what floods the log: vehicles' positions, and devices' own
# readings changing a state (no person behind them). Status changes always stay.
MOVEMENTS = Q(kind="team.moved") | Q(kind="equipment.updated", actor__isnull=True)


def timeline(filters: dict | None = None) -> QuerySet:
    """Events matching the log page's filters, newest first.

    filters: kind (prefix), exclude_kinds (prefixes left out), movements (also show the
    high-volume movement and telemetry entries), service, subject_type, actor, since, until
    (aware datetimes), text (in the subject, the actor or a note's text).
    """
    filters = filters or {}
    events = Event.objects.select_related("correction_of").order_by("-seq")
    if not filters.get("movements"):
        events = events.exclude(MOVEMENTS)
    if filters.get("kind"):
        events = events.filter(kind__startswith=filters["kind"])
    for prefix in filters.get("exclude_kinds") or []:
        events = events.exclude(kind__startswith=prefix)
    for name, lookup in (
        ("service", "service"),
        ("subject_type", "subject_type"),
        ("actor", "actor_label"),
    ):
        if filters.get(name):
            events = events.filter(**{lookup: filters[name]})
    if filters.get("since"):
        events = events.filter(time__gte=filters["since"])
    if filters.get("until"):
        events = events.filter(time__lt=filters["until"])
    if filters.get("text"):
        text = filters["text"]
        events = events.filter(
            Q(subject_label__icontains=text) | Q(actor_label__icontains=text) | Q(kind=text)
        )
    return events


def summary(event: Event) -> str:
    """One readable line for an entry: the note's text, or what changed."""
    payload = event.payload or {}
    if "text" in payload:
        return payload["text"]
    snapshot = payload.get(event.subject_type) or {}
    parts = []
    if "previous_status" in payload and "status" in snapshot:
        parts.append(
            f"{status_name(payload['previous_status'])} → {status_name(snapshot['status'])}"
        )
    elif "status" in snapshot:
        parts.append(status_name(snapshot["status"]))
    if isinstance(payload.get("team"), str):
        parts.append(_("team %(team)s") % {"team": payload["team"]})
    if payload.get("note"):
        parts.append(_("note: %(note)s") % {"note": payload["note"]})
    if "mode" in payload and isinstance(payload["mode"], dict):
        parts.append(str(payload["mode"].get("name", "")))
    return " · ".join(parts)


def csv_header() -> list[str]:
    """The columns as a person reads them; the kind's and the subject type's codes stay beside
    their names, for whoever filters the file or matches it with the API."""
    return [
        "#",
        _("Time"),
        _("Kind"),
        _("Kind code"),
        _("Actor"),
        _("Service"),
        _("About"),
        _("About (code)"),
        _("Subject id"),
        _("Subject"),
        _("What"),
        _("Corrects entry"),
        _("Chain hash"),
    ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(events: QuerySet) -> Iterator[str]:
    """The events as CSV lines (header first), streamed: the log can be very long."""
    writer = spreadsheet.writer(_Echo())
    yield spreadsheet.BOM + writer.writerow(csv_header())
    service_names = dict(Service.choices)
    rows = events.values_list(
        "seq",
        "time",
        "kind",
        "actor_label",
        "service",
        "subject_type",
        "subject_id",
        "subject_label",
        "payload",
        "correction_of__seq",
        "hash",
    ).order_by("seq")
    for (
        seq,
        time,
        kind,
        actor,
        service,
        stype,
        sid,
        label,
        payload,
        corrects,
        hash_,
    ) in rows.iterator(chunk_size=2000):
        event = SimpleNamespace(payload=payload, subject_type=stype)
        yield writer.writerow(
            [
                seq,
                spreadsheet.local_time(time),
                kind_name(kind),
                kind,
                actor,
                str(service_names.get(service, service)),
                subject_name(stype),
                stype,
                sid,
                label,
                summary(event),
                corrects or "",
                hash_,
            ]
        )


@dataclass
class ChainReport:
    checked: int = 0
    checkpoints: int = 0  # checkpoints matched
    first_broken_seq: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.first_broken_seq is None


HASHED_FIELDS = [
    "seq",
    "time",
    "kind",
    "actor_id",
    "actor_label",
    "service",
    "subject_type",
    "subject_id",
    "subject_label",
    "payload",
    "correction_of_id",
    "hash_version",
]


def verify_chain(
    chunk_size: int = VERIFY_CHUNK, checkpoints: Iterable | None = None, after=None
) -> ChainReport:
    """Recompute every entry's hash from its stored content and its predecessor's hash.

    The first entry whose content, link or number does not match is named: an edit, a deletion
    (the next entry's link breaks) or a reordering all show there. The sequence row's last hash
    must match the last entry too, so cutting off the end of the log is seen as well.

    `checkpoints` (seq, hash, time: the chain's head as written outside the database,
    `supervision.log.checkpoints`) must each match the entry they name: someone able to
    rewrite the table and recompute every hash after an entry (a database superuser) still
    cannot make the chain end at a hash written elsewhere before. `after` (a checkpoint)
    verifies only the entries that follow it, chained from its hash.
    """
    report = ChainReport()
    anchors: dict[int, list] = {}
    for checkpoint in checkpoints or ():
        anchors.setdefault(checkpoint.seq, []).append(checkpoint)
    prev_hash, expected_seq, last_anchor = bus.GENESIS_HASH, None, 0
    rows = Event.objects.order_by("seq").values_list(*HASHED_FIELDS, "prev_hash", "hash")
    if after is not None:
        anchor = Event.objects.filter(seq=after.seq).values_list("hash", flat=True).first()
        if anchor != after.hash:
            return _broken(report, after.seq, f"it does not match the checkpoint of {after.time}")
        prev_hash, expected_seq, last_anchor = after.hash, after.seq + 1, after.seq
        rows = rows.filter(seq__gt=after.seq)
    version = 1
    for row in rows.iterator(chunk_size=chunk_size):
        event = SimpleNamespace(**dict(zip(HASHED_FIELDS, row[:-2], strict=True)))
        stored_prev, stored_hash = row[-2], row[-1]
        if expected_seq is not None and event.seq != expected_seq:
            return _broken(report, event.seq, f"number {expected_seq} is missing before it")
        if stored_prev != prev_hash:
            return _broken(report, event.seq, "its link to the previous entry does not match")
        if event.hash_version < version:
            return _broken(report, event.seq, "its hash version goes back")
        if bus.event_hash(prev_hash, event) != stored_hash:
            return _broken(report, event.seq, "its content does not match its hash")
        for checkpoint in anchors.get(event.seq, ()):
            if checkpoint.hash != stored_hash:
                return _broken(
                    report,
                    event.seq,
                    f"it does not match the checkpoint of {checkpoint.time} written outside "
                    f"the database: entries #{last_anchor + 1} to #{event.seq} were altered "
                    "and the chain recomputed",
                )
            last_anchor = event.seq
        prev_hash, expected_seq, version = stored_hash, event.seq + 1, event.hash_version
        report.checked += 1
        report.checkpoints += len(anchors.get(event.seq, ()))
    last = (expected_seq or 1) - 1
    beyond = [checkpoint for seq, named in anchors.items() if seq > last for checkpoint in named]
    if beyond:
        furthest = max(beyond, key=lambda checkpoint: checkpoint.seq)
        return _broken(
            report,
            last + 1,
            f"entries after #{last} are missing: the checkpoint of {furthest.time} "
            f"names #{furthest.seq}",
        )
    counter = EventSequence.objects.filter(pk=1).first()
    if counter and counter.last_hash != prev_hash:
        return _broken(report, last + 1, f"entries after #{last} are missing")
    return report


def _broken(report: ChainReport, seq: int, reason: str) -> ChainReport:
    report.first_broken_seq, report.reason = seq, reason
    return report


@dataclass
class RoomState:
    """What the room's screens showed at `moment`, rebuilt from the log alone."""

    moment: datetime
    last_seq: int
    alerts: list[dict] = field(default_factory=list)
    interventions: list[dict] = field(default_factory=list)
    mode: dict | None = None


def room_state_at(moment: datetime) -> RoomState:
    """Open alerts and interventions, and the city mode, as known at `moment`.

    Every event about an object carries its full snapshot, so the last event about each object
    up to `moment` is its state then.
    """
    known = Event.objects.filter(time__lte=moment)
    last_seq = known.aggregate(last=Max("seq"))["last"] or 0
    latest_per_subject = (
        known.filter(subject_type__in=["alert", "intervention"])
        .values("subject_type", "subject_id")
        .annotate(last=Max("seq"))
        .values("last")
    )
    state = RoomState(moment=moment, last_seq=last_seq)
    for event in Event.objects.filter(seq__in=latest_per_subject).order_by("seq"):
        snapshot = (event.payload or {}).get(event.subject_type)
        if not snapshot:
            continue
        if event.subject_type == "alert" and snapshot.get("status") in OPEN_ALERT_STATUSES:
            state.alerts.append({**snapshot, "as_of_seq": event.seq})
        elif (
            event.subject_type == "intervention"
            and snapshot.get("status") not in FINISHED_INTERVENTION_STATUSES
        ):
            state.interventions.append({**snapshot, "as_of_seq": event.seq})
    state.alerts.sort(key=lambda a: (-a.get("severity", 0), a.get("raised_at", "")))
    state.interventions.sort(key=lambda i: (i.get("priority", 9), i.get("reported_at", "")))
    mode_event = known.filter(kind="city.mode_changed").order_by("-seq").first()
    if mode_event:
        state.mode = mode_event.payload.get("mode")
    return state
