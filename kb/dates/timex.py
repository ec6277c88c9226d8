"""TIMEX3 values: their grammar and precision, and the publication dates they resolve against."""

from __future__ import annotations

import datetime as dt
import email.utils
import re

# EARLY/LATE are accepted from callers as synonyms of TimeML's START/END.
MOD_SYNONYMS = {"EARLY": "START", "LATE": "END"}


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


# --- precision ----------------------------------------------------------------------------

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
