"""The supervision app's models, one module per capability."""

from supervision.models.alerts import OPEN_ALERT_STATUSES, Alert, AlertRule, RuleCondition
from supervision.models.cap import CapMessage
from supervision.models.console import CommandSchedule, CommandSelection
from supervision.models.crisis import ActivationCommand, CrisisMode, ModeActivation, PlaybookAction
from supervision.models.events import AppendOnlyError, Event, EventQuerySet, EventSequence
from supervision.models.markets import MarketOccupancy
from supervision.models.ngsi_ld import NgsiSubscription
from supervision.models.platform import PlatformProcess
from supervision.models.shift import Shift
from supervision.models.traffic import PriorityRequest
from supervision.models.video import AlertSnapshot
from supervision.models.wall import WallScreen

__all__ = [
    "OPEN_ALERT_STATUSES",
    "ActivationCommand",
    "Alert",
    "AlertRule",
    "AlertSnapshot",
    "AppendOnlyError",
    "CapMessage",
    "CommandSchedule",
    "CommandSelection",
    "CrisisMode",
    "Event",
    "EventQuerySet",
    "EventSequence",
    "MarketOccupancy",
    "ModeActivation",
    "NgsiSubscription",
    "PlatformProcess",
    "PlaybookAction",
    "PriorityRequest",
    "RuleCondition",
    "Shift",
    "WallScreen",
]
