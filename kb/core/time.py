"""UTC time: timestamps parsed into UTC and written as sortable text."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

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


def utcnow() -> str:
    """The current UTC time as 'YYYY-MM-DDTHH:MM:SSZ' (what the database stores)."""
    return utc_iso(dt.datetime.now(dt.UTC))
