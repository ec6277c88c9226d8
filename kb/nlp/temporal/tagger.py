"""Temporal expressions: TIMEX3 tagging, value helpers and the `kb_timex` spaCy component."""

from __future__ import annotations

import calendar
import datetime as dt
import email.utils
import re
from dataclasses import asdict, dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span

from kb.nlp.doc_text import doc_text

TIMEX_TYPES = ("DATE", "TIME", "DURATION", "SET")
TIMEX_MODS = (
    "START", "MID", "END", "APPROX", "BEFORE", "AFTER", "ON_OR_BEFORE", "ON_OR_AFTER",
    "LESS_THAN", "MORE_THAN", "EQUAL_OR_LESS", "EQUAL_OR_MORE",
)
# EARLY/LATE are accepted from callers as synonyms of TimeML's START/END.
MOD_SYNONYMS = {"EARLY": "START", "LATE": "END"}


@dataclass(frozen=True)
class Timex:
    """One temporal expression: character offsets into the text, TIMEX3 type, value and mod."""

    start: int
    end: int
    text: str
    type: str
    value: str | None
    mod: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def tag_timexes(text: str, published: dt.date | dt.datetime | None) -> list[Timex]:
    """Find the temporal expressions in `text`, resolving relative ones against `published`."""
    from kb.nlp.temporal.rules import find_timexes

    if isinstance(published, dt.datetime):
        published = published.date()
    return [Timex(*found) for found in find_timexes(text, published)]


# --- TIMEX3 value grammar -------------------------------------------------------------

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
    """True if `value` follows the TIMEX3 value grammar this module produces."""
    return isinstance(value, str) and _VALUE_RE.fullmatch(value) is not None


# --- helpers for ordering and display -------------------------------------------------

_SEASON_START = {"SP": 3, "SU": 6, "FA": 9, "WI": 12}
_SEASON_NAMES = {"SP": "spring", "SU": "summer", "FA": "fall", "WI": "winter"}
_PART_NAMES = {"MO": "morning", "AF": "afternoon", "EV": "evening", "NI": "night", "DT": "daytime"}
_UNIT_NAMES = {"Y": "year", "Q": "quarter", "M": "month", "W": "week", "D": "day",
               "DE": "decade", "CE": "century", "H": "hour", "S": "second"}


def timex_precision(value: str) -> str:
    """The granularity of a date value: day, week, month, quarter, half, season, year, decade..."""
    if not value:
        return "unknown"
    v = value.split("T", 1)[0] if re.match(r"^(?:\d{4}|XXXX)-", value) else value
    patterns = (
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
    for pattern, name in patterns:
        if re.fullmatch(pattern, v):
            return name
    return "unknown"


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
            return dt.date(y, mo, 1), dt.date(y, mo, calendar.monthrange(y, mo)[1])
        if m := re.fullmatch(r"(\d{4})-Q([1-4])", v):
            y, q = int(m[1]), int(m[2])
            last = 3 * q
            return dt.date(y, last - 2, 1), dt.date(y, last, calendar.monthrange(y, last)[1])
        if m := re.fullmatch(r"(\d{4})-H([12])", v):
            y = int(m[1])
            return (dt.date(y, 1, 1), dt.date(y, 6, 30)) if m[2] == "1" else (dt.date(y, 7, 1), dt.date(y, 12, 31))
        if m := re.fullmatch(r"(\d{4})-(SP|SU|FA|WI)", v):
            y, first_month = int(m[1]), _SEASON_START[m[2]]
            first = dt.date(y, first_month, 1)
            end_year, end_month = (y + 1, 2) if m[2] == "WI" else (y, first_month + 2)
            return first, dt.date(end_year, end_month, calendar.monthrange(end_year, end_month)[1])
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


_ORDINAL_WORDS = {"1": "first", "2": "second", "3": "third", "4": "fourth"}
_MOD_WORDS = {"START": "early ", "MID": "mid-", "END": "late ", "APPROX": "about ",
              "BEFORE": "before ", "AFTER": "after ", "ON_OR_BEFORE": "on or before ",
              "ON_OR_AFTER": "on or after ", "LESS_THAN": "less than ", "MORE_THAN": "more than ",
              "EQUAL_OR_LESS": "at most ", "EQUAL_OR_MORE": "at least "}


def _format_duration(value: str) -> str:
    parts = []
    date_part, _, time_part = value[1:].partition("T")
    for part, units in ((date_part, "DE|CE|Y|Q|M|W|D"), (time_part, "H|M|S")):
        for number, unit in re.findall(rf"(\d+(?:\.\d+)?|X)({units})", part):
            name = "minute" if unit == "M" and part is time_part else _UNIT_NAMES[unit]
            if number == "X":
                parts.append(f"{name}s")
            else:
                parts.append(f"{number} {name}" + ("" if number == "1" else "s"))
    return ", ".join(parts) or value


def _format_date(value: str) -> str:
    v, _, clock = value.partition("T")
    prefix = ""
    if v.startswith("FY"):
        v, prefix = v[2:], "fiscal "
    year = "" if v.startswith("XXXX") else v[:4]
    if m := re.fullmatch(r"(?:\d{4}|XXXX)-(\d\d)-(\d\d)", v):
        text = f"{calendar.month_name[int(m[1])]} {int(m[2])}" + (f", {year}" if year else "")
    elif m := re.fullmatch(r"(?:\d{4}|XXXX)-W(\d\d)-WE", v):
        text = f"weekend of week {int(m[1])}" + (f" of {year}" if year else "")
    elif m := re.fullmatch(r"(?:\d{4}|XXXX)-W(\d\d|XX)-([1-7])", v):
        text = calendar.day_name[int(m[2]) - 1]
        if m[1] != "XX":
            text += f" of week {int(m[1])}" + (f", {year}" if year else "")
    elif m := re.fullmatch(r"(?:\d{4}|XXXX)-W(\d\d)", v):
        text = f"week {int(m[1])}" + (f" of {year}" if year else "")
    elif m := re.fullmatch(r"(?:\d{4}|XXXX)-(\d\d)", v):
        text = calendar.month_name[int(m[1])] + (f" {year}" if year else "")
    elif m := re.fullmatch(r"(?:\d{4}|XXXX)-Q([1-4])", v):
        text = f"{prefix.strip() + ' ' if prefix else ''}Q{m[1]}" + (f" {year}" if year else "")
        prefix = ""
    elif m := re.fullmatch(r"(?:\d{4}|XXXX)-H([12])", v):
        text = f"{_ORDINAL_WORDS[m[1]]} half" + (f" of {prefix}{year}" if year else "")
        prefix = ""
    elif m := re.fullmatch(r"(?:\d{4}|XXXX)-(SP|SU|FA|WI)", v):
        text = _SEASON_NAMES[m[1]] + (f" {year}" if year else "")
    elif re.fullmatch(r"\d{4}|XXXX", v):
        text = year or "some year"
    elif re.fullmatch(r"\d{3}", v):
        text = f"the {v}0s"
    elif re.fullmatch(r"\d{2}", v):
        text = f"the {v}00s"
    else:
        return value
    if clock:
        text += ", " + (_PART_NAMES.get(clock) or clock)
    return prefix + text


def format_timex(value: str | None, mod: str | None = None) -> str:
    """Human display of a TIMEX3 value: "April 14, 2026", "mid-2024", "Q3 2025"..."""
    if not value:
        return ""
    refs = {"PRESENT_REF": "now", "PAST_REF": "in the past", "FUTURE_REF": "in the future"}
    if value in refs:
        return refs[value]
    try:
        text = _format_duration(value) if value.startswith("P") else _format_date(value)
    except (IndexError, KeyError, ValueError):
        return value  # outside the grammar: show it as it is
    mod = MOD_SYNONYMS.get(mod or "", mod)
    return _MOD_WORDS.get(mod or "", "") + text


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


# --- spaCy component ------------------------------------------------------------------

if not Doc.has_extension("published"):
    Doc.set_extension("published", default=None)
if not Doc.has_extension("timexes"):
    Doc.set_extension("timexes", default=None)


class TimexTagger:
    """Sets doc._.timexes (Timex objects) and doc.spans["timex"] from doc._.published."""

    def __init__(self, nlp: Language, name: str = "kb_timex", *, spans_key: str = "timex"):
        self.name = name
        self.spans_key = spans_key

    def __call__(self, doc: Doc) -> Doc:
        published = doc._.published
        if isinstance(published, str):
            published = parse_iso_date(published)
        timexes = tag_timexes(doc_text(doc), published)
        doc._.timexes = timexes
        spans: list[Span] = []
        for timex in timexes:
            span = doc.char_span(timex.start, timex.end, label=timex.type, alignment_mode="expand")
            if span is not None:
                spans.append(span)
        doc.spans[self.spans_key] = spans
        return doc


@Language.factory("kb_timex", default_config={"spans_key": "timex"})
def make_timex_tagger(nlp: Language, name: str, spans_key: str) -> TimexTagger:
    """Build the `kb_timex` component (rule-based; needs no data download)."""
    return TimexTagger(nlp, name, spans_key=spans_key)
