"""The rule table for TIMEX3 tagging and the loop that applies it to a text."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

from kb.dates.spans import usable_value
from kb.dates.timex import is_valid_timex_value
from kb.nlp.temporal import handlers as H
from kb.nlp.temporal import vocab as V
from kb.nlp.temporal.handlers import Result
from kb.nlp.temporal.resolve import Context
from kb.nlp.temporal.triggers import TriggerIndex

Handler = Callable[[re.Match, Context], Result | None]


@dataclass(frozen=True)
class Rule:
    """A named pattern, its handler, and the kind of span it yields (for merging)."""

    name: str
    regex: re.Pattern
    handler: Handler
    kind: str = "date"  # "date", "clock" (a time of day to attach to a date) or "other"
    anchored: bool = False  # resolved against the previous date, so run again in text order


@dataclass
class Candidate:
    start: int
    end: int
    rank: int
    rule: Rule
    match: re.Match
    result: Result


# --- the rule table ---------------------------------------------------------------------


@cache
def rules() -> tuple[Rule, ...]:
    """All rules, in priority order for equally long matches."""
    month = V.month_pattern()
    weekday = rf"(?-i:(?P<weekday>{V.alternation(V.weekdays())}))"
    day = r"(?P<day>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?\b"
    year = r"(?P<year>(?:19|20)\d\d)\b(?![.,-]\d)"
    dmod = r"(?:(?P<dmod>early|mid|late|the\s+(?:start|beginning|middle|end|close)\s+of)(?:-|\s+))"
    nums = V.alternation(V.numbers())
    num = rf"(?P<num>\d{{1,3}}(?:\.\d+)?|{nums})"
    units = V.alternation(V.units())
    unit = rf"(?P<unit>{units})"
    seasons = V.alternation(V.seasons())
    zones = V.alternation({z: 0 for z in V.time_zones()})
    yearref = r"(?:(?P<fy>fiscal(?:\s+year)?\s+|FY\s*)?(?P<year>(?:19|20)\d\d|'\d\d)|(?P<yrel>this|last|next|the)\s+(?P<fisc3>fiscal\s+)?year)"
    qmod = r"(?:(?P<dmod>early|mid|late|the\s+(?:start|beginning|middle|end|close)\s+of)\s+)?"
    adjectives = V.alternation(V.duration_adjectives())
    holidays = V.alternation(V.holidays())
    table = [
        ("iso", r"\b(?P<y>(?:19|20)\d\d)-(?P<mo>0[1-9]|1[0-2])(?:-(?P<d>[0-3]\d)(?:[T ](?P<hh>[01]\d|2[0-3]):(?P<mi>[0-5]\d)(?::\d\d)?)?)?(?![\d-])", H.handle_iso, "date", False),
        ("slash", r"\b(?P<mo>1[0-2]|0?[1-9])/(?P<d>3[01]|[12]\d|0?[1-9])/(?P<y>(?:19|20)\d\d|\d\d)\b(?!/)", H.handle_slash, "date", False),
        ("month_day", rf"\b(?:{weekday},?\s+)?{month}\s+{day}(?:,?\s+{year})?", H.handle_month_day, "date", False),
        ("day_month", rf"\b(?:{weekday},?\s+)?(?:the\s+)?{day}\s+(?:of\s+)?{month}(?:,?\s+{year})?", H.handle_month_day, "date", False),
        ("month_year", rf"\b{dmod}?{month}(?:\s+of|,)?\s+{year}", H.handle_month_year, "date", False),
        ("month_of_year", rf"\b{dmod}?{month}\s+of\s+(?P<yrel>this|last|next)\s+year\b", H.handle_month_year, "date", False),
        ("quarter_q", r"\bQ(?P<q>[1-4])\b(?:\s*(?:of\s+)?(?:(?P<fy>FY|fiscal(?:\s+year)?)\s*'?(?P<fyy>(?:19|20)?\d\d)|'(?P<yy>\d\d)|(?P<year>(?:19|20)\d\d))\b)?", H.handle_quarter, "date", False),
        ("quarter_fy", r"\b(?P<fy>FY)\s*'?(?P<fyy>(?:19|20)?\d\d)\s+Q(?P<q>[1-4])\b", H.handle_quarter, "date", False),
        ("quarter_words", rf"\b{qmod}(?:(?P<the>the)\s+)?(?:(?P<fisc>fiscal)\s+)?(?P<ord>first|second|third|fourth|final|1st|2nd|3rd|4th)(?:\s+|-)(?:(?P<fisc2>fiscal)\s+)?quarter\b(?:\s+of\s+{yearref}\b)?", H.handle_quarter, "date", False),
        ("half_h", r"\bH(?P<h>[12])\b(?:\s*(?:(?P<fy>FY)\s*'?(?P<fyy>(?:19|20)?\d\d)|'(?P<yy>\d\d)|(?P<year>(?:19|20)\d\d))\b)?", H.handle_half, "date", False),
        ("month_quarter", rf"\bthe\s+{month}\s+quarter\b", H.handle_month_quarter, "date", False),
        ("half_words", rf"\b{qmod}(?:the\s+)?(?P<ord>first|second|1st|2nd)(?:\s+|-)half\b(?:\s+of\s+{yearref}\b)?", H.handle_half, "date", False),
        ("fiscal", r"\b(?:the\s+)?(?:(?:fiscal(?:\s+year)?|FY)\s*'?(?P<fyy>(?:19|20)\d\d|\d\d)\b|(?P<year>(?:19|20)\d\d)\s+fiscal\s+year\b)", H.handle_fiscal, "date", False),
        ("fiscal_rel", r"\b(?P<frel>this|last|next|the\s+current|the\s+previous|the\s+next)\s+fiscal\s+year\b", H.handle_fiscal, "date", False),
        ("decade", r"\b(?:the\s+)?(?:(?P<dmod>early|mid|late)[\s-]+)?(?:(?P<cent>19|20)(?P<dec>\d)0s|'(?P<dec2>\d)0s)\b", H.handle_decade, "date", False),
        ("season", rf"\b(?:(?P<rel>this\s+past|this\s+coming|this|last|next|the\s+early|the\s+late|the|early|late|mid)[\s-]+)?(?P<season>{seasons})\b(?:\s+(?:of\s+)?{year})?", H.handle_season, "date", False),
        ("relative_unit", r"\b(?:(?P<pre>earlier|later|early|late|mid|(?:the\s+)?(?:start|beginning|middle|end|close)\s+of)[\s-]+)?(?P<rel>this\s+past|this\s+coming|this|last|next|the\s+current|the\s+previous|the\s+prior|the\s+coming|the\s+following|the\s+same|that|the\s+past|the\s+last|the\s+next)\s+(?P<unit>week|month|year|quarter|decade|century)\b", H.handle_relative_unit, "date", True),
        ("the_unit", r"\b(?P<pre>(?:the\s+)?(?:start|beginning|middle|end|close)\s+of|earlier\s+in|later\s+in)\s+the\s+(?P<unit>week|month|year|quarter|decade)\b", H.handle_the_unit, "date", True),
        ("holiday", rf"\b(?:(?P<weekend>the\s+)(?={holidays}\s+weekend))?(?-i:(?P<holiday>{holidays}))(?(weekend)\s+weekend\b)(?:,?\s+{year})?", H.handle_holiday, "date", False),
        ("weekend", r"\b(?:the|this)\s+weekend\b", H.handle_weekend, "date", False),
        ("ago", rf"\b(?:{num}\s+)?{unit}\s+(?P<dir>ago|earlier|later|before|after|from\s+now|prior)\b", H.handle_ago, "date", True),
        ("dayword", r"\b(?:(?P<pre>earlier|later|early|late)\s+)?(?P<w>the\s+day\s+before\s+yesterday|the\s+day\s+after\s+tomorrow|today|yesterday|tomorrow|tonight)(?:\s+(?P<pod>morning|afternoon|evening|night))?\b", H.handle_dayword, "date", False),
        ("part_of_day", r"\b(?P<rel>this|last)\s+(?P<pod>morning|afternoon|evening|night)\b", H.handle_part_of_day, "date", False),
        ("anchor_day", r"\b(?P<w>the\s+(?:next|following|previous|prior|same)\s+day|that\s+day)\b", H.handle_anchor_day, "date", True),
        ("weekday", rf"\b(?:(?P<rel>this\s+past|this\s+coming|last|next|this|early|late)\s+)?{weekday}(?P<plural>s)?\b(?:\s+(?P<pod>morning|afternoon|evening|night)\b)?", H.handle_weekday, "date", False),
        ("clock", rf"\b(?:(?P<approx>about|around|approximately|roughly)\s+)?(?:(?P<h>1[0-2]|0?[1-9])(?::(?P<mi>[0-5]\d))?\s*(?P<ap>a\.m\.|p\.m\.|am\b|pm\b)|(?P<h24>[01]?\d|2[0-3]):(?P<mi2>[0-5]\d)(?=\s+(?:{zones})\b)|(?P<noon>noon|midnight)\b)(?:\s+(?P<tz>{zones}|(?-i:[A-Z][a-z]{{1,15}})\s+time)\b)?", H.handle_clock, "clock", True),
        ("set", rf"\b(?P<q>every|each|per|once\s+a|twice\s+a|(?:\d+|{nums})\s+times\s+(?:a|per))\s+(?:(?P<num>other|\d{{1,3}}|{nums})\s+)?(?:(?P<unit>{units})|{weekday}|(?P<season>{seasons})\b|{month})", H.handle_set, "other", False),
        ("set_word", rf"\b(?P<w>{V.alternation(V.set_words())})\b", H.handle_set_word, "other", False),
        ("multi", r"\bmulti-?(?P<unit>year|month|week|decade|day)\b", H.handle_multi, "other", False),
        ("long", r"\b(?P<unit>year|month|week|day|decade)-?long\b", H.handle_long, "other", False),
        ("duration", rf"\b(?:(?P<dm>{V.alternation(V.duration_mods())})\s+)?(?:(?P<rel>the\s+(?:past|last|next|coming|previous|first|final|following|prior)|recent|coming)\s+)?(?:{num}[\s-]+(?:(?:{adjectives})\s+)?)?{unit}(?P<long>-long|-old)?\b", H.handle_duration, "other", False),
        ("month", rf"\b(?:(?P<rel>last|next|this)\s+|{dmod})?{month}", H.handle_month, "date", False),
        ("year", rf"\b(?:{dmod}|(?P<theyear>the\s+year\s+))?{year}", H.handle_year, "date", False),
        ("reference", rf"\b(?P<w>{V.alternation(V.reference_words())})\b", H.handle_reference, "date", False),
    ]
    return tuple(
        Rule(name, re.compile(pattern, re.IGNORECASE), handler, kind, anchored)
        for name, pattern, handler, kind, anchored in table
    )


@cache
def trigger_index() -> TriggerIndex:
    """The trigger strings of all rules, so each rule scans only the windows that can match."""
    return TriggerIndex([rule.regex for rule in rules()])


# --- running the rules ------------------------------------------------------------------

_GLUE_RE = re.compile(r"\s*(?:,\s*)?(?:(?:at|on|around|by)\s+)?$", re.IGNORECASE)


def find_timexes(
    text: str, published: dt.date | None, *, full_scan: bool = False
) -> list[tuple[int, int, str, str, str, str | None]]:
    """(start, end, text, type, value, mod) for every temporal expression, in text order.

    Each rule scans only the windows around its trigger strings; `full_scan` makes every
    rule scan the whole text (the same result, slower: kept to check the windows against).
    """
    if not text:
        return []
    ctx = Context(text=text, published=published, anchor=published)
    candidates: list[Candidate] = []
    all_windows = [None] * len(rules()) if full_scan else trigger_index().windows(text)
    for rank, (rule, windows) in enumerate(zip(rules(), all_windows, strict=True)):
        for match in _matches(rule.regex, text, windows):
            if match.end() == match.start():
                continue
            result = _run_handler(rule, match, ctx)
            if result is not None:
                candidates.append(Candidate(match.start(), match.end(), rank, rule, match, result))
    chosen = _select(candidates)
    chosen = _resolve_in_order(chosen, ctx)
    return _merge_clock_times(chosen, text)


def _matches(regex: re.Pattern, text: str, windows: list[tuple[int, int]] | None) -> Iterator[re.Match]:
    """The regex's matches in the whole text (windows None) or in each window."""
    if windows is None:
        yield from regex.finditer(text)
        return
    for start, end in windows:
        yield from regex.finditer(text, start, end)


def _run_handler(rule: Rule, match: re.Match, ctx: Context) -> Result | None:
    """The handler's result, or None if it falls off the calendar or breaks the value grammar."""
    try:
        result = rule.handler(match, ctx)
    except (OverflowError, ValueError):
        return None  # a publication date at the edge of the calendar (year 1 or 9999)
    except KeyError:
        return None  # a word matched only by case folding ("ſeconds") is not in the vocabulary
    if result is None or not is_valid_timex_value(result[1]) or not usable_value(result[1]):
        return None
    return result


def _select(candidates: list[Candidate]) -> list[Candidate]:
    """Longest match wins; for equal lengths, the rule earlier in the table wins."""
    candidates.sort(key=lambda c: (-(c.end - c.start), c.rank, c.start))
    taken: list[Candidate] = []
    occupied: list[tuple[int, int]] = []
    for cand in candidates:
        if any(cand.start < end and start < cand.end for start, end in occupied):
            continue
        taken.append(cand)
        occupied.append((cand.start, cand.end))
    taken.sort(key=lambda c: c.start)
    return taken


def _resolve_in_order(chosen: list[Candidate], ctx: Context) -> list[Candidate]:
    """Re-run anchored rules in text order, each seeing the last absolute date before it."""
    ctx.anchor = ctx.published
    ctx.anchor_value = None
    for cand in chosen:
        if cand.rule.anchored:
            result = _run_handler(cand.rule, cand.match, ctx)
            if result is not None:
                cand.result = result
        kind, value, _ = cand.result
        if kind in ("DATE", "TIME"):
            anchor = _anchor_from_value(value)
            if anchor is not None:
                ctx.anchor = anchor
                ctx.anchor_value = value.split("T", 1)[0]
                ctx.anchor_end = cand.end
            elif re.fullmatch(r"(?:FY)?\d{4}-Q[1-4]", value):
                ctx.anchor_value = value
    return chosen


def _anchor_from_value(value: str) -> dt.date | None:
    m = re.match(r"(\d{4})-(\d\d)-(\d\d)", value)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    m = re.fullmatch(r"(\d{4})-(\d\d)", value)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), 1)
        except ValueError:  # "0000-12": off the calendar, anchors nothing
            return None
    return None


def _merge_clock_times(chosen: list[Candidate], text: str) -> list[tuple]:
    """Join a clock time with the day next to it: "Tuesday at 9 a.m." is one TIME."""
    out: list[tuple] = []
    i = 0
    while i < len(chosen):
        cand = chosen[i]
        nxt = chosen[i + 1] if i + 1 < len(chosen) else None
        if nxt is not None and {cand.rule.kind, nxt.rule.kind} == {"clock", "date"}:
            gap = text[cand.end:nxt.start]
            clock, day = (cand, nxt) if cand.rule.kind == "clock" else (nxt, cand)
            day_val = day.result[1]
            if _GLUE_RE.fullmatch(gap) and re.fullmatch(r"(?:\d{4}|XXXX)-(?:\d\d|XX)-(?:\d\d|XX)|(?:\d{4}|XXXX)-W(?:\d\d|XX)-\d", day_val):
                clock_part = clock.result[1].split("T", 1)[1]
                value = f"{day_val}T{clock_part}"
                out.append((cand.start, nxt.end, text[cand.start:nxt.end], "TIME", value, day.result[2]))
                i += 2
                continue
        kind, value, mod = cand.result
        out.append((cand.start, cand.end, text[cand.start:cand.end], kind, value, mod))
        i += 1
    return out


