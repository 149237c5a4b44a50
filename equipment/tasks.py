from celery import shared_task

from . import services


@shared_task(name="equipment.tasks.purge_readings")
def purge_readings() -> int:
    """Telemetry history past its retention period (TELEMETRY_RETENTION_DAYS)."""
    return services.purge_old_readings()
