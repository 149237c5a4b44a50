"""The JSON the room's live pages read, as JSON Schema: the wall's snapshot and replay, the
dispatch desk's state, the alert desk's queue, and the payload of each kind of event.

These endpoints are plain Django views (a kiosk's session, gzip, never cached), so their
shapes are added to the OpenAPI document by `add_live_pages` (a drf-spectacular
post-processing hook) rather than read from serializers. The schemas are written as JSON
Schema (a null is `["integer", "null"]`) and turned into OpenAPI 3.0 (`nullable`) there; the
tests (tests/contract/test_shapes.py) check real answers and real events against them.
"""

from copy import deepcopy
from typing import Any

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
BOOLEAN = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
OPTIONAL_TIME = {"type": ["string", "null"], "format": "date-time"}
OPTIONAL_ID = {"type": ["integer", "null"]}
OPTIONAL_NUMBER = {"type": ["number", "null"]}
OBJECT_OF_ANY = {"type": "object"}
COUNT = {"type": "integer", "minimum": 0}
ARRAY = {"type": "array"}
OPTIONAL_STRING = {"type": ["string", "null"]}


def record(properties: dict, optional: tuple[str, ...] = (), open_: bool = False) -> dict:
    """An object with these members, all required but `optional`."""
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": open_,
    }


def keyed(value: dict) -> dict:
    """An object keyed by ids (as strings)."""
    return {"type": "object", "additionalProperties": value}


def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


# --- The objects, in the form their events carry them ------------------------------------

COMPONENTS: dict[str, dict] = {
    "LiveEquipment": record(
        {
            "id": INTEGER,
            "code": STRING,
            "kind": STRING,
            "status": STRING,
            "district": OPTIONAL_ID,
            "lat": NUMBER,
            "lon": NUMBER,
            "state": {"type": "object"},
            "last_seen_at": OPTIONAL_TIME,
        }
    ),
    "LiveTeam": record(
        {
            "id": INTEGER,
            "call_sign": STRING,
            "service": STRING,
            "status": STRING,
            "lat": OPTIONAL_NUMBER,
            "lon": OPTIONAL_NUMBER,
            "position_at": OPTIONAL_TIME,
            "emergency_vehicle": BOOLEAN,
        }
    ),
    "LiveIntervention": record(
        {
            "id": INTEGER,
            "reference": STRING,
            "title": STRING,
            "category": STRING,
            "service": STRING,
            "priority": INTEGER,
            "status": STRING,
            "lat": OPTIONAL_NUMBER,
            "lon": OPTIONAL_NUMBER,
            "address": STRING,
            "reported_at": TIME,
            "target_at": OPTIONAL_TIME,
            "teams": {"type": "array", "items": INTEGER},
        }
    ),
    "LiveAlert": record(
        {
            "id": INTEGER,
            "title": STRING,
            "severity": INTEGER,
            "category": STRING,
            "status": STRING,
            "source": STRING,
            "equipment": OPTIONAL_ID,
            "intervention": OPTIONAL_ID,
            "lat": OPTIONAL_NUMBER,
            "lon": OPTIONAL_NUMBER,
            "raised_at": TIME,
            "cleared_at": OPTIONAL_TIME,
            "rule": OPTIONAL_ID,
            "updated_at": OPTIONAL_TIME,
            "occurrences": INTEGER,
            # Alarm management: the cause it is grouped under, how many it groups, and until
            # when an operator shelved it.
            "parent": OPTIONAL_ID,
            "children": INTEGER,
            "shelved_until": OPTIONAL_TIME,
        }
    ),
    "LiveDistrict": record(
        {
            "id": INTEGER,
            "code": STRING,
            "name": STRING,
            "boundary": {"type": "array", "items": {"type": "array", "items": NUMBER}},
        }
    ),
    "LiveMarket": record(
        {
            "id": INTEGER,
            "code": STRING,
            "name": STRING,
            "capacity": OPTIONAL_ID,
            "occupancy": INTEGER,
            "full": BOOLEAN,
            "lat": NUMBER,
            "lon": NUMBER,
        }
    ),
    "LivePriority": record(
        {
            "id": INTEGER,
            "junction": STRING,
            "requester_type": STRING,
            "requester": STRING,
            "approach": STRING,
            "lat": NUMBER,
            "lon": NUMBER,
            "requested_at": TIME,
            "released_at": OPTIONAL_TIME,
            "release_reason": STRING,
        }
    ),
    "LiveCityMode": record(
        {"code": STRING, "name": STRING, "banner": STRING, "hotline_24_7": BOOLEAN}
    ),
    # Whether the room is in an alarm flood, since its start (supervision/alerts/flood.py).
    "LiveAlarmFlood": record({"active": BOOLEAN, "since": OPTIONAL_TIME}),
    # The database's last failover, as the walls' banner tells it (supervision/wall/state.py).
    "WallFailover": record(
        {
            "time": TIME,
            "primary": STRING,
            "previous": {"type": ["string", "null"]},
            "planned": BOOLEAN,
            "duration_s": OPTIONAL_NUMBER,
        }
    ),
    # [code, kind, status, district id, lat, lon]
    "WallEquipmentRow": {
        "type": "array",
        "prefixItems": [STRING, STRING, STRING, OPTIONAL_ID, NUMBER, NUMBER],
        "minItems": 6,
        "maxItems": 6,
    },
    # [action, equipment code, status, attempts, requested at]
    "WallCommandRow": {
        "type": "array",
        "prefixItems": [STRING, STRING, STRING, INTEGER, TIME],
        "minItems": 5,
        "maxItems": 5,
    },
    "CommandFailure": record(
        {
            "seq": INTEGER,
            "id": INTEGER,
            "action": STRING,
            "equipment_code": STRING,
            "status": STRING,
            "error": STRING,
            "time": TIME,
        }
    ),
}
COMPONENTS["FinishedCommands"] = record(
    {
        "day": {"type": "string", "format": "date"},
        "acknowledged": INTEGER,
        "failed": INTEGER,
        "failures": {"type": "array", "items": ref("CommandFailure")},
    }
)


def _integers(items: dict = INTEGER) -> dict:
    return {"type": "array", "items": items}


# The wall's equipment on the wire, in columns (supervision/wall/state.py equipment_columns):
# ids as steps from the previous one, kinds and statuses as indexes into their names (null:
# not in the catalogue), positions in microdegrees from the south-west corner, codes one a
# line in one string ("codes"), or as a list ("code") when a code holds a line break.
COMPONENTS["WallEquipmentColumns"] = {
    "type": "object",
    "properties": {
        "id": _integers(),
        "codes": STRING,
        "code": {"type": "array", "items": STRING},
        "kinds": {"type": "array", "items": STRING},
        "kind": _integers(OPTIONAL_ID),
        "statuses": {"type": "array", "items": STRING},
        "status": _integers(OPTIONAL_ID),
        "district": _integers(OPTIONAL_ID),
        "corner": {"type": "array", "items": INTEGER, "minItems": 2, "maxItems": 2},
        "lat": _integers(),
        "lon": _integers(),
    },
    "required": ["id", "kinds", "kind", "statuses", "status", "district", "corner", "lat", "lon"],
    "oneOf": [{"required": ["codes"]}, {"required": ["code"]}],
    "additionalProperties": False,
}
# The alerts past the alert panel's first rows (supervision/wall/state.py alert_columns): what
# the wall counts of them; positions null where they are the alert's device's.
COMPONENTS["WallAlertColumns"] = record(
    {
        "id": _integers(),
        "severity": _integers(),
        "categories": {"type": "array", "items": STRING},
        "category": _integers(),
        "equipment": _integers(OPTIONAL_ID),
        "parent": _integers(OPTIONAL_ID),
        "shelved": _integers({"enum": [0, 1]}),
        "corner": {"type": "array", "items": INTEGER, "minItems": 2, "maxItems": 2},
        "lat": _integers({"type": ["integer", "null"]}),
        "lon": _integers({"type": ["integer", "null"]}),
    }
)
COMPONENTS["WallSnapshot"] = record(
    {
        "seq": INTEGER,
        "equipment_columns": ref("WallEquipmentColumns"),
        "alert_columns": ref("WallAlertColumns"),
        "team": keyed(ref("LiveTeam")),
        "intervention": keyed(ref("LiveIntervention")),
        "alert": keyed(ref("LiveAlert")),
        "market": keyed(ref("LiveMarket")),
        "priority": keyed(ref("LivePriority")),
        "command": keyed(ref("WallCommandRow")),
        "district": keyed(ref("LiveDistrict")),
        "calls": record({"day": {"type": "string", "format": "date"}, "count": INTEGER}),
        "commands": ref("FinishedCommands"),
        "mode": ref("LiveCityMode"),
        "flood": ref("LiveAlarmFlood"),
        "failover": nullable(ref("WallFailover")),
    }
)
# One coalesced frame: per subject type, the latest form of each object that changed (null:
# it left the screen); or an order to reload the snapshot.
COMPONENTS["WallFrame"] = {
    "oneOf": [
        record(
            {
                "type": {"const": "frame"},
                "after": INTEGER,
                "seq": INTEGER,
                "objects": keyed(keyed({})),
                "calls": keyed(INTEGER),
                "commands": keyed(
                    record(
                        {
                            "acknowledged": INTEGER,
                            "failed": INTEGER,
                            "failures": {"type": "array", "items": ref("CommandFailure")},
                        }
                    )
                ),
                "mode": ref("LiveCityMode"),
                "flood": ref("LiveAlarmFlood"),
                "failover": ref("WallFailover"),
            },
            optional=("calls", "commands", "mode", "flood", "failover"),
        ),
        record({"type": {"const": "reload"}}),
    ]
}
COMPONENTS["DispatchDeskState"] = record(
    {
        "seq": INTEGER,
        "team": keyed(ref("LiveTeam")),
        "intervention": keyed(ref("LiveIntervention")),
    }
)
COMPONENTS["HotlineFigures"] = record(
    {
        "calls_today": INTEGER,
        "calls_last_hour": INTEGER,
        "callbacks_due": INTEGER,
        "referrals_open": INTEGER,
        "register_size": INTEGER,
        "campaigns_running": INTEGER,
        "round_the_clock": BOOLEAN,
        "open": BOOLEAN,
    }
)
COMPONENTS["ConsoleDevice"] = record(
    {
        "code": STRING,
        "name": STRING,
        "kind": STRING,
        "kind_label": STRING,
        "status": STRING,
        "status_label": STRING,
        "district": STRING,
        "site": STRING,
        "address": STRING,
        "latitude": NUMBER,
        "longitude": NUMBER,
    }
)
COMPONENTS["ConsoleCommand"] = record(
    {
        "id": INTEGER,
        "equipment": INTEGER,
        "equipment_code": STRING,
        "equipment_kind": STRING,
        "action": STRING,
        "params": {"type": "object"},
        "status": STRING,
        "status_label": STRING,
        "attempts": INTEGER,
        "error": STRING,
        "origin": STRING,
        "reason": STRING,
        "requested_at": TIME,
        "finished_at": OPTIONAL_TIME,
        "requested_by": STRING,
    }
)
COMPONENTS["DeviceCommands"] = record(
    {"seq": INTEGER, "commands": {"type": "array", "items": ref("ConsoleCommand")}}
)
COMPONENTS["DeviceSearch"] = record(
    {
        "results": {"type": "array", "items": ref("ConsoleDevice")},
        "matches": keyed(INTEGER),
        "more": BOOLEAN,
    }
)
# --- The device console's commands: one device, a selection, planned commands --------------

# What a refused call says: a role that may not (403), a selection already rolled back (409).
COMPONENTS["ConsoleRefusal"] = record({"detail": STRING, "code": STRING}, optional=("code",))
# A 400: the fields' messages, a command's parameters' under `params`.
COMPONENTS["ConsoleFieldErrors"] = {
    "type": "object",
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": STRING},
            {"type": "object", "additionalProperties": {"type": "array", "items": STRING}},
        ]
    },
    "minProperties": 1,
}
COMPONENTS["ConsoleCommandRequest"] = record(
    {"action": STRING, "params": OBJECT_OF_ANY, "reason": STRING, "confirm": BOOLEAN},
    optional=("params", "confirm"),
)
COMPONENTS["ConsoleCommandSent"] = record({"command": ref("ConsoleCommand")})
# The device is offline: the command is recorded as failed, and the desk says so.
COMPONENTS["ConsoleCommandOffline"] = record(
    {"detail": STRING, "code": {"const": "device_offline"}, "command": ref("ConsoleCommand")}
)
COMPONENTS["SelectionCriteria"] = record(
    {
        "kind": STRING,
        "district": STRING,
        "site": STRING,
        "status": STRING,
        # [south, west, north, east], in degrees.
        "box": {"type": "array", "items": NUMBER, "minItems": 4, "maxItems": 4},
        # The corners [latitude, longitude] drawn on the map.
        "polygon": {
            "type": "array",
            "items": {"type": "array", "items": NUMBER, "minItems": 2, "maxItems": 2},
            "minItems": 3,
        },
    },
    optional=("district", "site", "status", "box", "polygon"),
)
SELECTION_REQUEST = {
    "selection": ref("SelectionCriteria"),
    "action": STRING,
    "params": OBJECT_OF_ANY,
}
COMPONENTS["SelectionPreviewRequest"] = record(SELECTION_REQUEST, optional=("params",))
COMPONENTS["SelectionSendRequest"] = record(
    {**SELECTION_REQUEST, "reason": STRING, "confirm": BOOLEAN}, optional=("params", "confirm")
)
COMPONENTS["SelectionPreview"] = record(
    {
        "criteria": ref("SelectionCriteria"),
        "devices": COUNT,
        "offline": COUNT,
        # The first of them (at most 50).
        "offline_codes": {"type": "array", "items": STRING},
        "will_change": COUNT,
        "unchanged": COUNT,
        # A public-safety kind: sending asks for a confirmation.
        "confirm": BOOLEAN,
    }
)
COMPONENTS["ConsoleSelection"] = record(
    {
        "id": INTEGER,
        "kind": STRING,
        "action": STRING,
        "params": OBJECT_OF_ANY,
        "reason": STRING,
        "criteria": ref("SelectionCriteria"),
        "devices": COUNT,
        "status": {"enum": ["sending", "sent", "rolling_back", "rolled_back"]},
        "created_at": TIME,
        "rolled_back_at": OPTIONAL_TIME,
    }
)
# One phase of a selection (its commands, or its rollback's): n of m acknowledged.
COMPONENTS["SelectionPhase"] = record(
    {
        "total": COUNT,
        "created": COUNT,
        "acknowledged": COUNT,
        "failed": COUNT,
        "pending": INTEGER,
        "failures": {
            "type": "array",
            "items": record(
                {"command": INTEGER, "equipment": STRING, "status": STRING, "error": STRING}
            ),
        },
    }
)
SELECTION_PROGRESS = {
    "selection": ref("ConsoleSelection"),
    "apply": ref("SelectionPhase"),
    # Why the background job stopped sending, if it did ("" while all is well).
    "error": STRING,
    "restore": ref("SelectionPhase"),
}
COMPONENTS["SelectionProgress"] = record(SELECTION_PROGRESS, optional=("restore",))
# The same, with the log's number it is as of (the page replays the events after it).
COMPONENTS["SelectionProgressAsOf"] = record(
    {"seq": INTEGER, **SELECTION_PROGRESS}, optional=("restore",)
)
COMPONENTS["ConsoleSchedule"] = record(
    {
        "id": INTEGER,
        "name": STRING,
        "criteria": ref("SelectionCriteria"),
        "action": STRING,
        "params": OBJECT_OF_ANY,
        "reason": STRING,
        # 0 = Monday.
        "weekdays": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 6}},
        "time": {"type": ["string", "null"], "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
        "run_at": OPTIONAL_TIME,
        "active": BOOLEAN,
        "next_run_at": OPTIONAL_TIME,
        "held_since": OPTIONAL_TIME,
        "last_run_at": OPTIONAL_TIME,
    }
)
COMPONENTS["CommandSchedules"] = record(
    {"schedules": {"type": "array", "items": ref("ConsoleSchedule")}}
)
COMPONENTS["ScheduleRequest"] = record(
    {
        **SELECTION_REQUEST,
        "reason": STRING,
        "confirm": BOOLEAN,
        "name": STRING,
        "weekdays": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 6}},
        # "HH:MM" with weekdays, or `run_at` (local time) once; "" when not given.
        "time": STRING,
        "run_at": STRING,
    },
    optional=("params", "confirm", "weekdays", "time", "run_at"),
)
COMPONENTS["ScheduleCreated"] = record({"schedule": ref("ConsoleSchedule")})
COMPONENTS["AlertQueue"] = record(
    {"seq": INTEGER, "alerts": {"type": "array", "items": ref("LiveAlert")}, "truncated": BOOLEAN}
)

# --- Live video: a wall's tiles, the cameras a viewer may watch, a view's start and end -------

COMPONENTS["TileCamera"] = record(
    {
        "id": INTEGER,
        "code": STRING,
        "name": STRING,
        "ptz": BOOLEAN,
        # mjpeg: the screens show it as JPEGs the gateway makes
        "transport": {"type": "string", "enum": ["webrtc", "mjpeg"]},
        # steered through its ONVIF service; a PTZ camera without one shows no controls
        "steerable": BOOLEAN,
        "presets": {"type": "array", "items": record({"token": STRING, "name": STRING})},
    }
)
COMPONENTS["WallVideo"] = record(
    {
        "tiles": {
            "type": "array",
            "items": record(
                {
                    "number": {"type": "integer", "minimum": 1},
                    "cameras": {"type": "array", "items": ref("TileCamera")},
                    "tourSeconds": COUNT,
                    # the camera stream the tile watches (sub on walls of 9 or 16 tiles)
                    "stream": {"type": "string", "enum": ["main", "sub"]},
                }
            ),
        },
        # The tile that shows the camera on alarm (none: no alarm tile).
        "alarmTile": {"type": ["integer", "null"], "minimum": 1},
        "alarm": nullable(
            record(
                {
                    "camera": ref("TileCamera"),
                    "alert": record({"id": INTEGER, "title": STRING, "severity": COUNT}),
                }
            )
        ),
        # The cameras operators pushed onto tiles, by tile number (as text).
        "pushed": {
            "type": "object",
            "patternProperties": {"^[1-9][0-9]*$": ref("TileCamera")},
            "additionalProperties": False,
        },
    }
)
# A camera as a viewer's page sees it: never its login, only whether one is stored.
COMPONENTS["WatchableCamera"] = record(
    {
        "id": INTEGER,
        "code": STRING,
        "name": STRING,
        "lat": OPTIONAL_NUMBER,
        "lon": OPTIONAL_NUMBER,
        "status": STRING,
        "ptz": BOOLEAN,
        "presets": ARRAY,
        "direction": OPTIONAL_NUMBER,
        "field_angle": OPTIONAL_NUMBER,
        "range_m": OPTIONAL_NUMBER,
        "has_credentials": BOOLEAN,
        "simulated": BOOLEAN,
    }
)
COMPONENTS["WatchableCameras"] = record(
    {"cameras": {"type": "array", "items": ref("WatchableCamera")}}
)
# A refusal with a sentence for the viewer: a role that may not watch, a gateway down.
COMPONENTS["Refusal"] = record({"detail": STRING})
COMPONENTS["VideoOffer"] = record(
    {
        "camera": INTEGER,
        # The browser's WebRTC offer (SDP, at most 20,000 characters).
        "sdp": {"type": "string", "pattern": "^v=0", "maxLength": 20000},
        "type": {"const": "offer"},
        # Where the view is shown ("wall:main", "desk:alerts"), for the log.
        "screen": STRING,
    },
    optional=("type", "screen"),
)
COMPONENTS["VideoAnswer"] = record({"session": STRING, "sdp": STRING, "type": {"const": "answer"}})
COMPONENTS["VideoClose"] = record({"session": STRING})
COMPONENTS["VideoClosed"] = record({"closed": STRING})

# --- The hotline desk: a call saved, the approved answers --------------------------------

HOTLINE_CALL_FIELDS = record(
    {
        "category": STRING,
        "question": {"type": "string", "maxLength": 5000},
        "article": INTEGER,
        "answer": {"type": "string", "maxLength": 5000},
        "outcome": STRING,
        "caller_name": {"type": "string", "maxLength": 150},
        "caller_phone": {"type": "string", "maxLength": 30},
        "district": INTEGER,
        "handling_seconds": {"type": "integer", "minimum": 0, "maximum": 21600},
        # Required with the outcome call_back.
        "callback_due_at": TIME,
        # With the outcome intervention: its title and service (required), its place.
        "intervention_title": {"type": "string", "maxLength": 200},
        "intervention_service": STRING,
        "intervention_address": {"type": "string", "maxLength": 200},
        "intervention_latitude": {"type": "number", "minimum": -90, "maximum": 90},
        "intervention_longitude": {"type": "number", "minimum": -180, "maximum": 180},
        "intervention_description": {"type": "string", "maxLength": 2000},
        # With the outcome referral: the person (with their consent) and their needs.
        "referral_name": {"type": "string", "maxLength": 150},
        "referral_phone": {"type": "string", "maxLength": 30},
        "referral_address": {"type": "string", "maxLength": 200},
        "referral_needs": {"type": "string", "maxLength": 2000},
        "referral_consent": BOOLEAN,
        "referral_register": BOOLEAN,
    },
)
# The desk's form, as its page posts it: the rest depends on the outcome.
COMPONENTS["HotlineCallForm"] = {
    **HOTLINE_CALL_FIELDS,
    "required": ["category", "outcome", "handling_seconds"],
}
COMPONENTS["HotlineCallSaved"] = record(
    {
        "call": record(
            {
                "id": INTEGER,
                "category": STRING,
                "category_name": STRING,
                "channel": STRING,
                "outcome": STRING,
                "outcome_label": STRING,
                "started_at": TIME,
                "handling_seconds": {"type": ["integer", "null"]},
                "district": OPTIONAL_ID,
                "intervention": OPTIONAL_ID,
            }
        ),
        # The intervention's reference, when the call opened one.
        "intervention": OPTIONAL_STRING,
        # The desk's "N calls today" follows each call saved.
        "calls_today": COUNT,
        "calls_today_text": STRING,
    }
)
COMPONENTS["HotlineFormErrors"] = record(
    {
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": STRING},
            "minProperties": 1,
        }
    }
)
COMPONENTS["HotlineAnswers"] = record(
    {
        "answers": {
            "type": "array",
            "items": record(
                {
                    "id": INTEGER,
                    "key": STRING,
                    "version": {"type": "integer", "minimum": 1},
                    "title": STRING,
                    "body": STRING,
                    "source": STRING,
                    "category": STRING,
                    "valid_until": {"type": ["string", "null"], "format": "date"},
                }
            ),
        }
    }
)

# --- The platform: its health for monitoring tools, the load balancers' liveness ----------

COMPONENTS["PlatformHealth"] = record(
    {
        # None on the embedded database (nothing replicated).
        "database": nullable(
            record(
                {
                    "primary": STRING,
                    "address": STRING,
                    "standbys": {
                        "type": "array",
                        "items": record(
                            {
                                "name": STRING,
                                "sync_state": STRING,
                                "lag_bytes": {"type": ["integer", "null"]},
                                "replay_lag_s": OPTIONAL_NUMBER,
                            }
                        ),
                    },
                    # pg_auto_failover's monitor's view of the nodes, when there is one.
                    "nodes": {
                        "type": "array",
                        "items": record(
                            {
                                "name": STRING,
                                "host": STRING,
                                "port": INTEGER,
                                "reported": STRING,
                                "assigned": STRING,
                                "healthy": BOOLEAN,
                            }
                        ),
                    },
                }
            )
        ),
        "sentinels": {
            "type": "array",
            "items": record(
                {
                    "sentinel": STRING,
                    "reachable": BOOLEAN,
                    "master": STRING,
                    "flags": STRING,
                    "replicas": COUNT,
                    "sentinels": COUNT,
                }
            ),
        },
        # The last failover's event: its number, time and payload.
        "last_failover": nullable(
            {
                **record({"seq": INTEGER, "time": TIME}, open_=True),
                "properties": {"seq": INTEGER, "time": TIME, "primary": STRING},
            }
        ),
        "processes": {
            "type": "array",
            "items": record(
                {
                    "name": STRING,
                    "kind": STRING,
                    "state": STRING,
                    "last_seen_at": TIME,
                    "silent_seconds": INTEGER,
                }
            ),
        },
    }
)
COMPONENTS["Liveness"] = record({"status": {"const": "ok"}})

# --- Events: the payload of each kind ------------------------------------------------------
# An object's events carry its whole latest state under its subject type (null once deleted);
# some add what the step was about. Members beyond those named are allowed: a kind may carry
# more context as the room needs it, never less.


# Objects whose events carry more than the live pages show: their core members are named,
# and more are allowed (an administrator's settings grow with the room's needs).
OBJECT = {"type": "object"}
COMPONENTS.update(
    {
        "LiveCommand": record(
            {
                "id": INTEGER,
                "equipment": INTEGER,
                "equipment_code": STRING,
                "equipment_kind": STRING,
                "action": STRING,
                "params": OBJECT,
                "status": STRING,
                "attempts": INTEGER,
                "error": STRING,
                "origin": STRING,
                "reason": STRING,
                "requested_at": TIME,
                "finished_at": OPTIONAL_TIME,
            },
            open_=True,
        ),
        "LiveSite": record(
            {
                "id": INTEGER,
                "code": STRING,
                "name": STRING,
                "kind": STRING,
                "district": OPTIONAL_ID,
                "lat": OPTIONAL_NUMBER,
                "lon": OPTIONAL_NUMBER,
            },
            open_=True,
        ),
        "LiveSelection": record(
            {
                "id": INTEGER,
                "kind": STRING,
                "action": STRING,
                "criteria": OBJECT,
                "params": OBJECT,
                "devices": INTEGER,
                "status": STRING,
                "created_at": TIME,
                "rolled_back_at": OPTIONAL_TIME,
            },
            open_=True,
        ),
        "LiveSchedule": record(
            {
                "id": INTEGER,
                "name": STRING,
                "action": STRING,
                "criteria": OBJECT,
                "active": BOOLEAN,
                "next_run_at": OPTIONAL_TIME,
                "last_run_at": OPTIONAL_TIME,
                "held_since": OPTIONAL_TIME,
            },
            open_=True,
        ),
        "LiveAlertRule": record(
            {
                "id": INTEGER,
                "name": STRING,
                "kind": STRING,
                "enabled": BOOLEAN,
                "severity": INTEGER,
            },
            open_=True,
        ),
        "LiveWallScreen": record(
            {"id": INTEGER, "slug": STRING, "name": STRING, "active": BOOLEAN, "panels": ARRAY},
            open_=True,
        ),
        "LiveCrisisMode": record(
            {"id": INTEGER, "code": STRING, "name": STRING, "actions": ARRAY}, open_=True
        ),
        # The hotline's events name no caller and no isolated person: counts and codes only.
        "LiveCall": record(
            {
                "id": INTEGER,
                "category": STRING,
                "channel": STRING,
                "outcome": STRING,
                "district": OPTIONAL_ID,
                "intervention": OPTIONAL_ID,
                "started_at": TIME,
                "handling_seconds": {"type": ["integer", "null"]},
            },
            open_=True,
        ),
        "LiveReferral": record(
            {"id": INTEGER, "status": STRING, "district": OPTIONAL_ID}, open_=True
        ),
        "LiveCampaign": record(
            {
                "id": INTEGER,
                "name": STRING,
                "people": INTEGER,
                "outcomes": keyed(INTEGER),
                "started_at": TIME,
                "closed_at": OPTIONAL_TIME,
            },
            open_=True,
        ),
    }
)
STRINGS = {"type": "array", "items": STRING}
PROCESS = record(
    {"host": STRING, "kind": STRING, "pid": INTEGER, "state": STRING, "last_seen_at": TIME},
    open_=True,
)
# Which database node is primary (pg_auto_failover's name for it), and how it got there.
DATABASE_PRIMARY = record(
    {
        "primary": STRING,
        "address": STRING,
        "previous": OPTIONAL_STRING,
        "planned": BOOLEAN,
        "duration_s": OPTIONAL_NUMBER,
    }
)
FLOOD = record(
    {"positions": COUNT, "rate": NUMBER, "threshold": COUNT, "window_seconds": COUNT},
    open_=True,
)


def carrying(subject: str, schema: dict, **extra: dict) -> dict:
    return record({subject: schema, **extra}, optional=tuple(extra), open_=True)


def deleting(subject: str, schema: dict) -> dict:
    """A deletion: the subject is null, its last state is `deleted`."""
    return record({subject: {"type": "null"}, "deleted": schema}, open_=True)


# A camera as the log keeps it: never its login, only whether one is stored.
CAMERA = record(
    {"id": INTEGER, "code": STRING, "has_credentials": BOOLEAN, "ptz": BOOLEAN}, open_=True
)
CAMERA_VIEW = record(
    {
        "session": STRING,
        "screen": STRING,
        "camera": OPTIONAL_ID,
        "seconds": NUMBER,
        # the camera's main or sub stream, over WebRTC or as MJPEG (views logged before both
        # were told have neither)
        "stream": {"type": "string", "enum": ["main", "sub"]},
        "transport": {"type": "string", "enum": ["webrtc", "mjpeg"]},
    },
    optional=("seconds", "stream", "transport"),
)
# A PTZ move: which camera, from which screen, and how (supervision/video, equipment/ptz.py).
CAMERA_STEERED = {"camera": INTEGER, "screen": STRING}


ACTIVATION = record(
    {
        "id": INTEGER,
        "mode": STRING,
        "status": STRING,
        "activated_at": TIME,
        "deactivated_at": OPTIONAL_TIME,
    }
)
OPTIONAL_CAP = {"type": ["string", "null"]}


def crisis(**extra: dict) -> dict:
    return record({"activation": ACTIVATION, **extra}, optional=tuple(extra), open_=True)


EVENT_PAYLOADS: dict[str, dict] = {
    **{
        f"equipment.{step}": carrying("equipment", ref("LiveEquipment"))
        for step in ("created", "updated")
    },
    "equipment.deleted": deleting("equipment", ref("LiveEquipment")),
    "shift.started": record({"started_at": TIME}),
    "shift.handover_acknowledged": record({"started_at": TIME}),
    "shift.ended": record(
        {
            "started_at": TIME,
            "note": STRING,
            "open_alerts": COUNT,
            "open_interventions": COUNT,
            "crisis_modes": STRINGS,
            "callbacks_overdue": COUNT,
        }
    ),
    "geography.addresses_imported": record({"created": COUNT, "updated": COUNT, "skipped": COUNT}),
    "geography.streets_imported": record({"created": COUNT, "updated": COUNT}),
    "camera.created": carrying("camera", CAMERA),
    "camera.updated": carrying("camera", CAMERA, fields=STRINGS),
    "camera.deleted": deleting("camera", CAMERA),
    "camera.view_started": CAMERA_VIEW,
    "camera.view_stopped": CAMERA_VIEW,
    "camera.preset_recalled": record({**CAMERA_STEERED, "preset": STRING, "preset_name": STRING}),
    "camera.move_started": record(
        {**CAMERA_STEERED, "pan": NUMBER, "tilt": NUMBER, "zoom": NUMBER}
    ),
    "camera.move_stopped": record(CAMERA_STEERED),
    "camera.snapshot_taken": record(
        {"camera": INTEGER, "alert": INTEGER, "snapshot": INTEGER, "taken_at": TIME}
    ),
    "camera.snapshots_purged": record({"deleted": INTEGER, "before": TIME, "days": INTEGER}),
    **{
        f"team.{step}": carrying("team", ref("LiveTeam"))
        for step in ("created", "updated", "moved", "status_changed")
    },
    "team.deleted": deleting("team", ref("LiveTeam")),
    **{
        f"intervention.{step}": carrying("intervention", ref("LiveIntervention"))
        for step in (
            "created",
            "updated",
            "status_changed",
            "team_assigned",
            "team_released",
            "team_done",
        )
    },
    "intervention.deleted": deleting("intervention", ref("LiveIntervention")),
    **{
        f"alert.{step}": carrying("alert", ref("LiveAlert"))
        for step in (
            "raised",
            "updated",
            "acknowledged",
            "qualified",
            "resolved",
            "closed",
        )
    },
    **{
        f"district.{step}": carrying("district", ref("LiveDistrict"))
        for step in ("created", "updated")
    },
    "district.deleted": deleting("district", ref("LiveDistrict")),
    "city.mode_changed": record({"mode": ref("LiveCityMode")}, open_=True),
    **{
        kind: record(
            {"rate": NUMBER, "threshold": INTEGER, "window_seconds": NUMBER, "positions": INTEGER}
        )
        for kind in ("alarm.flood_started", "alarm.flood_ended")
    },
    "crisis.activated": crisis(reason=STRING, planned_commands=INTEGER, cap_message=OPTIONAL_CAP),
    "crisis.public_message_changed": crisis(public_message=STRING, cap_message=STRING),
    "crisis.deactivated": crisis(
        reason=STRING,
        restore_commands=INTEGER,
        offline={"type": "array", "items": STRING},
        cap_message=OPTIONAL_CAP,
    ),
    "crisis.step_done": crisis(step={"type": "object"}),
    "crisis.commands_sent": crisis(phase=STRING, commands=COUNT),
    "crisis.sending_failed": crisis(phase=STRING, error=STRING),
    "crisis.retried": crisis(phase=STRING, commands=ARRAY, resumed=COUNT),
    "crisis.resumed": crisis(phase=STRING),
    **{
        f"crisis_mode.{step}": carrying("crisis_mode", ref("LiveCrisisMode"), fields=STRINGS)
        for step in ("created", "updated")
    },
    "crisis_mode.deleted": deleting("crisis_mode", ref("LiveCrisisMode")),
    "alert.cleared": carrying("alert", ref("LiveAlert"), reason=STRING),
    "alert.grouped": carrying("alert", ref("LiveAlert"), parent=INTEGER),
    "alert.shelved": carrying("alert", ref("LiveAlert"), reason=STRING),
    "alert.unshelved": carrying("alert", ref("LiveAlert"), reason=STRING),
    "alert.command_requested": carrying(
        "alert",
        ref("LiveAlert"),
        command=record(
            {
                "id": INTEGER,
                "equipment_code": STRING,
                "action": STRING,
                "status": STRING,
                "error": STRING,
            },
            open_=True,
        ),
    ),
    **{
        f"alert_rule.{step}": carrying("alert_rule", ref("LiveAlertRule"), fields=STRINGS)
        for step in ("created", "updated")
    },
    "alert_rule.deleted": deleting("alert_rule", ref("LiveAlertRule")),
    "alarm.flood_started": FLOOD,
    "alarm.flood_ended": FLOOD,
    "equipment.status_changed": carrying(
        "equipment", ref("LiveEquipment"), previous_status=STRING, reason=STRING
    ),
    **{f"site.{step}": carrying("site", ref("LiveSite")) for step in ("created", "updated")},
    "site.deleted": deleting("site", ref("LiveSite")),
    **{
        f"command.{step}": carrying("command", ref("LiveCommand"))
        for step in ("requested", "acknowledged", "failed", "timed_out", "expired", "retried")
    },
    "commands.sent": record({"commands": ARRAY}, open_=True),
    **{
        f"selection.{step}": carrying("selection", ref("LiveSelection"), restore_commands=COUNT)
        for step in ("sending", "sent", "rolling_back", "rolled_back")
    },
    **{
        f"schedule.{step}": carrying(
            "schedule",
            ref("LiveSchedule"),
            fields=STRINGS,
            mode=STRING,
            devices=COUNT,
            selection=OPTIONAL_ID,
            resumed=BOOLEAN,
        )
        for step in ("created", "updated", "ran", "held", "failed")
    },
    "schedule.deleted": deleting("schedule", ref("LiveSchedule")),
    **{
        f"intervention.team_{step}": carrying(
            "intervention", ref("LiveIntervention"), team=ref("LiveTeam"), note=STRING
        )
        for step in ("en_route", "on_site")
    },
    "hotline.call_logged": record({"call": ref("LiveCall")}, open_=True),
    **{
        f"hotline.referral_{step}": record({"referral": ref("LiveReferral")}, open_=True)
        for step in ("created", "status_changed")
    },
    **{
        f"hotline.campaign_{step}": record({"campaign": ref("LiveCampaign")}, open_=True)
        for step in ("started", "closed")
    },
    "hotline.hours_changed": record(
        {"hotline": record({"round_the_clock": BOOLEAN}, open_=True)}, open_=True
    ),
    **{
        f"market.{step}": carrying("market", ref("LiveMarket"))
        for step in ("updated", "occupancy_changed")
    },
    "market.removed": record({"market": {"type": "null"}}, open_=True),
    **{
        f"priority.{step}": carrying("priority", ref("LivePriority"))
        for step in ("requested", "released")
    },
    **{
        f"wall_screen.{step}": carrying("wall_screen", ref("LiveWallScreen"), fields=STRINGS)
        for step in ("created", "updated")
    },
    "wall_screen.deleted": deleting("wall_screen", ref("LiveWallScreen")),
    # A camera an operator put on a wall tile (null: the tile given back to its own cameras).
    **{
        f"wall_screen.camera_{step}": record(
            {
                "screen": STRING,
                "tile": INTEGER,
                "camera": {"type": ["string", "null"]},
                "origin": STRING,
            }
        )
        for step in ("pushed", "released")
    },
    **{f"note.{step}": record({"text": STRING}, open_=True) for step in ("added", "correction")},
    "platform.process_stopped": PROCESS,
    "platform.process_returned": PROCESS,
    "platform.database_primary": DATABASE_PRIMARY,
    "platform.database_failover": DATABASE_PRIMARY,
    "platform.switchover_requested": record({"primary": OPTIONAL_STRING}),
    # Who failed to sign in is kept in the log for the security officer, not for the public.
    "security.login_locked_out": record(
        {"username": STRING, "ip_address": OPTIONAL_STRING}, open_=True
    ),
    "security.login_unlocked": record(
        {"usernames": {"type": "array", "items": STRING}, "ip_addresses": ARRAY}, open_=True
    ),
    "demo.seeded": record({"districts": COUNT, "teams": COUNT}, open_=True),
}
# Any event: the envelope the log and the live streams carry.
COMPONENTS["EventPayloads"] = {
    "type": "object",
    "description": "The payload of each kind of event (key: the kind).",
    "properties": EVENT_PAYLOADS,
}


def payload_schema(kind: str) -> dict | None:
    """The kind's payload as a standalone JSON Schema (its references resolved), or None."""
    if kind not in EVENT_PAYLOADS:
        return None
    return {**EVENT_PAYLOADS[kind], "components": {"schemas": COMPONENTS}}


def standalone(name: str) -> dict:
    """One of the components as a standalone JSON Schema (for a validator)."""
    return {**COMPONENTS[name], "components": {"schemas": COMPONENTS}}


# --- In the OpenAPI document ---------------------------------------------------------------

LIVE_PAGES = {
    "/wall/{screen}/snapshot/": (
        "WallSnapshot",
        "A wall screen's starting state (kiosk session: supervision.view_wall).",
        [{"name": "screen", "in": "path", "required": True, "schema": STRING}],
    ),
    "/wall/{screen}/events/": (
        "WallFrame",
        "Replay: everything after `after` as one frame, or an order to reload the snapshot.",
        [
            {"name": "screen", "in": "path", "required": True, "schema": STRING},
            {"name": "after", "in": "query", "required": True, "schema": INTEGER},
        ],
    ),
    "/dispatch/state/": (
        "DispatchDeskState",
        "The dispatch desk's starting state (interventions.dispatch_intervention).",
        [],
    ),
    "/alerts/queue.json": (
        "AlertQueue",
        "The alert desk's queue, for a page too far behind to replay.",
        [],
    ),
    "/hotline/figures.json": (
        "HotlineFigures",
        "The hotline's counts for the wall and the supervisors (no personal data).",
        [],
    ),
    "/console/devices/{code}/commands.json": (
        "DeviceCommands",
        "A device's recent commands, newest first, with the log's number they are as of.",
        [{"name": "code", "in": "path", "required": True, "schema": STRING}],
    ),
    "/console/schedules.json": (
        "CommandSchedules",
        "The planned commands of the device console (equipment.view_command).",
        [],
    ),
    "/console/search.json": (
        "DeviceSearch",
        "The device console's search: a code's start, a site, a district (equipment.view_equipment).",
        [
            {"name": name, "in": "query", "required": False, "schema": STRING}
            for name in ("q", "kind", "status", "district")
        ],
    ),
}


CODE = {"name": "code", "in": "path", "required": True, "schema": STRING}
SELECTION_ID = {"name": "pk", "in": "path", "required": True, "schema": INTEGER}
REFUSED = ("ConsoleRefusal", "The caller's role cannot do this.")
INVALID = ("ConsoleFieldErrors", "Field errors; nothing is sent.")
# The console's calls beyond its pages' reads (JSON bodies, session cookie and CSRF token as
# the console's pages send them): path -> method -> (summary, parameters, request body,
# answers by status).
CONSOLE_OPERATIONS: dict[str, dict[str, tuple[str, list, str | None, dict]]] = {
    "/console/devices/{code}/commands.json": {
        "post": (
            "Command one device (operators, supervisors): a public-safety action needs `confirm`.",
            [CODE],
            "ConsoleCommandRequest",
            {
                201: ("ConsoleCommandSent", "The command, on its way to the device."),
                400: INVALID,
                403: REFUSED,
                409: ("ConsoleCommandOffline", "The device is offline: the command failed."),
            },
        )
    },
    "/console/selection/preview.json": {
        "post": (
            "What sending an action to a selection of devices would do: how many, which are "
            "offline, which it would change.",
            [],
            "SelectionPreviewRequest",
            {200: ("SelectionPreview", "The preview."), 400: INVALID, 403: REFUSED},
        )
    },
    "/console/selection/send.json": {
        "post": (
            "Send an action to a selection of devices; its commands go out in batches.",
            [],
            "SelectionSendRequest",
            {
                201: ("SelectionProgress", "The selection and its progress."),
                400: INVALID,
                403: REFUSED,
            },
        )
    },
    "/console/selections/{pk}/progress.json": {
        "get": (
            "A selection's progress: n of m acknowledged, failures, its rollback's.",
            [SELECTION_ID],
            None,
            {
                200: ("SelectionProgressAsOf", "The progress, as of the log's number `seq`."),
                403: REFUSED,
            },
        )
    },
    "/console/selections/{pk}/rollback.json": {
        "post": (
            "Put every device of a selection back as it was before (sent in batches).",
            [SELECTION_ID],
            None,
            {
                200: ("SelectionProgress", "The selection, rolling back."),
                403: REFUSED,
                409: ("ConsoleRefusal", "The selection is already rolled back."),
            },
        )
    },
    "/console/schedules.json": {
        "post": (
            "Plan a selection's action: on weekdays at a time, or once at `run_at`.",
            [],
            "ScheduleRequest",
            {201: ("ScheduleCreated", "The planned command."), 400: INVALID, 403: REFUSED},
        )
    },
}


SCREEN = {"name": "screen", "in": "path", "required": True, "schema": STRING}
# Django's own refusals, as any page of the room gives them: a role without the permission
# gets the 403 page, a visitor not signed in is sent to the login page.
FORBIDDEN_PAGE = (None, "The caller's role cannot do this (the 403 page).")
TO_LOGIN = (None, "Not signed in: sent to the login page.")
VIDEO_REFUSED = ("Refusal", "The caller's role cannot watch live video.")
GATEWAY_DOWN = ("Refusal", "The media gateway does not answer.")
# The room's other JSON calls, in the same form as the console's (a request body may name its
# media type: the hotline desk posts its form as a browser does).
ROOM_OPERATIONS: dict[str, dict[str, tuple[str, list, str | tuple | None, dict]]] = {
    "/wall/{screen}/video/": {
        "get": (
            "What a wall screen's video tiles show now, the camera on alarm included "
            "(kiosk session: supervision.view_wall).",
            [SCREEN],
            None,
            {
                200: ("WallVideo", "The tiles, the alarm tile and its camera, if any."),
                302: TO_LOGIN,
                403: FORBIDDEN_PAGE,
                404: (None, "No active screen of that name."),
            },
        )
    },
    "/video/cameras/": {
        "get": (
            "The cameras a viewer may watch (equipment.watch_camera), never their logins.",
            [],
            None,
            {200: ("WatchableCameras", "The cameras."), 302: TO_LOGIN, 403: VIDEO_REFUSED},
        )
    },
    "/video/offer/": {
        "post": (
            "Watch a camera: the camera's gateway answers the browser's WebRTC offer, and the "
            "view's start is logged.",
            [],
            "VideoOffer",
            {
                201: ("VideoAnswer", "The gateway's answer and the view's session."),
                302: TO_LOGIN,
                400: ("ConsoleFieldErrors", "Field errors; nothing is watched."),
                403: VIDEO_REFUSED,
                404: ("ConsoleFieldErrors", "No such camera."),
                503: GATEWAY_DOWN,
            },
        )
    },
    "/video/close/": {
        "post": (
            "Stop watching: a viewer ends their own view (the gateway logs its end).",
            [],
            "VideoClose",
            {
                200: ("VideoClosed", "The view's session, closed."),
                302: TO_LOGIN,
                400: ("ConsoleFieldErrors", "The body is not a JSON object."),
                403: VIDEO_REFUSED,
                404: ("ConsoleFieldErrors", "No such view of the caller's."),
                503: GATEWAY_DOWN,
            },
        )
    },
    "/hotline/calls/": {
        "post": (
            "Save a call from the hotline desk (hotline.add_call): its follow-up (a call-back, "
            "an intervention, a referral) with it.",
            [],
            ("HotlineCallForm", "application/x-www-form-urlencoded"),
            {
                201: ("HotlineCallSaved", "The call, and the desk's count of calls today."),
                302: TO_LOGIN,
                400: ("HotlineFormErrors", "Field errors; nothing is saved."),
                403: FORBIDDEN_PAGE,
            },
        )
    },
    "/hotline/answers/": {
        "get": (
            "The approved answers as the agent types (hotline.view_article): current versions "
            "only, best match first.",
            [
                {"name": name, "in": "query", "required": False, "schema": STRING}
                for name in ("q", "category")
            ],
            None,
            {200: ("HotlineAnswers", "The answers."), 302: TO_LOGIN, 403: FORBIDDEN_PAGE},
        )
    },
    "/platform/health/": {
        "get": (
            "The platform's health for monitoring tools (supervision.view_platformprocess): "
            "database primary and standbys, sentinels, last failover, processes' heartbeats.",
            [],
            None,
            {200: ("PlatformHealth", "The figures."), 302: TO_LOGIN, 403: FORBIDDEN_PAGE},
        )
    },
    "/healthz": {
        "get": (
            "Liveness for load balancers: the database answers (no login).",
            [],
            None,
            {200: ("Liveness", "Alive.")},
        )
    },
}
ROOM_TAGS = {
    "/wall/": "live pages",
    "/video/": "live video",
    "/hotline/": "hotline desk",
    "/platform/": "platform",
    "/healthz": "platform",
}


def answer(name: str | None, text: str) -> dict:
    if name is None:  # a page or a redirection, not JSON
        return {"description": text}
    return {"description": text, "content": {"application/json": {"schema": ref(name)}}}


def console_operation(path: str, method: str, operation: tuple, tag: str = "") -> dict:
    summary, parameters, request_body, answers = operation
    document = {
        "operationId": ("room_" if tag else "console_")
        + method
        + "_"
        + path.strip("/").replace("/", "_").replace(".", "_").replace("{", "").replace("}", ""),
        "summary": summary,
        "tags": [tag or "device console"],
        "parameters": parameters,
        "security": [] if path == "/healthz" else [{"cookieAuth": []}],
        "responses": {str(status): answer(*pair) for status, pair in answers.items()},
    }
    refused = document["responses"].get("403", {})
    if method == "post" and "content" in refused:
        # Without the session's CSRF token Django refuses before the view: its 403 page.
        refused["content"]["text/html"] = {"schema": STRING}
        refused["description"] += " Without the CSRF token: the 403 page."
    if request_body:
        name, media = (
            request_body if isinstance(request_body, tuple) else (request_body, "application/json")
        )
        document["requestBody"] = {"required": True, "content": {media: {"schema": ref(name)}}}
    return document


def openapi_30(schema: Any) -> Any:
    """JSON Schema as OpenAPI 3.0 reads it: `["x", "null"]` is `x` with `nullable`, a
    tuple is an array of any of its items, a constant a one-value enum."""
    if isinstance(schema, list):
        return [openapi_30(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {}
    for key, value in schema.items():
        if key == "type" and isinstance(value, list):
            result["type"] = next(t for t in value if t != "null")
            result["nullable"] = "null" in value
        elif key == "prefixItems":
            result["items"] = {"anyOf": openapi_30(value)}
        elif key == "const":
            result["enum"] = [value]
        elif key == "anyOf" and {"type": "null"} in value:
            rest = [openapi_30(v) for v in value if v != {"type": "null"}]
            result.update({"allOf": rest, "nullable": True})
        elif key == "type" and value == "null":
            result.update({"nullable": True, "enum": [None]})
        else:
            result[key] = openapi_30(value)
    return result


def add_live_pages(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing hook: the live pages' JSON and the events' payloads."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in COMPONENTS.items():
        if name in schemas:  # a serializer's component of the same name: never replace it
            raise ValueError(f"OpenAPI component {name} is defined twice")
        schemas[name] = openapi_30(deepcopy(schema))
    result.setdefault("components", {}).setdefault("securitySchemes", {})["cookieAuth"] = {
        "type": "apiKey",
        "in": "cookie",
        "name": "sessionid",
    }
    for path, (name, summary, parameters) in LIVE_PAGES.items():
        result.setdefault("paths", {})[path] = {
            "get": {
                "operationId": "live_" + path.strip("/").replace("/", "_").replace(".", "_"),
                "summary": summary,
                "tags": ["live pages"],
                "parameters": parameters,
                "security": [{"cookieAuth": []}],
                "responses": {
                    "200": {
                        "description": summary,
                        "content": {"application/json": {"schema": ref(name)}},
                    }
                },
            }
        }
    for path, operations in CONSOLE_OPERATIONS.items():
        item = result["paths"].setdefault(path, {})
        for method, operation in operations.items():
            item[method] = console_operation(path, method, operation)
    for path, operations in ROOM_OPERATIONS.items():
        tag = next(tag for start, tag in ROOM_TAGS.items() if path.startswith(start))
        item = result["paths"].setdefault(path, {})
        for method, operation in operations.items():
            item[method] = console_operation(path, method, operation, tag)
    return result
