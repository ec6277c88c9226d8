"""UTC time: timestamps parsed into UTC and written as sortable text, and the current time.

The current time is the clock's, unless $KB_NOW names one (an ISO 8601 timestamp): a fixed clock
makes a build and its pages byte-for-byte repeatable (docs/screenshots.py, tests). Every part of
kb that asks for "now" asks `current_time()`.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache

from kb.core.errors import ConfigError

# Years the date arithmetic can work in: windows of days are added and subtracted, which
# would overflow near year 1 or 9999 (a CMS's 0001-01-01 is the usual culprit).
FIRST_YEAR, LAST_YEAR = 100, 9899


@lru_cache(maxsize=65536)  # datetimes are immutable; report times repeat across an event's reports
def parse_timestamp(value: str | None) -> dt.datetime | None:
    """Parse an ISO 8601 timestamp or date (naive values are taken as UTC) into UTC."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = dt.datetime.combine(dt.date.fromisoformat(text[:10]), dt.time())
        except ValueError:
            return None
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        return None  # e.g. a CMS's 0001-01-01 stored before the plausibility rule
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def utc_iso(value: dt.datetime) -> str:
    """A UTC timestamp as 'YYYY-MM-DDTHH:MM:SSZ' (sorts and compares as text)."""
    return value.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def current_time() -> dt.datetime:
    """Now, in UTC: $KB_NOW when set, else the clock."""
    fixed = os.environ.get("KB_NOW")
    if not fixed:
        return dt.datetime.now(dt.UTC)
    parsed = parse_timestamp(fixed)
    if parsed is None:
        raise ConfigError(f"KB_NOW={fixed!r} is not a timestamp: write e.g. 2026-05-01T12:00:00Z")
    return parsed


def utcnow() -> str:
    """The current UTC time as 'YYYY-MM-DDTHH:MM:SSZ' (what the database stores)."""
    return utc_iso(current_time())
