"""Calendar spans of TIMEX3 date values, for matching and ordering event dates."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from kb.core.time import FIRST_YEAR, LAST_YEAR

# Smaller is more precise; used to pick the most precise of several compatible dates.
PRECISION_RANK = {
    "day": 0, "week": 1, "month": 2, "season": 3, "quarter": 3, "half": 4, "year": 5,
    "decade": 6, "century": 7,
}
SEASONS = {"SP": (3, 5), "SU": (6, 8), "FA": (9, 11), "WI": (12, 14)}

# Years the knowledge base reasons with: a date outside them counts as unknown. The claim
# ledger and stories add and subtract windows of days to dates, which must stay inside
# Python's calendar (years 1 to 9999); no news is about years outside these either.
_YEAR_PART = re.compile(r"(?:FY)?(\d{4})(?![\d])")

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:T.*)?$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_HALF = re.compile(r"^(\d{4})-H([12])$")
_SEASON = re.compile(r"^(\d{4})-(SP|SU|FA|WI)$")
_YEAR = re.compile(r"^(\d{4})$")
_DECADE = re.compile(r"^(\d{3})$")
_CENTURY = re.compile(r"^(\d{2})$")


@dataclass(frozen=True)
class DateSpan:
    """The calendar days a date value covers (inclusive), and its granularity."""

    start: dt.date
    end: dt.date
    precision: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _month_end(year: int, month: int) -> dt.date:
    """The last day of a month (month may run past 12 into the next year)."""
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    first_next = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def _base_span(value: str) -> DateSpan | None:
    """The span of an unmodified TIMEX3 value, or None for references and unknown forms."""
    try:
        if m := _DAY.match(value):
            day = dt.date(int(m[1]), int(m[2]), int(m[3]))
            return DateSpan(day, day, "day")
        if m := _WEEK.match(value):
            start = dt.date.fromisocalendar(int(m[1]), int(m[2]), 1)
            return DateSpan(start, start + dt.timedelta(days=6), "week")
        if m := _MONTH.match(value):
            year, month = int(m[1]), int(m[2])
            return DateSpan(dt.date(year, month, 1), _month_end(year, month), "month")
        if m := _QUARTER.match(value):
            year, first = int(m[1]), 3 * int(m[2]) - 2
            return DateSpan(dt.date(year, first, 1), _month_end(year, first + 2), "quarter")
        if m := _HALF.match(value):
            year, first = int(m[1]), 6 * int(m[2]) - 5
            return DateSpan(dt.date(year, first, 1), _month_end(year, first + 5), "half")
        if m := _SEASON.match(value):
            year = int(m[1])
            first, last = SEASONS[m[2]]
            return DateSpan(dt.date(year, first, 1), _month_end(year, last), "season")
        if m := _YEAR.match(value):
            year = int(m[1])
            return DateSpan(dt.date(year, 1, 1), dt.date(year, 12, 31), "year")
        if m := _DECADE.match(value):
            year = int(m[1]) * 10
            return DateSpan(dt.date(year, 1, 1), dt.date(year + 9, 12, 31), "decade")
        if m := _CENTURY.match(value):
            year = int(m[1]) * 100
            return DateSpan(dt.date(max(year, 1), 1, 1), dt.date(year + 99, 12, 31), "century")
    except ValueError:
        return None
    return None


def usable_value(value: str) -> bool:
    """Whether a TIMEX3 value names no period outside FIRST_YEAR..LAST_YEAR (values without a
    calendar part, such as XXXX-XX-XX, durations or PAST_REF, are usable)."""
    if m := _YEAR_PART.match(value):
        first = last = int(m[1])
    elif _DECADE.fullmatch(value):
        first = int(value) * 10
        last = first + 9
    elif _CENTURY.fullmatch(value):
        first = int(value) * 100
        last = first + 99
    else:
        return True
    return FIRST_YEAR <= first and last <= LAST_YEAR


def _usable(span: DateSpan) -> DateSpan | None:
    return span if FIRST_YEAR <= span.start.year and span.end.year <= LAST_YEAR else None


@lru_cache(maxsize=65536)  # spans are immutable; the ledger asks for the same few dates very often
def date_span(value: str | None, mod: str | None = None) -> DateSpan | None:
    """The span of a TIMEX3 date value narrowed (or widened) by its mod, or None.

    EARLY/MID/LATE take a third of the span, START/END a tenth, APPROX widens it by a
    tenth on each side; BEFORE/AFTER keep the span (the claim is about that period).
    """
    if not value:
        return None
    base = _base_span(value.strip())
    base = _usable(base) if base is not None else None
    if base is None or not mod or base.precision == "day":
        return base
    length = base.days
    mod = mod.upper()
    if mod in ("EARLY", "MID", "LATE"):
        third = max(length // 3, 1)
        offset = {"EARLY": 0, "MID": third, "LATE": length - third}[mod]
        start = base.start + dt.timedelta(days=offset)
        return DateSpan(start, start + dt.timedelta(days=third - 1), base.precision)
    if mod in ("START", "END"):
        tenth = max(length // 10, 1)
        if mod == "START":
            return DateSpan(base.start, base.start + dt.timedelta(days=tenth - 1), base.precision)
        return DateSpan(base.end - dt.timedelta(days=tenth - 1), base.end, base.precision)
    if mod == "APPROX":
        tenth = dt.timedelta(days=max(length // 10, 1))
        return DateSpan(base.start - tenth, base.end + tenth, base.precision)
    return base


def spans_compatible(a: DateSpan, b: DateSpan, day_tolerance_days: int = 1) -> bool:
    """Whether two dates can describe the same fact: equal, or one contains the other."""
    if a.precision == "day" and b.precision == "day":
        return abs((a.start - b.start).days) <= day_tolerance_days
    # a contains b or b contains a, within the tolerance
    slack = dt.timedelta(days=day_tolerance_days)
    return (a.start - slack <= b.start and b.end <= a.end + slack) or (
        b.start - slack <= a.start and a.end <= b.end + slack
    )


def more_precise(a: DateSpan, b: DateSpan) -> bool:
    """Whether `a` pins the date down more narrowly than `b`."""
    return (PRECISION_RANK[a.precision], a.days) < (PRECISION_RANK[b.precision], b.days)
