from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from supervision.platform import replication, services


def two_rooms() -> dict:
    """The replicated servers' state, as the panel and the health endpoint show it."""
    try:
        database = replication.database_state()
    except DatabaseError:
        database = None
    failover = replication.last_failover()
    return {
        "database": database,
        "sentinels": replication.sentinel_state(),
        "last_failover": failover,
    }


@permission_required("supervision.view_platformprocess", raise_exception=True)
def platform_page(request: HttpRequest) -> HttpResponse:
    """The platform panel: the database primary and its standbys, the sentinels, the last
    failover, and each process, its state and its last sign of life."""
    context = {
        "rows": services.processes_now(),
        "silent": settings.PROCESS_SILENT_SECONDS,
        **two_rooms(),
    }
    return render(request, "supervision/platform.html", context)


@permission_required("supervision.view_platformprocess", raise_exception=True)
def platform_health(request: HttpRequest) -> JsonResponse:
    """The panel's figures for monitoring tools: primary node and site, replication lag,
    sentinels, the last failover and its duration, each process's heartbeat."""
    rooms = two_rooms()
    failover = rooms["last_failover"]
    return JsonResponse(
        {
            "database": rooms["database"].as_dict() if rooms["database"] else None,
            "sentinels": rooms["sentinels"],
            "last_failover": {
                "seq": failover.seq,
                "time": failover.time.isoformat(),
                **failover.payload,
            }
            if failover
            else None,
            "processes": [
                {
                    "name": row.process.name,
                    "kind": row.process.kind,
                    "state": row.state,
                    "last_seen_at": row.process.last_seen_at.isoformat(),
                    "silent_seconds": row.silent_seconds,
                }
                for row in services.processes_now()
            ],
        }
    )
