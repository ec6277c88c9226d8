"""TIMEX3 values as people say them: "April 14, 2026", "mid-2024", "Q3 2025", "3 years"."""

from __future__ import annotations

import calendar
import re

from kb.dates.timex import MOD_SYNONYMS

_SEASON_NAMES = {"SP": "spring", "SU": "summer", "FA": "fall", "WI": "winter"}
_PART_NAMES = {"MO": "morning", "AF": "afternoon", "EV": "evening", "NI": "night", "DT": "daytime"}
_UNIT_NAMES = {"Y": "year", "Q": "quarter", "M": "month", "W": "week", "D": "day",
               "DE": "decade", "CE": "century", "H": "hour", "S": "second"}
_ORDINAL_WORDS = {"1": "first", "2": "second", "3": "third", "4": "fourth"}
_MOD_WORDS = {"START": "early ", "MID": "mid-", "END": "late ", "APPROX": "about ",
              "BEFORE": "before ", "AFTER": "after ", "ON_OR_BEFORE": "on or before ",
              "ON_OR_AFTER": "on or after ", "LESS_THAN": "less than ", "MORE_THAN": "more than ",
              "EQUAL_OR_LESS": "at most ", "EQUAL_OR_MORE": "at least "}
_REFERENCES = {"PRESENT_REF": "now", "PAST_REF": "in the past", "FUTURE_REF": "in the future"}


def _duration_label(value: str) -> str:
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


def _date_label(value: str) -> str:
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
    if value in _REFERENCES:
        return _REFERENCES[value]
    try:
        text = _duration_label(value) if value.startswith("P") else _date_label(value)
    except (IndexError, KeyError, ValueError):
        return value  # outside the grammar: show it as it is
    mod = MOD_SYNONYMS.get(mod or "", mod)
    return _MOD_WORDS.get(mod or "", "") + text


def format_date(value: str | None, mod: str | None = None) -> str:
    """A TIMEX3 date for people ("April 14, 2026", "mid-2024"); "undated" when there is none."""
    if not value:
        return "undated"
    try:
        return format_timex(value, mod)
    except (ValueError, TypeError):
        return value
