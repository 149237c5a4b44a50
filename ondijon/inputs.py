"""What the platform accepts from outside: only values its database can store and every reader
(the API, the desks, the wall) can read back.

Python is more lenient than PostgreSQL and than RFC 3339: it reads ISO week dates, comma
decimals, offsets up to ±23:59 and NUL characters, all of which the database refuses (or
stores as a date no Python program can read back). The checks here are shared by the API's
fields and parser, the telemetry ingest and the tracker positions, so that one bad value is
refused where it is sent, with its reason, instead of failing a batch or a read later.
"""

import json
import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

# RFC 3339 (the profile of ISO 8601 that the API documents): a calendar date, a time with
# optional fractions, `Z` or a `±hh:mm` offset.
RFC3339 = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}:\d{2})(?P<fraction>\.\d+)?"
    r"(?P<offset>[Zz]|[+-]\d{2}:\d{2})"
)
# The widest offset in use on Earth (Line Islands); PostgreSQL refuses beyond ±15:59.
MAX_UTC_OFFSET = timedelta(hours=14)
# A number beyond this is no measurement or setting anyone means (and JavaScript would round it).
MAX_MAGNITUDE = 1e15


class BadValue(ValueError):
    """A value the platform refuses, with the reason a person can read."""


def parse_timestamp(text: Any) -> datetime:
    """An RFC 3339 date-time with its offset, or BadValue."""
    if not isinstance(text, str):
        raise BadValue(_("An RFC 3339 date-time with its UTC offset is required."))
    match = RFC3339.fullmatch(text.strip())
    if match is None and RFC3339.fullmatch(text.strip() + "Z"):
        raise BadValue(_("The date-time needs a UTC offset."))
    if match is None:
        raise BadValue(
            _("Not an RFC 3339 date-time (e.g. 2026-11-27T18:00:00+01:00) with its UTC offset.")
        )
    fraction = (match["fraction"] or "")[:7]  # microseconds: what Python and PostgreSQL keep
    offset = "+00:00" if match["offset"] in "Zz" else match["offset"]
    try:
        value = datetime.fromisoformat(f"{match['date']}T{match['time']}{fraction}{offset}")
    except ValueError:
        raise BadValue(_("Not a date that exists in the calendar.")) from None
    check_offset(value)
    return value


def check_offset(value: datetime) -> None:
    offset = value.utcoffset()
    if offset is None:
        raise BadValue(_("The date-time needs a UTC offset."))
    if abs(offset) > MAX_UTC_OFFSET:
        raise BadValue(_("UTC offsets go from -14:00 to +14:00."))


def earliest_time() -> datetime:
    """The platform's epoch: nothing it keeps happened before."""
    return datetime.fromisoformat(settings.INPUT_EARLIEST_TIME)


def check_window(value: datetime, future: timedelta | None = None) -> datetime:
    """`value`, if inside the window the platform keeps: from its epoch to `future` ahead of
    now (default: the setting for dates such as an answer's end of validity)."""
    check_offset(value)
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise BadValue(_("The date-time is out of range.")) from None
    if utc < earliest_time():
        raise BadValue(
            _("Before %(epoch)s, the earliest date the platform keeps.")
            % {"epoch": settings.INPUT_EARLIEST_TIME}
        )
    if future is None:
        future = timedelta(days=settings.INPUT_MAX_FUTURE_DAYS)
    if utc > datetime.now(UTC) + future:
        raise BadValue(_("Too far in the future (the server's clock is the reference)."))
    return value


def measured_time_tolerance() -> timedelta:
    """How far ahead of the server's clock a measured time (a reading, a position) may be."""
    return timedelta(seconds=settings.MEASURED_TIME_FUTURE_SECONDS)


def filter_time(value: datetime) -> datetime:
    """A date-time given to filter a list: any year, as long as the database can compare it."""
    check_offset(value)
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise BadValue(_("The date-time is out of range.")) from None
    return value


def text_problem(text: str) -> str | None:
    if "\x00" in text:
        return _("NUL characters are not allowed.")
    return None


def json_problem(value: Any, max_depth: int | None = None) -> str | None:
    """Why a JSON value cannot be stored and read back (NUL characters, numbers that are not
    finite or of no sensible size, nesting deeper than the bound), or None."""
    if max_depth is None:
        max_depth = settings.API_MAX_JSON_DEPTH
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                return _("Nested deeper than %(depth)d levels.") % {"depth": max_depth}
            if isinstance(item, dict):
                for key in item:
                    if not isinstance(key, str) or "\x00" in key:
                        return _("Keys are text without NUL characters.")
                children = item.values()
            else:
                children = item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, str):
            if "\x00" in item:
                return _("NUL characters are not allowed.")
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int | float):
            if not (math.isfinite(item) and -MAX_MAGNITUDE < item < MAX_MAGNITUDE):
                return _("Numbers are finite and below 1e15 in size.")
        else:
            return _("Only JSON values are allowed.")
    return None


def refuse_constant(name: str):
    raise ValueError(_("%(name)s is not a JSON value.") % {"name": name})


def load_json(body: bytes | str, allow_constants: bool = False) -> Any:
    """The decoded document, or ValueError (malformed, or nested too deep).

    `allow_constants`: NaN and Infinity are taken (devices send them; the reading is then
    refused on its own), else they are malformed JSON, as the standard says.
    """
    try:
        document = json.loads(body, parse_constant=None if allow_constants else refuse_constant)
    except RecursionError:
        document = None
        too_deep = True
    else:
        too_deep = depth_exceeds(document, settings.API_MAX_JSON_DEPTH)
    if too_deep:
        raise ValueError(
            _("JSON nested deeper than %(depth)d levels.") % {"depth": settings.API_MAX_JSON_DEPTH}
        )
    return document


def depth_exceeds(document: Any, max_depth: int) -> bool:
    stack = [(document, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in item if isinstance(child, dict | list))
    return False
