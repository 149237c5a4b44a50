"""What the supervisor's overview reads: counts only, no personal data."""

from hotline import services as hotline
from interventions.models import Intervention
from interventions.services import FINISHED
from supervision.crisis import services as crisis
from supervision.models import OPEN_ALERT_STATUSES, Alert

# Who opens the overview: it reads the city mode, alerts, interventions, the hotline's load.
OVERVIEW = (
    "supervision.view_crisismode",
    "supervision.view_alert",
    "interventions.view_intervention",
    "hotline.view_statistics",
)


def city_picture() -> dict:
    """City mode, open alerts and interventions, the hotline's load, the crisis plan's progress."""
    activation = crisis.current_activation()
    open_alerts = Alert.objects.filter(status__in=OPEN_ALERT_STATUSES)
    return {
        "activation": activation,
        "progress": crisis.progress(activation) if activation else None,
        "open_alerts": open_alerts.count(),
        "serious_alerts": open_alerts.filter(severity__gte=Alert.Severity.HIGH).count(),
        "open_interventions": Intervention.objects.exclude(status__in=FINISHED).count(),
        "unassigned_interventions": Intervention.objects.filter(
            status__in=[Intervention.Status.REPORTED, Intervention.Status.QUALIFIED]
        ).count(),
        "hotline": hotline.hotline_figures(),
    }
