"""The equipment catalogue: which actions each kind of device accepts, which parameters they
take, and what the device's state becomes once it acknowledges, so a rollback knows what to
put back.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from equipment.models import Equipment

Kind = Equipment.Kind


class InvalidCommand(ValueError):
    """A command that cannot be asked for; `errors` maps fields to messages, as an API shows."""

    def __init__(self, errors: dict):
        super().__init__(str(errors))
        self.errors = errors


# --- Parameters ---------------------------------------------------------------------------


def integer_between(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(_("Must be a whole number."))
        if not low <= value <= high:
            raise ValueError(
                _("Must be between %(low)s and %(high)s.") % {"low": low, "high": high}
            )
        return value

    # What a form needs to draw the field (the operator's console).
    check.spec = {"type": "integer", "min": low, "max": high}
    return check


def one_of(*choices: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError(_("Must be one of: %(value)s.") % {"value": ", ".join(choices)})
        return value

    check.spec = {"type": "choice", "choices": list(choices)}
    return check


CLOCK_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def allow_list(value: Any) -> list[dict]:
    """Named people who keep their badge during a lockdown, each within a daily time window."""
    if not isinstance(value, list):
        raise ValueError(_("Must be a list of people."))
    people = []
    for index, person in enumerate(value):
        if not isinstance(person, dict) or not str(person.get("name", "")).strip():
            raise ValueError(_("Entry %(index)s: a name is required.") % {"index": index})
        start, end = person.get("from", "00:00"), person.get("until", "23:59")
        if not (isinstance(start, str) and CLOCK_TIME.match(start)):
            raise ValueError(_("Entry %(index)s: 'from' must be a time HH:MM.") % {"index": index})
        if not (isinstance(end, str) and CLOCK_TIME.match(end)):
            raise ValueError(_("Entry %(index)s: 'until' must be a time HH:MM.") % {"index": index})
        if end <= start:
            raise ValueError(_("Entry %(index)s: 'until' must be after 'from'.") % {"index": index})
        people.append(
            {
                "name": str(person["name"]).strip()[:100],
                "badge": str(person.get("badge", ""))[:30],
                "from": start,
                "until": end,
            }
        )
    return people


allow_list.spec = {"type": "people"}


@dataclass(frozen=True)
class Parameter:
    name: str
    check: Callable[[Any], Any]
    required: bool = True
    default: Any = None


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    # The device's state once it has carried the action out, from the cleaned parameters.
    outcome: Callable[[dict], dict]
    parameters: tuple[Parameter, ...] = ()


def fixed(state: dict) -> Callable[[dict], dict]:
    return lambda params: dict(state)


CATALOGUE: dict[str, dict[str, Action]] = {
    Kind.STREETLIGHT: {
        "on": Action("on", gettext_lazy("Switch on"), fixed({"lamp": "on", "dim": 100})),
        "off": Action("off", gettext_lazy("Switch off"), fixed({"lamp": "off"})),
        "dim": Action(
            "dim",
            gettext_lazy("Dim to a level"),
            lambda p: {"lamp": "on" if p["level"] else "off", "dim": p["level"]},
            (Parameter("level", integer_between(0, 100)),),
        ),
    },
    Kind.LIGHTING_CABINET: {
        "on": Action("on", gettext_lazy("Switch circuit on"), fixed({"circuit": "on"})),
        "off": Action("off", gettext_lazy("Switch circuit off"), fixed({"circuit": "off"})),
    },
    Kind.TRAFFIC_SIGNAL: {
        "normal": Action(
            "normal",
            gettext_lazy("Normal plan"),
            lambda p: {"mode": "normal", "plan": p["plan"], "priority_approach": None},
            (Parameter("plan", integer_between(1, 20), required=False, default=1),),
        ),
        "flashing": Action("flashing", gettext_lazy("Flashing amber"), fixed({"mode": "flashing"})),
        "priority": Action(
            "priority",
            gettext_lazy("Priority for an approach"),
            lambda p: {"mode": "priority", "priority_approach": p["approach"]},
            (Parameter("approach", one_of("north", "east", "south", "west")),),
        ),
    },
    Kind.BOLLARD: {
        "raise": Action("raise", gettext_lazy("Raise"), fixed({"position": "raised"})),
        "lower": Action("lower", gettext_lazy("Lower"), fixed({"position": "lowered"})),
    },
    Kind.BUILDING_ACCESS: {
        "lock": Action("lock", gettext_lazy("Lock"), fixed({"locked": True})),
        "unlock": Action("unlock", gettext_lazy("Unlock"), fixed({"locked": False})),
        "revoke_badges": Action(
            "revoke_badges",
            gettext_lazy("Revoke badges except named people"),
            lambda p: {"badges": "revoked", "allow": p["allow"]},
            (Parameter("allow", allow_list, required=False, default=[]),),
        ),
        "restore_badges": Action(
            "restore_badges",
            gettext_lazy("Restore badges"),
            fixed({"badges": "normal", "allow": []}),
        ),
    },
    Kind.CAMERA: {
        "goto_preset": Action(
            "goto_preset",
            gettext_lazy("Go to preset"),
            lambda p: {"preset": p["preset"]},
            (Parameter("preset", integer_between(1, 64)),),
        ),
    },
    Kind.WATER_VALVE: {
        "open": Action("open", gettext_lazy("Open"), fixed({"position": "open"})),
        "close": Action("close", gettext_lazy("Close"), fixed({"position": "closed"})),
    },
    Kind.MARKET_GATE: {
        "open": Action("open", gettext_lazy("Show open"), fixed({"display": "open"})),
        "full": Action("full", gettext_lazy("Show full"), fixed({"display": "full"})),
    },
}


def clean_params(kind: str, action_name: str, params: Any) -> dict:
    """The action's parameters checked and completed with defaults, or InvalidCommand."""
    actions = CATALOGUE.get(kind)
    if not actions:
        raise InvalidCommand(
            {"equipment": [_("Equipment of kind %(kind)r takes no commands.") % {"kind": kind}]}
        )
    action = actions.get(action_name)
    if action is None:
        raise InvalidCommand(
            {
                "action": [
                    _("Must be one of %(value)s for %(kind)s equipment.")
                    % {"value": ", ".join(actions), "kind": kind}
                ]
            }
        )
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise InvalidCommand({"params": [_("Must be an object.")]})
    known = {parameter.name for parameter in action.parameters}
    errors: dict[str, list[str]] = {
        name: [_("Unknown parameter for %(action_name)s.") % {"action_name": action_name}]
        for name in params
        if name not in known
    }
    cleaned = {}
    for parameter in action.parameters:
        if parameter.name not in params:
            if parameter.required:
                errors[parameter.name] = [_("This parameter is required.")]
            else:
                cleaned[parameter.name] = parameter.default
            continue
        try:
            cleaned[parameter.name] = parameter.check(params[parameter.name])
        except ValueError as error:
            errors[parameter.name] = [str(error)]
    if errors:
        raise InvalidCommand({"params": errors})
    return cleaned


def expected_state(kind: str, action_name: str, params: dict) -> dict:
    return CATALOGUE[kind][action_name].outcome(params)


def restoring_actions(kind: str, wanted: dict) -> list[tuple[str, dict]]:
    """The commands that bring a device of `kind` back to the `wanted` values of its state."""
    if kind == Kind.STREETLIGHT:
        if wanted.get("lamp") == "off":
            # A lamp off keeps its dim level; dimming to 0 is how a device sets both.
            return [("dim", {"level": 0})] if wanted.get("dim") == 0 else [("off", {})]
        return [("dim", {"level": wanted.get("dim", 100) or 100})]
    if kind == Kind.LIGHTING_CABINET:
        return [("off" if wanted.get("circuit") == "off" else "on", {})]
    if kind == Kind.TRAFFIC_SIGNAL:
        if wanted.get("mode") == "flashing":
            return [("flashing", {})]
        if wanted.get("mode") == "priority" and wanted.get("priority_approach"):
            return [("priority", {"approach": wanted["priority_approach"]})]
        return [("normal", {"plan": wanted.get("plan") or 1})]
    if kind == Kind.BOLLARD:
        return [("lower" if wanted.get("position") == "lowered" else "raise", {})]
    if kind == Kind.BUILDING_ACCESS:
        actions = []
        if "locked" in wanted:
            actions.append(("lock" if wanted["locked"] else "unlock", {}))
        if "badges" in wanted or "allow" in wanted:
            if wanted.get("badges") == "revoked":
                actions.append(("revoke_badges", {"allow": wanted.get("allow") or []}))
            else:
                actions.append(("restore_badges", {}))
        return actions
    if kind == Kind.CAMERA:
        return [("goto_preset", {"preset": wanted.get("preset") or 1})]
    if kind == Kind.WATER_VALVE:
        return [("close" if wanted.get("position") == "closed" else "open", {})]
    if kind == Kind.MARKET_GATE:
        return [("full" if wanted.get("display") == "full" else "open", {})]
    return []
