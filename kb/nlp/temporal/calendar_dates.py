"""Handlers for calendar dates: ISO and slashed dates, month names, years, decades, holidays.

Each handler turns one regex match of data/temporal/patterns.toml into a TIMEX3
(type, value, mod), or rejects it with None.
"""

from __future__ import annotations

import datetime as dt
import re

from kb.nlp.temporal import vocab as V
from kb.nlp.temporal.match_context import (
    Result,
    date_mod,
    text_after,
    text_before,
    year_from,
    year_of_relative,
)
from kb.nlp.temporal.resolve import (
    Context,
    day_value,
    holiday_date,
    resolve_day_of_month,
    resolve_holiday,
    resolve_month,
    week_value,
    weekend_value,
)


def handle_iso(m: re.Match, ctx: Context) -> Result | None:
    year, month = int(m["y"]), int(m["mo"])
    if m["d"]:
        try:
            day = dt.date(year, month, int(m["d"]))
        except ValueError:
            return None
        if m["hh"]:
            return "TIME", f"{day.isoformat()}T{m['hh']}:{m['mi']}", None
        return "DATE", day.isoformat(), None
    return "DATE", f"{year:04d}-{month:02d}", None


def handle_slash(m: re.Match, ctx: Context) -> Result | None:
    try:
        day = dt.date(year_from(m["y"]), int(m["mo"]), int(m["d"]))
    except ValueError:
        return None
    return "DATE", day.isoformat(), None


def handle_month_day(m: re.Match, ctx: Context) -> Result | None:
    month = V.months()[m["month"].rstrip(".")]
    day = int(m["day"])
    year = year_from(m["year"])
    if m.groupdict().get("yrel"):  # "December 23 last year"
        year = year_of_relative(m["yrel"], ctx)
    if year:
        try:
            return "DATE", dt.date(year, month, day).isoformat(), None
        except ValueError:
            return None
    if day > 31:
        return None
    weekday = V.weekdays()[m["weekday"]] if m.groupdict().get("weekday") else None
    value = resolve_day_of_month(ctx, month, day, m.start(), m.end(), weekday)
    return ("DATE", value, None) if value else None


def handle_week_of(m: re.Match, ctx: Context) -> Result | None:
    found = handle_month_day(m, ctx)
    if found is None or not re.fullmatch(r"\d{4}-\d\d-\d\d", found[1]):
        return found
    return "DATE", week_value(dt.date.fromisoformat(found[1])), None


def handle_month_year(m: re.Match, ctx: Context) -> Result | None:
    month = V.months()[m["month"].rstrip(".")]
    groups = m.groupdict()
    year = year_from(groups.get("year")) or year_of_relative(groups.get("yrel"), ctx)
    if year is None:
        return "DATE", f"XXXX-{month:02d}", date_mod(m["dmod"])
    return "DATE", f"{year:04d}-{month:02d}", date_mod(m["dmod"])


_TIME_PREPOSITION_BEFORE_RE = re.compile(r"\b(?:in|since|by|until|till|through|during|from|before|after)\s+$",
                                         re.IGNORECASE)


def handle_month(m: re.Match, ctx: Context) -> Result | None:
    name = m["month"].rstrip(".")
    month = V.months()[name]
    mod = date_mod(m["dmod"])
    rel = (m["rel"] or "").lower()
    if name in V.ambiguous_months() and not (mod or rel):
        previous = re.search(r"(\S+)\s+$", text_before(ctx, m, 20))
        if not previous or previous[1].lower() not in V.month_preceders():
            return None
    if re.match(r"\s+[A-Z][a-z]", text_after(ctx, m, 3)) and not mod and not rel:
        following = re.match(r"\s+(\w+)", text_after(ctx, m))
        if (following and following[1] not in V.months() and following[1] not in V.weekdays()
                and (following[1] in ("Day", "Fools") or not _TIME_PREPOSITION_BEFORE_RE.search(
                    text_before(ctx, m, 12)))):
            return None  # "April Fools", "May Day": a name; "In November Jane Doe left" is a date
    return "DATE", resolve_month(ctx, month, rel, m.start(), m.end()), mod


_YEAR_WORD_BEFORE_RE = re.compile(r"\b(?:in|since|by|until|before|after|during|of)\s+$", re.IGNORECASE)


def handle_spelled_year(m: re.Match, ctx: Context) -> Result | None:
    """"nineteen ninety-six" is 1996, "the year two thousand" 2000, "January nineteen ninety" 1990-01."""
    after = text_after(ctx, m)
    if V.count_nouns_re().match(after) or re.match(r"\s*(?:dollars|cents|%|percent)", after):
        return None  # "nineteen ninety dollars", "two thousand people" are counts
    if m["thousand"] and not (m["theyear"] or m["month"] or m["ones2"]) and not _YEAR_WORD_BEFORE_RE.search(
            text_before(ctx, m, 12)):
        return None  # "two thousand" alone is a number unless "in", "by"... point at a year
    if m["century"]:
        ones = V.year_ones()[m["ones"].lower()] if m["ones"] else 0
        year = 1900 + V.year_tens()[m["tens"].lower()] + ones
    else:
        year = 2000 + (V.year_ones()[m["ones2"].lower()] if m["ones2"] else 0)
    if m["month"]:
        return "DATE", f"{year:04d}-{V.months()[m['month'].rstrip('.')]:02d}", None
    return "DATE", f"{year:04d}", None


_PRE_POST_RE = re.compile(r"\b(pre|post)-$", re.IGNORECASE)


def handle_year(m: re.Match, ctx: Context) -> Result | None:
    year = int(m["year"])
    mod = date_mod(m["dmod"])
    if prefix := _PRE_POST_RE.search(text_before(ctx, m, 6)):  # "post-1959 politics"
        mod = {"pre": "BEFORE", "post": "AFTER"}[prefix[1].lower()]
    if not (mod or m["theyear"]) and not _year_in_context(m, ctx):
        return None
    return "DATE", f"{year:04d}", mod


def _year_in_context(m: re.Match, ctx: Context) -> bool:
    """A bare four-digit number is a year unless the words around it make it a count or name."""
    before = text_before(ctx, m, 25)
    after = text_after(ctx, m, 25)
    if re.search(r"[$€£#]\s*$|\d[.,]$|[A-Za-z]-$|[A-Za-z]$", before) and not _PRE_POST_RE.search(before):
        return False
    if re.match(r"%|[.,]\d|\d|-[A-Za-z]|\s*(?:million|billion|thousand|percent)\b", after):
        return False
    if re.match(r"-\d", after) and not re.match(r"-(?:\d\d|(?:19|20)\d\d)\b", after):
        return False
    count_nouns = V.count_nouns_re()
    if count_nouns.match(after):
        return False
    previous = re.search(r"(\S+)\s+$", before)
    if previous:
        word = previous[1]
        if word.lower() in V.count_preceders():
            return False
        if word[0].isupper() and word[-1].isalpha() and word not in V.year_preceders():
            if word not in V.months() and word.rstrip(".") not in V.months() and word not in V.weekdays():
                return False  # "Windows 2000", "Build 2026": part of a name
    return True


_DECADE_WORDS = ("twenties", "thirties", "forties", "fifties", "sixties", "seventies", "eighties", "nineties")


def handle_decade(m: re.Match, ctx: Context) -> Result | None:
    if m["word"]:
        value = f"19{_DECADE_WORDS.index(m['word'].lower()) + 2}"  # "the nineties": 199
    elif m["cent"]:
        value = f"{m['cent']}{m['dec']}"
    else:
        digit = int(m["dec2"])
        value = f"{'20' if digit <= 2 else '19'}{digit}"
    return "DATE", value, date_mod(m["dmod"])


def handle_holiday(m: re.Match, ctx: Context) -> Result | None:
    name = next((h for h in V.holidays() if re.fullmatch(h.replace(" ", r"\s+"), m["holiday"])), None)
    if name is None:
        return None
    rule = V.holidays()[name]
    if m["year"]:
        day = holiday_date(rule, int(m["year"]))
    else:
        day = resolve_holiday(ctx, rule, m.start(), m.end())
    if day is None:
        return "DATE", "XXXX-XX-XX", None
    if m["weekend"]:
        return "DATE", weekend_value(day), None
    return "DATE", day_value(day), None
