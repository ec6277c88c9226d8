"""Validate query-string parameters of the knowledge base pages; bad values raise BadParameter."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from kb.core.event_types import EVENT_TYPES

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
MAX_QUERY_LENGTH = 200
# Dates a filter may name: far enough back for history, short of year 9999 (whose next day overflows).
MIN_YEAR, MAX_YEAR = 1000, 2999
# ASCII digits only: str.isdigit() and \d also accept "²" and "٢", which int() rejects or misreads.
WHOLE_NUMBER_PATTERN = re.compile(r"^[0-9]{1,18}$")
DATE_PATTERN = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")
CURSOR_PATTERN = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2}),([0-9]{1,18})$")
WORD_PATTERN = re.compile(r"\w+(?:[-'.]\w+)*", re.UNICODE)


class BadParameter(ValueError):
    """A query-string value is malformed; `parameter` names it for the 400 message."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


@dataclass
class TimelineFilters:
    """The validated selection of the timeline: every field None or empty means no filter."""

    story: int | None = None
    entity: int | None = None
    types: list[str] = field(default_factory=list)
    date_from: str | None = None
    date_to: str | None = None
    to_exclusive: str | None = None
    min_importance: float | None = None
    q: str | None = None
    fts_query: str | None = None
    cursor: tuple[str, int] | None = None
    size: int = DEFAULT_PAGE_SIZE

    def as_query(self) -> dict[str, str]:
        """The filters as query-string pairs (without the cursor), for links and JSON."""
        pairs: dict[str, str] = {}
        if self.story is not None:
            pairs["story"] = str(self.story)
        if self.entity is not None:
            pairs["entity"] = str(self.entity)
        if self.types:
            pairs["type"] = ",".join(self.types)
        if self.date_from:
            pairs["from"] = self.date_from
        if self.date_to:
            pairs["to"] = self.date_to
        if self.min_importance is not None:
            pairs["min_importance"] = percent_parameter(self.min_importance)
        if self.q:
            pairs["q"] = self.q
        if self.size != DEFAULT_PAGE_SIZE:
            pairs["size"] = str(self.size)
        return pairs


def single(args, name: str) -> str | None:
    """The one value of `name`, None when absent or empty; repeated values are an error."""
    values = [v for v in args.getlist(name) if v.strip() != ""]
    if len(values) > 1:
        raise BadParameter(name, "give it once")
    return values[0].strip() if values else None


def shown(value: str, limit: int = 40) -> str:
    """A parameter value quoted for an error message, shortened when long."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


def whole_number(value: str) -> int | None:
    """The value as a whole number when it is 1 to 18 ASCII digits, else None."""
    return int(value) if WHOLE_NUMBER_PATTERN.match(value) else None


def parse_id(value: str | None, name: str) -> int | None:
    """A positive whole number identifier."""
    if value is None:
        return None
    number = whole_number(value)
    if number is None or number < 1:
        raise BadParameter(name, f"expected a positive whole number, got {shown(value)}")
    return number


def parse_date(value: str | None, name: str) -> str | None:
    """A date given as YYYY, YYYY-MM or YYYY-MM-DD (checked to exist)."""
    if value is None:
        return None
    match = DATE_PATTERN.match(value)
    if not match:
        raise BadParameter(name, f"expected a date as YYYY, YYYY-MM or YYYY-MM-DD, got {shown(value)}")
    year, month, day = (int(g) if g else None for g in match.groups())
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise BadParameter(name, f"expected a year from {MIN_YEAR} to {MAX_YEAR}, got {value!r}")
    try:
        dt.date(year, 1 if month is None else month, 1 if day is None else day)
    except ValueError:
        raise BadParameter(name, f"{value!r} is not a real date") from None
    return value


def period_start(value: str) -> str:
    """The first day of a YYYY[-MM[-DD]] period as YYYY-MM-DD."""
    parts = value.split("-")
    return "-".join([parts[0], parts[1] if len(parts) > 1 else "01", parts[2] if len(parts) > 2 else "01"])


def period_end_exclusive(value: str) -> str:
    """The first day after a YYYY[-MM[-DD]] period as YYYY-MM-DD."""
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 1:
        return f"{parts[0] + 1:04d}-01-01"
    if len(parts) == 2:
        year, month = parts
        return f"{year + month // 12:04d}-{month % 12 + 1:02d}-01"
    return (dt.date(*parts) + dt.timedelta(days=1)).isoformat()


def parse_percent(value: str | None, name: str) -> float | None:
    """A percentage 0–100 (a trailing % is allowed), returned as a fraction 0–1."""
    if value is None:
        return None
    text = value.rstrip("%").strip()
    try:
        number = float(text)
    except ValueError:
        raise BadParameter(name, f"expected a percentage from 0 to 100, got {shown(value)}") from None
    if not 0 <= number <= 100:
        raise BadParameter(name, f"expected a percentage from 0 to 100, got {shown(value)}")
    return number / 100


def percent_parameter(fraction: float) -> str:
    """A fraction 0–1 as the percentage parse_percent reads back ('70' for 0.7)."""
    return f"{fraction * 100:g}"


def parse_types(args) -> list[str]:
    """Event types from repeated or comma-separated `type` values, each in the taxonomy."""
    types: list[str] = []
    for raw in args.getlist("type"):
        for part in raw.split(","):
            part = part.strip().lower()
            if not part:
                continue
            if part not in EVENT_TYPES:
                raise BadParameter(
                    "type", f"unknown event type {part!r}; use one of {', '.join(EVENT_TYPES)}")
            if part not in types:
                types.append(part)
    return types


def fts_phrase_query(q: str | None) -> str | None:
    """A safe FTS5 query: every word of `q` quoted, all of them required."""
    if q is None:
        return None
    if len(q) > MAX_QUERY_LENGTH:
        raise BadParameter("q", f"search text longer than {MAX_QUERY_LENGTH} characters")
    words = WORD_PATTERN.findall(q)
    if not words:
        raise BadParameter("q", "search text has no words to look for")
    return " ".join('"' + w.replace('"', '""') + '"' for w in words[:20])


def parse_cursor(value: str | None) -> tuple[str, int] | None:
    """The `next` cursor of a timeline page: 'YYYY-MM-DD,ID' of the last event shown."""
    if value is None:
        return None
    match = CURSOR_PATTERN.match(value)
    if not match:
        raise BadParameter("next", f"expected a cursor like 2024-07-30,123, got {shown(value)}")
    return match.group(1), int(match.group(2))


def parse_size(value: str | None) -> int:
    """The page size: 1 to MAX_PAGE_SIZE events."""
    if value is None:
        return DEFAULT_PAGE_SIZE
    number = whole_number(value)
    if number is None or not 1 <= number <= MAX_PAGE_SIZE:
        raise BadParameter("size", f"expected a whole number from 1 to {MAX_PAGE_SIZE}, got {shown(value)}")
    return number


def parse_timeline_filters(args) -> TimelineFilters:
    """Validate the timeline filters: story, entity, type, from, to, min_importance, q, next, size."""
    filters = TimelineFilters(
        story=parse_id(single(args, "story"), "story"),
        entity=parse_id(single(args, "entity"), "entity"),
        types=parse_types(args),
        date_from=parse_date(single(args, "from"), "from"),
        date_to=parse_date(single(args, "to"), "to"),
        min_importance=parse_percent(single(args, "min_importance"), "min_importance"),
        q=single(args, "q"),
        cursor=parse_cursor(single(args, "next")),
        size=parse_size(single(args, "size")),
    )
    filters.fts_query = fts_phrase_query(filters.q)
    if filters.date_to:
        filters.to_exclusive = period_end_exclusive(filters.date_to)
    if filters.date_from and filters.to_exclusive and period_start(filters.date_from) >= filters.to_exclusive:
        raise BadParameter("from", f"{filters.date_from} is after to={filters.date_to}")
    return filters
