"""Timestamps as the OpenStack APIs write them, read into aware datetimes.

Glance writes ``2026-11-22T04:55:48Z``, Nova servers ``2026-11-22T04:55:48Z``,
Nova instance action events ``2026-11-22T04:55:48.000000`` (no zone: UTC).
Everything the core compares is converted to UTC first.
"""

import datetime

UTC = datetime.timezone.utc


def parse_timestamp(value):
    """An aware UTC datetime from an API timestamp, a datetime or an epoch
    number; None for None, empty or unreadable values (a missing timestamp is
    a fact the rules handle, not an error)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_timestamp(value):
    """The ISO 8601 UTC text the core writes (seconds precision, ``Z``)."""
    moment = parse_timestamp(value)
    if moment is None:
        return None
    return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def seconds_between(start, end):
    """``end - start`` in seconds, or None when either is unreadable."""
    first, last = parse_timestamp(start), parse_timestamp(end)
    if first is None or last is None:
        return None
    return (last - first).total_seconds()
