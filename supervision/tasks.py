from celery import shared_task

from . import rules


@shared_task(name="supervision.tasks.run_rule_checks")
def run_rule_checks() -> int:
    """Silent devices, durations reached, conditions gone: what only time reveals."""
    return len(rules.run_checks())
