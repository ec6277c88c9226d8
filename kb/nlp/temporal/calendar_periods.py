"""Handlers for periods: quarters, halves, fiscal years, seasons and "this/next/last week"."""

from __future__ import annotations

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
from kb.nlp.temporal.resolve import Context, resolve_month, resolve_period, shift_by_unit


def _fiscal_year(m: re.Match, ctx: Context) -> int | None:
    """The fiscal year named in a match, or the publication year. TimeML values have no fiscal
    calendar: "fiscal 1989" is 1989 and "the fiscal first quarter" a calendar quarter."""
    groups = m.groupdict()
    year = year_from(groups.get("fyy")) or year_from(groups.get("year"))
    if year is None and ctx.published:
        year = ctx.published.year + {"last": -1, "next": 1}.get((groups.get("yrel") or "").lower(), 0)
    return year


def handle_quarter(m: re.Match, ctx: Context) -> Result | None:
    groups = m.groupdict()
    quarter = int(groups.get("q") or V.ordinals().get((groups.get("ord") or "").lower(), 4))
    mod = date_mod(groups.get("dmod"))
    fiscal = bool(groups.get("fy") or groups.get("fisc") or groups.get("fisc2") or groups.get("fisc3"))
    year = _fiscal_year(m, ctx) if fiscal else None  # "the fiscal first quarter": this year's
    # "the 1988 third quarter", "this year's third quarter": the year stands before the quarter
    year = year or year_from(groups.get("year")) or year_from(groups.get("yy"))
    year = year or year_from(groups.get("pyear"))
    if year is None and (groups.get("yrel") or groups.get("prel")):
        year = year_of_relative(groups.get("yrel") or groups["prel"], ctx)
    if year is None:
        # "fourth-quarter results" are reported after the quarter has ended
        relative = "completed" if _RESULTS_RE.match(text_after(ctx, m)) else ""
        value = resolve_period(ctx, "Q", quarter, m.start(), m.end(), relative=relative)
        if groups.get("ago") and value[:4].isdigit():  # "the year-ago third quarter"
            value = f"{int(value[:4]) - 1:04d}{value[4:]}"
        return "DATE", value, mod
    return "DATE", f"{year:04d}-Q{quarter}", mod


_RESULTS_RE = re.compile(r"\s+(?:\w+\s+)?(?:results|earnings|revenue|sales|profits?|report)\b", re.IGNORECASE)


_FIGURES_RE = re.compile(r"\s+(?:results|earnings|levels?|figures?|profits?|net|sales|revenue|loss)")


def handle_the_quarter(m: re.Match, ctx: Context) -> Result | None:
    """"the quarter", "the latest quarter", "the year-ago period" in an earnings report: the
    quarter mentioned last (nearby), or else the last one completed before publication."""
    ago = bool(m["ago"] or m["alone"] or m["ago2"])  # "the quarter a year ago" too
    if m["period"] and not (ago or m["latest"]):
        return None  # "the period" alone is any stretch of time
    if m["alone"] and not (_FIGURES_RE.match(text_after(ctx, m))
                           or re.search(r"\b(?:from|than|the)\s+$", text_before(ctx, m))):
        return None  # a bare "year-earlier" names a period only next to figures
    nearby = ctx.anchor_value if ctx.anchor_value and m.start() - ctx.anchor_end < 600 else None
    if nearby and re.fullmatch(r"\d{4}-Q[1-4]", nearby):
        quarter = nearby
    elif ctx.published is None:
        return "DATE", "XXXX-QX", None
    elif ago and m["alone"]:
        return "DATE", f"{ctx.published.year - 1:04d}", None
    else:
        quarter = shift_by_unit(ctx.published, "quarter", -1)
    if ago:
        return "DATE", f"{int(quarter[:4]) - 1:04d}{quarter[4:]}", None
    return "DATE", quarter, None


def handle_month_quarter(m: re.Match, ctx: Context) -> Result | None:
    month = V.months()[m["month"].rstrip(".")]
    value = resolve_month(ctx, month, "", m.start(), m.end())
    if value.startswith("XXXX"):
        return "DATE", f"XXXX-Q{(month - 1) // 3 + 1}", None
    return "DATE", f"{value[:4]}-Q{(month - 1) // 3 + 1}", None


def handle_half(m: re.Match, ctx: Context) -> Result | None:
    groups = m.groupdict()
    half = int(groups.get("h") or (1 if (groups.get("ord") or "").lower() in ("first", "1st") else 2))
    mod = date_mod(groups.get("dmod"))
    if re.match(r"\s+of\b", text_after(ctx, m)):
        return None  # "the second half of the game"
    year = _fiscal_year(m, ctx) if groups.get("fyy") or groups.get("fisc3") else None
    year = year or year_from(groups.get("year")) or year_from(groups.get("yy"))
    if year is None and groups.get("yrel"):
        year = year_of_relative(groups["yrel"], ctx)
    if year is None:
        before = text_before(ctx, m).lower()
        if groups.get("h") and not re.search(r"\b(?:in|the|by|during|for|through)\s+$", before):
            return None  # a bare "H1" is more often a visa or a chip than a half-year
        return "DATE", resolve_period(ctx, "H", half, m.start(), m.end()), mod
    return "DATE", f"{year:04d}-H{half}", mod


def handle_fiscal(m: re.Match, ctx: Context) -> Result | None:
    groups = m.groupdict()
    if groups.get("frel"):
        if ctx.published is None:
            return "DATE", "XXXX", None
        year = ctx.published.year
        year += {"last": -1, "previous": -1, "next": 1}.get(groups["frel"].split()[-1].lower(), 0)
        return "DATE", f"{year:04d}", None
    year = _fiscal_year(m, ctx)
    return "DATE", f"{year:04d}", None


def handle_season(m: re.Match, ctx: Context) -> Result | None:
    season = V.seasons()[m["season"].lower()]
    rel = re.sub(r"\s+", " ", (m["rel"] or "").lower()).strip()
    mod = {"early": "START", "late": "END", "mid": "MID", "the early": "START", "the late": "END"}.get(rel)
    if m["year"]:
        return "DATE", f"{int(m['year']):04d}-{season}", mod
    if not rel:
        before = text_before(ctx, m).lower()
        if not re.search(r"\b(?:in|during|by|over|since|until|through|this|last|next)\s+$", before):
            return None
    if rel == "the" and re.match(r"\s+of\b", text_after(ctx, m)):
        return None  # "the fall of Rome"
    return "DATE", resolve_period(ctx, season, 0, m.start(), m.end(), relative=rel), mod


# TimeML reads "the past year" and "the last week" as the calendar period before this one, a DATE;
# after "over", "for", "within"... the words name a stretch of time up to now, a DURATION, so that
# a sentence about what happened "over the past year" is not dated to last year.
_SPAN_BEFORE_RE = re.compile(r"\b(?:over|for|during|within|throughout|across)\s+$", re.IGNORECASE)
_SPAN_CODES = {"week": "P1W", "month": "P1M", "year": "P1Y", "quarter": "P1Q", "decade": "P10Y",
               "century": "P100Y"}
_REL_OFFSETS = {
    "the past": -1, "the last": -1, "the next": 1, "this": 0, "the current": 0, "last": -1,
    "this past": -1, "next": 1, "this coming": 1,
    "the coming": 1, "the previous": -1, "the prior": -1, "the following": 1, "the same": 0, "that": 0,
}


_ANCHORED = {"the previous", "the prior", "the following", "the same", "that"}


_QUOTE_BEFORE_RE = re.compile("[\"\u201c']\\s*$")


def handle_relative_unit(m: re.Match, ctx: Context) -> Result | None:
    if m["unit"][0].isupper() and m["rel"][0].isupper() and _QUOTE_BEFORE_RE.search(text_before(ctx, m, 3)):
        return None  # a title in quotes: ABC's "This Week"
    unit = m["unit"].lower()
    rel = re.sub(r"\s+", " ", m["rel"].lower())
    pre = re.sub(r"\s+", " ", (m["pre"] or "").lower()).strip()
    if rel in ("the past", "the last", "the next"):
        if pre:
            return None
        if _SPAN_BEFORE_RE.search(text_before(ctx, m, 12)) and unit in _SPAN_CODES:
            return "DURATION", _SPAN_CODES[unit], None
        if re.match(r"\s+or\s+(?:two|three)\b", text_after(ctx, m)):
            # "in the next year or two" names no period: TimeBank's "a year or two" is FUTURE_REF
            return "DATE", "FUTURE_REF" if rel == "the next" else "PAST_REF", None
    mod = {"early": "START", "late": "END", "mid": "MID", "the start of": "START", "start of": "START",
           "the beginning of": "START", "beginning of": "START", "the middle of": "MID",
           "middle of": "MID", "the end of": "END", "end of": "END", "the close of": "END",
           "close of": "END"}.get(pre)
    base = ctx.anchor if rel in _ANCHORED else ctx.published
    value = shift_by_unit(base, unit, _REL_OFFSETS[rel])
    return "DATE", value, mod


def handle_the_unit(m: re.Match, ctx: Context) -> Result | None:
    unit = m["unit"].lower()
    pre = re.sub(r"\s+", " ", m["pre"].lower())
    mod = None
    for word, code in (("start", "START"), ("beginning", "START"), ("middle", "MID"), ("end", "END"),
                       ("close", "END")):
        if word in pre:
            mod = code
    value = shift_by_unit(ctx.published, unit, 0)
    return "DATE", value, mod


_YEAR_ENDED_RE = re.compile(r"\s+end(?:ed|ing)\b", re.IGNORECASE)
_PREDICATE_BEFORE_RE = re.compile(r"\b(?:be|is|was|were|been)\s+$", re.IGNORECASE)
_SPAN_OF_BEFORE_RE = re.compile(r"\b(?:most|much|all|part|rest)\s+of\s+$", re.IGNORECASE)
_NOT_THE_YEAR_RE = re.compile(r"-|\s+(?:ago|earlier|before|after|later|\d)", re.IGNORECASE)


def handle_the_year(m: re.Match, ctx: Context) -> Result | None:
    """"the year ended June 30" is a span of a year (P1Y); "for the year", "the full year" is the
    year of publication, as TimeBank tags them."""
    after = text_after(ctx, m)
    if _NOT_THE_YEAR_RE.match(after):
        return None  # "the year before", "the year 2000" (another rule), "the year-end total"
    before = text_before(ctx, m, 12)
    if _PREDICATE_BEFORE_RE.search(before):
        return None  # "2026 would be the year the group proved itself" names a year given elsewhere
    if _YEAR_ENDED_RE.match(after) or _SPAN_OF_BEFORE_RE.search(before):
        return "DURATION", "P1Y", None  # "the year ended June 30", "most of the year"
    return "DATE", shift_by_unit(ctx.published, "year", 0), None
