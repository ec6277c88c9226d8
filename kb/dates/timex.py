"""TIMEX3 values: their grammar, precision, the period they name and an ISO date to sort by."""

from __future__ import annotations

import calendar
import datetime as dt
import email.utils
import re

TIMEX_TYPES = ("DATE", "TIME", "DURATION", "SET")
TIMEX_MODS = (
    "START", "MID", "END", "APPROX", "BEFORE", "AFTER", "ON_OR_BEFORE", "ON_OR_AFTER",
    "LESS_THAN", "MORE_THAN", "EQUAL_OR_LESS", "EQUAL_OR_MORE",
)
# EARLY/LATE are accepted from callers as synonyms of TimeML's START/END.
MOD_SYNONYMS = {"EARLY": "START", "LATE": "END"}
# The first and last month of each season (winter ends in February of the next year).
SEASONS = {"SP": (3, 5), "SU": (6, 8), "FA": (9, 11), "WI": (12, 14)}


# --- the value grammar ------------------------------------------------------------------

_YEAR = r"(?:\d{4}|XXXX)"
_DATE_PART = (
    rf"(?:{_YEAR}-(?:\d\d|XX)-(?:\d\d|XX)"
    rf"|{_YEAR}-W(?:\d\d|XX)(?:-(?:[1-7]|WE))?"
    rf"|{_YEAR}-(?:0[1-9]|1[0-2]|XX)"
    rf"|{_YEAR}-(?:Q[1-4]|H[12]|SP|SU|FA|WI)"
    rf"|{_YEAR}|\d{{3}}|XXX|\d{{2}}"
    r"|FY(?:\d{4}|XXXX)(?:-(?:Q[1-4]|H[12]))?)"
)
_TIME_PART = r"T(?:(?:[01]\d|2[0-4]):[0-5]\d(?::[0-5]\d)?|MO|AF|EV|NI|DT)"
_NUM = r"(?:\d+(?:\.\d+)?|X)"
_DURATION = rf"P(?:(?:{_NUM}(?:Y|Q|M|W|D|DE|CE))+(?:T(?:{_NUM}[HMS])+)?|T(?:{_NUM}[HMS])+)"
_VALUE_RE = re.compile(
    rf"(?:{_DATE_PART}(?:{_TIME_PART})?|{_DURATION}|PRESENT_REF|PAST_REF|FUTURE_REF)"
)


def is_valid_timex_value(value: str) -> bool:
    """True if `value` follows the TIMEX3 value grammar the tagger produces."""
    return isinstance(value, str) and _VALUE_RE.fullmatch(value) is not None


# --- precision and ordering -------------------------------------------------------------

_PRECISION_PATTERNS = (
    (r"(?:\d{4}|XXXX)-(?:\d\d|XX)-(?:\d\d|XX)", "day"),
    (r"(?:\d{4}|XXXX)-W(?:\d\d|XX)-(?:[1-7])", "day"),
    (r"(?:\d{4}|XXXX)-W(?:\d\d|XX)(?:-WE)?", "week"),
    (r"(?:\d{4}|XXXX)-(?:\d\d|XX)", "month"),
    (r"(?:FY)?(?:\d{4}|XXXX)-Q[1-4]", "quarter"),
    (r"(?:FY)?(?:\d{4}|XXXX)-H[12]", "half"),
    (r"(?:\d{4}|XXXX)-(?:SP|SU|FA|WI)", "season"),
    (r"(?:FY)?(?:\d{4}|XXXX)", "year"),
    (r"\d{3}|XXX", "decade"),
    (r"\d{2}", "century"),
)


def timex_precision(value: str) -> str:
    """The granularity of a date value: day, week, month, quarter, half, season, year, decade..."""
    if not value:
        return "unknown"
    v = value.split("T", 1)[0] if re.match(r"^(?:\d{4}|XXXX)-", value) else value
    for pattern, name in _PRECISION_PATTERNS:
        if re.fullmatch(pattern, v):
            return name
    return "unknown"


def _last_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _period_bounds(value: str) -> tuple[dt.date, dt.date] | None:
    """First and last day of the period a fully specified date value names."""
    v = value.split("T", 1)[0]
    v = v[2:] if v.startswith("FY") else v
    try:
        if m := re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", v):
            day = dt.date(int(m[1]), int(m[2]), int(m[3]))
            return day, day
        if m := re.fullmatch(r"(\d{4})-W(\d\d)(?:-(\d|WE))?", v):
            if m[3] and m[3] != "WE":
                day = dt.date.fromisocalendar(int(m[1]), int(m[2]), int(m[3]))
                return day, day
            first = dt.date.fromisocalendar(int(m[1]), int(m[2]), 6 if m[3] else 1)
            return first, dt.date.fromisocalendar(int(m[1]), int(m[2]), 7)
        if m := re.fullmatch(r"(\d{4})-(\d\d)", v):
            y, mo = int(m[1]), int(m[2])
            return dt.date(y, mo, 1), _last_day(y, mo)
        if m := re.fullmatch(r"(\d{4})-Q([1-4])", v):
            y, q = int(m[1]), int(m[2])
            last = 3 * q
            return dt.date(y, last - 2, 1), _last_day(y, last)
        if m := re.fullmatch(r"(\d{4})-H([12])", v):
            y = int(m[1])
            if m[2] == "1":
                return dt.date(y, 1, 1), dt.date(y, 6, 30)
            return dt.date(y, 7, 1), dt.date(y, 12, 31)
        if m := re.fullmatch(r"(\d{4})-(SP|SU|FA|WI)", v):
            y, first_month = int(m[1]), SEASONS[m[2]][0]
            first = dt.date(y, first_month, 1)
            end_year, end_month = (y + 1, 2) if m[2] == "WI" else (y, first_month + 2)
            return first, _last_day(end_year, end_month)
        if re.fullmatch(r"\d{4}", v):
            return dt.date(int(v), 1, 1), dt.date(int(v), 12, 31)
        if re.fullmatch(r"\d{3}", v):
            return dt.date(int(v) * 10, 1, 1), dt.date(int(v) * 10 + 9, 12, 31)
        if re.fullmatch(r"\d{2}", v):
            return dt.date(max(int(v) * 100, 1), 1, 1), dt.date(int(v) * 100 + 99, 12, 31)
    except ValueError:
        return None
    return None


def timex_sort_date(value: str | None, mod: str | None = None) -> str | None:
    """An ISO date for ordering: the period's first day, moved for MID/END; None if undated."""
    if not value:
        return None
    bounds = _period_bounds(value)
    if bounds is None:
        return None
    first, last = bounds
    mod = MOD_SYNONYMS.get(mod or "", mod)
    span = (last - first).days
    if mod == "MID":
        return (first + dt.timedelta(days=span // 2)).isoformat()
    if mod == "END":
        return (first + dt.timedelta(days=(2 * span) // 3)).isoformat()
    if mod in ("AFTER",):
        return (last + dt.timedelta(days=1)).isoformat()
    return first.isoformat()


# --- publication dates ------------------------------------------------------------------


def parse_iso_date(s: str | None) -> dt.date | None:
    """The local calendar date of a timestamp ("2026-04-15T08:10:00-07:00", RFC 2822...)."""
    if not s or not isinstance(s, str):
        return None
    s = s.strip()
    try:
        return dt.datetime.fromisoformat(s.replace("z", "Z")).date()
    except ValueError:
        pass
    if m := re.match(r"(\d{4})-(\d\d)-(\d\d)", s):
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    try:
        parsed = email.utils.parsedate_to_datetime(s)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.date() if parsed else None
