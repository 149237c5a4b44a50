"""Login lockouts (django-axes counts the failures): each lockout goes to the events log, and
an administrator lifts one through `unlock`, which is logged too."""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from ondijon import bus

ACCOUNT = "account"


def record_lockout(username: str, ip_address: str) -> None:
    """The room's security officer sees who was locked out, and from where."""
    bus.emit(
        "security.login_locked_out",
        subject_type=ACCOUNT,
        subject_id=(username or "")[:60],
        subject_label=username or "",
        payload={"username": username, "ip_address": ip_address},
    )


def on_user_locked_out(sender: Any, request: Any, username: str, ip_address: str, **kwargs):
    """Axes says so on every refused attempt of a lockout: the log records its start only."""
    if getattr(request, "axes_failures_since_start", None) == settings.AXES_FAILURE_LIMIT:
        record_lockout(username, ip_address)


def unlock(attempts: QuerySet, actor: Any) -> int:
    """Forget the failures counted in `attempts` (AccessAttempt rows), so that their accounts
    and addresses may log in again at once; returns how many rows were forgotten."""
    with transaction.atomic():
        rows = list(attempts.select_for_update().values_list("pk", "username", "ip_address"))
        if not rows:
            return 0
        attempts.model.objects.filter(pk__in=[pk for pk, _, _ in rows]).delete()
        usernames = sorted({username for _, username, _ in rows if username})
        addresses = sorted({address for _, _, address in rows if address})
        bus.emit(
            "security.login_unlocked",
            subject_type=ACCOUNT,
            subject_id=", ".join(usernames)[:60],
            subject_label=", ".join(usernames)[:200],
            payload={"usernames": usernames, "ip_addresses": addresses},
            actor=actor,
        )
    return len(rows)
