"""Regex rules that find temporal expressions and resolve them to TIMEX3 values."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from kb import temporal_vocab as V
from kb.temporal_resolve import (
    Context,
    add_months,
    day_value,
    decade_value,
    half_value,
    holiday_date,
    month_value,
    quarter_value,
    resolve_day_of_month,
    resolve_holiday,
    resolve_month,
    resolve_period,
    resolve_weekday,
    shift_by_unit,
    shift_value,
    tense_near,
    week_value,
    weekend_value,
)

Result = tuple[str, str, str | None]  # (type, value, mod)
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


# --- handlers ---------------------------------------------------------------------------


def _int(s: str | None) -> int | None:
    return int(s) if s else None


def _year_from(text: str | None) -> int | None:
    """A year from "2025", "'25" or "25"."""
    if not text:
        return None
    digits = text.lstrip("'")
    year = int(digits)
    return year + 2000 if len(digits) == 2 else year


def _date_mod(word: str | None) -> str | None:
    if not word:
        return None
    word = re.sub(r"\s+", " ", word.lower()).rstrip("-").strip()
    return V.date_mods().get(word)


def _before(ctx: Context, m: re.Match, n: int = 30) -> str:
    return ctx.text[max(0, m.start() - n):m.start()]


def _after(ctx: Context, m: re.Match, n: int = 30) -> str:
    return ctx.text[m.end():m.end() + n]


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
        day = dt.date(_year_from(m["y"]), int(m["mo"]), int(m["d"]))
    except ValueError:
        return None
    return "DATE", day.isoformat(), None


def handle_month_day(m: re.Match, ctx: Context) -> Result | None:
    month = V.months()[m["month"].rstrip(".")]
    day = int(m["day"])
    year = _year_from(m["year"])
    if year:
        try:
            return "DATE", dt.date(year, month, day).isoformat(), None
        except ValueError:
            return None
    if day > 31:
        return None
    weekday = V.weekdays()[m["weekday"]] if m["weekday"] else None
    value = resolve_day_of_month(ctx, month, day, m.start(), m.end(), weekday)
    return ("DATE", value, None) if value else None


def handle_month_year(m: re.Match, ctx: Context) -> Result | None:
    month = V.months()[m["month"].rstrip(".")]
    groups = m.groupdict()
    year = _year_from(groups.get("year")) or _year_of_relative(groups.get("yrel"), ctx)
    if year is None:
        return "DATE", f"XXXX-{month:02d}", _date_mod(m["dmod"])
    return "DATE", f"{year:04d}-{month:02d}", _date_mod(m["dmod"])


def handle_month(m: re.Match, ctx: Context) -> Result | None:
    name = m["month"].rstrip(".")
    month = V.months()[name]
    mod = _date_mod(m["dmod"])
    rel = (m["rel"] or "").lower()
    if name in V.ambiguous_months() and not (mod or rel):
        previous = re.search(r"(\S+)\s+$", _before(ctx, m, 20))
        if not previous or previous[1].lower() not in V.month_preceders():
            return None
    if re.match(r"\s+[A-Z][a-z]", _after(ctx, m, 3)) and not mod and not rel:
        following = re.match(r"\s+(\w+)", _after(ctx, m))
        if following and following[1] not in V.months() and following[1] not in V.weekdays():
            return None  # "April Fools", "May Day": a name, not a date
    return "DATE", resolve_month(ctx, month, rel, m.start(), m.end()), mod


def handle_year(m: re.Match, ctx: Context) -> Result | None:
    year = int(m["year"])
    mod = _date_mod(m["dmod"])
    if not (mod or m["theyear"]) and not _year_in_context(m, ctx):
        return None
    return "DATE", f"{year:04d}", mod


def _year_in_context(m: re.Match, ctx: Context) -> bool:
    """A bare four-digit number is a year unless the words around it make it a count or name."""
    before = _before(ctx, m, 25)
    after = _after(ctx, m, 25)
    if re.search(r"[$€£#]\s*$|\d[.,]$|[A-Za-z]-$|[A-Za-z]$", before):
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


def handle_decade(m: re.Match, ctx: Context) -> Result | None:
    if m["cent"]:
        value = f"{m['cent']}{m['dec']}"
    else:
        digit = int(m["dec2"])
        value = f"{'20' if digit <= 2 else '19'}{digit}"
    return "DATE", value, _date_mod(m["dmod"])


def _fiscal_year(m: re.Match, ctx: Context) -> int | None:
    """The fiscal year named in a match, or the one the publication date falls in."""
    groups = m.groupdict()
    year = _year_from(groups.get("fyy")) or _year_from(groups.get("year"))
    if year is None and ctx.published:
        start = V.fiscal_start_month()
        year = ctx.published.year + (1 if start > 1 and ctx.published.month >= start else 0)
        year += {"last": -1, "next": 1}.get((groups.get("yrel") or "").lower(), 0)
    return year


def _year_of_relative(word: str | None, ctx: Context) -> int | None:
    if ctx.published is None:
        return None
    offset = {"this": 0, "the": 0, "last": -1, "next": 1}.get((word or "").lower(), 0)
    return ctx.published.year + offset


def handle_quarter(m: re.Match, ctx: Context) -> Result | None:
    groups = m.groupdict()
    quarter = int(groups.get("q") or V.ordinals().get((groups.get("ord") or "").lower(), 4))
    mod = _date_mod(groups.get("dmod"))
    fiscal = bool(groups.get("fy") or groups.get("fisc") or groups.get("fisc2") or groups.get("fisc3"))
    if fiscal:
        year = _fiscal_year(m, ctx)
        return "DATE", f"FY{year if year else 'XXXX'}-Q{quarter}", mod
    year = _year_from(groups.get("year")) or _year_from(groups.get("yy"))
    if year is None and groups.get("yrel"):
        year = _year_of_relative(groups["yrel"], ctx)
    if year is None:
        # "fourth-quarter results" are reported after the quarter has ended
        relative = "completed" if _RESULTS_RE.match(_after(ctx, m)) else ""
        return "DATE", resolve_period(ctx, "Q", quarter, m.start(), m.end(), relative=relative), mod
    return "DATE", f"{year:04d}-Q{quarter}", mod


_RESULTS_RE = re.compile(r"\s+(?:\w+\s+)?(?:results|earnings|revenue|sales|profits?|report)\b", re.IGNORECASE)


def handle_month_quarter(m: re.Match, ctx: Context) -> Result | None:
    month = V.months()[m["month"].rstrip(".")]
    value = resolve_month(ctx, month, "", m.start(), m.end())
    if value.startswith("XXXX"):
        return "DATE", f"XXXX-Q{(month - 1) // 3 + 1}", None
    return "DATE", f"{value[:4]}-Q{(month - 1) // 3 + 1}", None


def handle_half(m: re.Match, ctx: Context) -> Result | None:
    groups = m.groupdict()
    half = int(groups.get("h") or (1 if (groups.get("ord") or "").lower() in ("first", "1st") else 2))
    mod = _date_mod(groups.get("dmod"))
    if re.match(r"\s+of\b", _after(ctx, m)):
        return None  # "the second half of the game"
    if groups.get("fy") or groups.get("fisc3"):
        year = _fiscal_year(m, ctx)
        return "DATE", f"FY{year if year else 'XXXX'}-H{half}", mod
    year = _year_from(groups.get("year")) or _year_from(groups.get("yy"))
    if year is None and groups.get("yrel"):
        year = _year_of_relative(groups["yrel"], ctx)
    if year is None:
        if groups.get("h") and not re.search(r"\b(?:in|the|by|during|for|through)\s+$", _before(ctx, m).lower()):
            return None  # a bare "H1" is more often a visa or a chip than a half-year
        return "DATE", resolve_period(ctx, "H", half, m.start(), m.end()), mod
    return "DATE", f"{year:04d}-H{half}", mod


def handle_fiscal(m: re.Match, ctx: Context) -> Result | None:
    groups = m.groupdict()
    if groups.get("frel"):
        if ctx.published is None:
            return "DATE", "FYXXXX", None
        start = V.fiscal_start_month()
        year = ctx.published.year + (1 if start > 1 and ctx.published.month >= start else 0)
        year += {"last": -1, "previous": -1, "next": 1}.get(groups["frel"].split()[-1].lower(), 0)
        return "DATE", f"FY{year}", None
    year = _fiscal_year(m, ctx)
    return "DATE", f"FY{year:04d}", None


def handle_season(m: re.Match, ctx: Context) -> Result | None:
    season = V.seasons()[m["season"].lower()]
    rel = re.sub(r"\s+", " ", (m["rel"] or "").lower()).strip()
    mod = {"early": "START", "late": "END", "mid": "MID", "the early": "START", "the late": "END"}.get(rel)
    if m["year"]:
        return "DATE", f"{int(m['year']):04d}-{season}", mod
    if not rel:
        if not re.search(r"\b(?:in|during|by|over|since|until|through|this|last|next)\s+$", _before(ctx, m).lower()):
            return None
    if rel == "the" and re.match(r"\s+of\b", _after(ctx, m)):
        return None  # "the fall of Rome"
    return "DATE", resolve_period(ctx, season, 0, m.start(), m.end(), relative=rel), mod


_REL_OFFSETS = {
    "this": 0, "the current": 0, "last": -1, "this past": -1, "next": 1, "this coming": 1,
    "the coming": 1, "the previous": -1, "the prior": -1, "the following": 1, "the same": 0, "that": 0,
}
_ANCHORED = {"the previous", "the prior", "the following", "the same", "that"}


def handle_relative_unit(m: re.Match, ctx: Context) -> Result | None:
    unit = m["unit"].lower()
    rel = re.sub(r"\s+", " ", m["rel"].lower())
    pre = re.sub(r"\s+", " ", (m["pre"] or "").lower()).strip()
    if rel in ("the past", "the last", "the next"):
        if pre:
            return None
        code = {"week": "P1W", "month": "P1M", "year": "P1Y", "quarter": "P1Q", "decade": "P1DE",
                "century": "P1CE", "weekend": None}[unit]
        return ("DURATION", code, None) if code else None
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
    for word, code in (("start", "START"), ("beginning", "START"), ("middle", "MID"), ("end", "END"), ("close", "END")):
        if word in pre:
            mod = code
    value = shift_by_unit(ctx.published, unit, 0)
    return "DATE", value, mod


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


def handle_weekend(m: re.Match, ctx: Context) -> Result | None:
    tense = tense_near(ctx, m.start(), m.end())
    if ctx.published is None:
        return "DATE", "XXXX-WXX-WE", None
    published = ctx.published
    if tense == "past":
        days_back = (published.isoweekday() - 6) % 7 if published.isoweekday() < 6 else 0
        day = published - dt.timedelta(days=days_back if published.isoweekday() >= 6 else published.isoweekday() + 1)
    else:
        day = published + dt.timedelta(days=max(0, 6 - published.isoweekday()))
    return "DATE", weekend_value(day), None


_DAY_OFFSETS = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1,
                "the day before yesterday": -2, "the day after tomorrow": 2}


def handle_dayword(m: re.Match, ctx: Context) -> Result | None:
    word = re.sub(r"\s+", " ", m["w"].lower())
    if word == "today" and re.search(r"\bUSA\s+$", _before(ctx, m)):
        return None
    if ctx.published is None:
        base = "XXXX-XX-XX"
    else:
        base = day_value(ctx.published + dt.timedelta(days=_DAY_OFFSETS[word]))
    pre = (m["pre"] or "").lower()
    mod = {"early": "START", "late": "END"}.get(pre)
    part = V.parts_of_day().get((m["pod"] or "").lower())
    if word == "tonight":
        part = "NI"
    if part:
        return "TIME", f"{base}T{part}", mod
    return "DATE", base, mod


def handle_part_of_day(m: re.Match, ctx: Context) -> Result | None:
    rel = m["rel"].lower()
    part = V.parts_of_day()[m["pod"].lower()]
    if rel == "last" and part != "NI":
        return None
    offset = -1 if rel == "last" else 0
    base = "XXXX-XX-XX" if ctx.published is None else day_value(ctx.published + dt.timedelta(days=offset))
    return "TIME", f"{base}T{part}", None


def handle_anchor_day(m: re.Match, ctx: Context) -> Result | None:
    word = re.sub(r"\s+", " ", m["w"].lower())
    offset = 0
    if any(w in word for w in ("next", "following", "after")):
        offset = 1
    elif any(w in word for w in ("previous", "prior", "before")):
        offset = -1
    if ctx.anchor is None:
        return "DATE", "XXXX-XX-XX", None
    return "DATE", day_value(ctx.anchor + dt.timedelta(days=offset)), None


def handle_weekday(m: re.Match, ctx: Context) -> Result | None:
    weekday = V.weekdays()[m["weekday"]]
    if m["plural"]:
        if not re.search(r"\b(?:on|every|most|some|many)\s+$", _before(ctx, m).lower()):
            return None
        return "SET", f"XXXX-WXX-{weekday}", None
    following = re.match(r"\s+([A-Z]\w+)", _after(ctx, m))
    if following and following[1] in V.weekday_name_followers():
        return None
    if re.search(r"\b(?:Patch|Super|Black|Cyber|Ash|Good|Holy|Easter|Palm)\s+$", _before(ctx, m)):
        return None
    rel = re.sub(r"\s+", " ", (m["rel"] or "").lower())
    mod = None
    if rel.startswith("early"):
        rel, mod = "", "START"
    elif rel.startswith("late"):
        rel, mod = "", "END"
    value = resolve_weekday(ctx, weekday, rel, m.start(), m.end())
    part = V.parts_of_day().get((m["pod"] or "").lower())
    if part:
        return "TIME", f"{value}T{part}", mod
    return "DATE", value, mod


def handle_clock(m: re.Match, ctx: Context) -> Result | None:
    groups = m.groupdict()
    if groups.get("noon"):
        clock = "12:00" if groups["noon"].lower() == "noon" else "24:00"
    else:
        hour = int(groups.get("h") or groups.get("h24"))
        minute = int(groups.get("mi") or groups.get("mi2") or 0)
        ampm = (groups.get("ap") or "").lower().replace(".", "")
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        clock = f"{hour:02d}:{minute:02d}"
    same_sentence = not re.search(r"[.!?]\s", ctx.text[ctx.anchor_end:m.start()])
    day = ctx.anchor if same_sentence and ctx.anchor_value and len(ctx.anchor_value) >= 10 else ctx.published
    base = "XXXX-XX-XX" if day is None else day_value(day)
    mod = "APPROX" if groups.get("approx") else None
    return "TIME", f"{base}T{clock}", mod


def handle_ago(m: re.Match, ctx: Context) -> Result | None:
    unit = V.units()[m["unit"].lower()]
    number = V.numbers().get((m["num"] or "").lower(), m["num"]) if m["num"] else "X"
    direction = m["dir"].lower()
    if unit.startswith("T"):
        return None
    if direction in ("before", "after") and not re.match(r"\s*(?:[,.;:)]|$)", _after(ctx, m, 3)):
        return None
    if number == "X":
        if direction == "ago":
            return "DATE", "PAST_REF", None
        return None
    sign = -1 if direction in ("ago", "earlier", "before", "prior") else 1
    amount = float(number)
    if amount != int(amount):
        return None
    if direction in ("ago", "from now"):
        return "DATE", shift_by_unit(ctx.published, unit, sign * int(amount), by_amount=True), None
    kept = shift_value(ctx.anchor_value, unit, sign * int(amount))
    if kept:
        return "DATE", kept, None
    return "DATE", shift_by_unit(ctx.anchor, unit, sign * int(amount), by_amount=True), None


def handle_set(m: re.Match, ctx: Context) -> Result | None:
    groups = m.groupdict()
    if groups.get("weekday"):
        return "SET", f"XXXX-WXX-{V.weekdays()[groups['weekday']]}", None
    if groups.get("month"):
        return "SET", f"XXXX-{V.months()[groups['month'].rstrip('.')]:02d}", None
    if groups.get("season"):
        return "SET", f"XXXX-{V.seasons()[groups['season'].lower()]}", None
    unit = V.units()[groups["unit"].lower()]
    number = (groups.get("num") or "").lower()
    count = "2" if number == "other" else V.numbers().get(number, number) or "1"
    if groups["q"].lower() == "per" and not _MONEY_BEFORE_RE.search(_before(ctx, m, 25)):
        return None  # "miles per hour" is a rate, not a recurring time
    return "SET", _duration_code(count, unit), None


_MONEY_BEFORE_RE = re.compile(
    r"(?:[$€£]\s?\d[\d,.]*(?:\s*(?:million|billion|trillion|thousand|k|m|bn))?|\d\s*(?:dollars|euros|pounds|cents)"
    r"|\b(?:once|twice|times))\s*$",
    re.IGNORECASE,
)


def handle_set_word(m: re.Match, ctx: Context) -> Result | None:
    return "SET", V.set_words()[m["w"].lower()], None


def _duration_code(count: str, unit: str) -> str:
    return f"PT{count}{unit[1:]}" if unit.startswith("T") else f"P{count}{unit}"


def handle_duration(m: re.Match, ctx: Context) -> Result | None:
    unit_word = m["unit"].lower()
    unit = V.units()[unit_word]
    raw_num = (m["num"] or "").lower()
    rel = re.sub(r"\s+", " ", (m["rel"] or "").lower())
    plural = unit_word.endswith("s") or unit_word == "centuries"
    mod = V.duration_mods().get(re.sub(r"\s+", " ", (m["dm"] or "").lower()))
    after = _after(ctx, m)
    if re.match(r"-[a-z]", after) or (raw_num in ("a", "an") and re.match(r"\s+(?:in\s+which|when|that|where)\b", after)):
        return None  # "a year-end memo", "a year in which sales doubled"
    if not raw_num:
        if not plural:
            return None
        before = _before(ctx, m).lower()
        if re.search(r"\b(?:the|these|those|their|its|his|her|our)\s+$", before):
            return None
        if not (rel or m["long"] or re.search(r"\b(?:for|in|over|of|within|after)\s+$", before)
                or re.match(r"\s+of\s", after)):
            return None
        count = "X"
    else:
        count = V.numbers().get(raw_num, raw_num)
        if count == "1" and plural and raw_num in ("a", "an"):
            return None
    if raw_num in ("a", "an", "one") and not rel and not mod:
        if _MONEY_BEFORE_RE.search(_before(ctx, m, 25)):
            return "SET", _duration_code("1", unit), None
    if re.search(r"\bin\s+$", _before(ctx, m, 4).lower()) and count != "X" and not rel:
        if tense_near(ctx, m.start(), m.end()) == "future" and ctx.published is not None:
            return "DATE", shift_by_unit(ctx.published, unit, int(float(count)), by_amount=True), None
    return "DURATION", _duration_code(count, unit), mod


def handle_multi(m: re.Match, ctx: Context) -> Result | None:
    unit = V.units()[m["unit"].lower()]
    return "DURATION", _duration_code("X", unit), None


def handle_long(m: re.Match, ctx: Context) -> Result | None:
    unit = V.units()[m["unit"].lower()]
    return "DURATION", _duration_code("1", unit), None


def handle_reference(m: re.Match, ctx: Context) -> Result | None:
    word = re.sub(r"\s+", " ", m["w"].lower())
    if word == "soon" and (re.search(r"\bas\s+$", _before(ctx, m).lower()) or re.match(r"\s+as\b", _after(ctx, m))):
        return None
    if word == "now":
        previous = _before(ctx, m, 12).lower()
        if not any(re.search(rf"\b{re.escape(w)}\s+$", previous) for w in V.now_preceders()):
            return None
    return "DATE", V.reference_words()[word], None


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
        ("iso", r"\b(?P<y>(?:19|20)\d\d)-(?P<mo>0[1-9]|1[0-2])(?:-(?P<d>[0-3]\d)(?:[T ](?P<hh>[01]\d|2[0-3]):(?P<mi>[0-5]\d)(?::\d\d)?)?)?(?![\d-])", handle_iso, "date", False),
        ("slash", r"\b(?P<mo>1[0-2]|0?[1-9])/(?P<d>3[01]|[12]\d|0?[1-9])/(?P<y>(?:19|20)\d\d|\d\d)\b(?!/)", handle_slash, "date", False),
        ("month_day", rf"\b(?:{weekday},?\s+)?{month}\s+{day}(?:,?\s+{year})?", handle_month_day, "date", False),
        ("day_month", rf"\b(?:{weekday},?\s+)?(?:the\s+)?{day}\s+(?:of\s+)?{month}(?:,?\s+{year})?", handle_month_day, "date", False),
        ("month_year", rf"\b{dmod}?{month}(?:\s+of|,)?\s+{year}", handle_month_year, "date", False),
        ("month_of_year", rf"\b{dmod}?{month}\s+of\s+(?P<yrel>this|last|next)\s+year\b", handle_month_year, "date", False),
        ("quarter_q", r"\bQ(?P<q>[1-4])\b(?:\s*(?:of\s+)?(?:(?P<fy>FY|fiscal(?:\s+year)?)\s*'?(?P<fyy>(?:19|20)?\d\d)|'(?P<yy>\d\d)|(?P<year>(?:19|20)\d\d))\b)?", handle_quarter, "date", False),
        ("quarter_fy", r"\b(?P<fy>FY)\s*'?(?P<fyy>(?:19|20)?\d\d)\s+Q(?P<q>[1-4])\b", handle_quarter, "date", False),
        ("quarter_words", rf"\b{qmod}(?:(?P<the>the)\s+)?(?:(?P<fisc>fiscal)\s+)?(?P<ord>first|second|third|fourth|final|1st|2nd|3rd|4th)(?:\s+|-)(?:(?P<fisc2>fiscal)\s+)?quarter\b(?:\s+of\s+{yearref}\b)?", handle_quarter, "date", False),
        ("half_h", r"\bH(?P<h>[12])\b(?:\s*(?:(?P<fy>FY)\s*'?(?P<fyy>(?:19|20)?\d\d)|'(?P<yy>\d\d)|(?P<year>(?:19|20)\d\d))\b)?", handle_half, "date", False),
        ("month_quarter", rf"\bthe\s+{month}\s+quarter\b", handle_month_quarter, "date", False),
        ("half_words", rf"\b{qmod}(?:the\s+)?(?P<ord>first|second|1st|2nd)(?:\s+|-)half\b(?:\s+of\s+{yearref}\b)?", handle_half, "date", False),
        ("fiscal", r"\b(?:the\s+)?(?:(?:fiscal(?:\s+year)?|FY)\s*'?(?P<fyy>(?:19|20)\d\d|\d\d)\b|(?P<year>(?:19|20)\d\d)\s+fiscal\s+year\b)", handle_fiscal, "date", False),
        ("fiscal_rel", r"\b(?P<frel>this|last|next|the\s+current|the\s+previous|the\s+next)\s+fiscal\s+year\b", handle_fiscal, "date", False),
        ("decade", r"\b(?:the\s+)?(?:(?P<dmod>early|mid|late)[\s-]+)?(?:(?P<cent>19|20)(?P<dec>\d)0s|'(?P<dec2>\d)0s)\b", handle_decade, "date", False),
        ("season", rf"\b(?:(?P<rel>this\s+past|this\s+coming|this|last|next|the\s+early|the\s+late|the|early|late|mid)[\s-]+)?(?P<season>{seasons})\b(?:\s+(?:of\s+)?{year})?", handle_season, "date", False),
        ("relative_unit", r"\b(?:(?P<pre>earlier|later|early|late|mid|(?:the\s+)?(?:start|beginning|middle|end|close)\s+of)[\s-]+)?(?P<rel>this\s+past|this\s+coming|this|last|next|the\s+current|the\s+previous|the\s+prior|the\s+coming|the\s+following|the\s+same|that|the\s+past|the\s+last|the\s+next)\s+(?P<unit>week|month|year|quarter|decade|century)\b", handle_relative_unit, "date", True),
        ("the_unit", r"\b(?P<pre>(?:the\s+)?(?:start|beginning|middle|end|close)\s+of|earlier\s+in|later\s+in)\s+the\s+(?P<unit>week|month|year|quarter|decade)\b", handle_the_unit, "date", True),
        ("holiday", rf"\b(?:(?P<weekend>the\s+)(?={holidays}\s+weekend))?(?-i:(?P<holiday>{holidays}))(?(weekend)\s+weekend\b)(?:,?\s+{year})?", handle_holiday, "date", False),
        ("weekend", r"\b(?:the|this)\s+weekend\b", handle_weekend, "date", False),
        ("ago", rf"\b(?:{num}\s+)?{unit}\s+(?P<dir>ago|earlier|later|before|after|from\s+now|prior)\b", handle_ago, "date", True),
        ("dayword", r"\b(?:(?P<pre>earlier|later|early|late)\s+)?(?P<w>the\s+day\s+before\s+yesterday|the\s+day\s+after\s+tomorrow|today|yesterday|tomorrow|tonight)(?:\s+(?P<pod>morning|afternoon|evening|night))?\b", handle_dayword, "date", False),
        ("part_of_day", r"\b(?P<rel>this|last)\s+(?P<pod>morning|afternoon|evening|night)\b", handle_part_of_day, "date", False),
        ("anchor_day", r"\b(?P<w>the\s+(?:next|following|previous|prior|same)\s+day|that\s+day)\b", handle_anchor_day, "date", True),
        ("weekday", rf"\b(?:(?P<rel>this\s+past|this\s+coming|last|next|this|early|late)\s+)?{weekday}(?P<plural>s)?\b(?:\s+(?P<pod>morning|afternoon|evening|night)\b)?", handle_weekday, "date", False),
        ("clock", rf"\b(?:(?P<approx>about|around|approximately|roughly)\s+)?(?:(?P<h>1[0-2]|0?[1-9])(?::(?P<mi>[0-5]\d))?\s*(?P<ap>a\.m\.|p\.m\.|am\b|pm\b)|(?P<h24>[01]?\d|2[0-3]):(?P<mi2>[0-5]\d)(?=\s+(?:{zones})\b)|(?P<noon>noon|midnight)\b)(?:\s+(?P<tz>{zones}|(?-i:[A-Z][a-z]+)\s+time)\b)?", handle_clock, "clock", True),
        ("set", rf"\b(?P<q>every|each|per|once\s+a|twice\s+a|(?:\d+|{nums})\s+times\s+(?:a|per))\s+(?:(?P<num>other|\d{{1,3}}|{nums})\s+)?(?:(?P<unit>{units})|{weekday}|(?P<season>{seasons})\b|{month})", handle_set, "other", False),
        ("set_word", rf"\b(?P<w>{V.alternation(V.set_words())})\b", handle_set_word, "other", False),
        ("multi", r"\bmulti-?(?P<unit>year|month|week|decade|day)\b", handle_multi, "other", False),
        ("long", r"\b(?P<unit>year|month|week|day|decade)-?long\b", handle_long, "other", False),
        ("duration", rf"\b(?:(?P<dm>{V.alternation(V.duration_mods())})\s+)?(?:(?P<rel>the\s+(?:past|last|next|coming|previous|first|final|following|prior)|recent|coming)\s+)?(?:{num}[\s-]+(?:(?:{adjectives})\s+)?)?{unit}(?P<long>-long|-old)?\b", handle_duration, "other", False),
        ("month", rf"\b(?:(?P<rel>last|next|this)\s+|{dmod})?{month}", handle_month, "date", False),
        ("year", rf"\b(?:{dmod}|(?P<theyear>the\s+year\s+))?{year}", handle_year, "date", False),
        ("reference", rf"\b(?P<w>{V.alternation(V.reference_words())})\b", handle_reference, "date", False),
    ]
    return tuple(
        Rule(name, re.compile(pattern, re.IGNORECASE), handler, kind, anchored)
        for name, pattern, handler, kind, anchored in table
    )


# --- running the rules ------------------------------------------------------------------

_GLUE_RE = re.compile(r"\s*(?:,\s*)?(?:(?:at|on|around|by)\s+)?$", re.IGNORECASE)


def find_timexes(text: str, published: dt.date | None) -> list[tuple[int, int, str, str, str, str | None]]:
    """(start, end, text, type, value, mod) for every temporal expression, in text order."""
    if not text:
        return []
    ctx = Context(text=text, published=published, anchor=published)
    candidates: list[Candidate] = []
    for rank, rule in enumerate(rules()):
        for match in rule.regex.finditer(text):
            if match.end() == match.start():
                continue
            result = _run_handler(rule, match, ctx)
            if result is not None:
                candidates.append(Candidate(match.start(), match.end(), rank, rule, match, result))
    chosen = _select(candidates)
    chosen = _resolve_in_order(chosen, ctx)
    return _merge_clock_times(chosen, text)


def _run_handler(rule: Rule, match: re.Match, ctx: Context) -> Result | None:
    """The handler's result, or None if it falls off the calendar or breaks the value grammar."""
    from kb.temporal import is_valid_timex_value

    try:
        result = rule.handler(match, ctx)
    except (OverflowError, ValueError):
        return None  # a publication date at the edge of the calendar (year 1 or 9999)
    if result is None or not is_valid_timex_value(result[1]):
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
        return dt.date(int(m[1]), int(m[2]), 1)
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


__all__ = ["find_timexes", "rules", "add_months", "month_value", "quarter_value", "half_value",
           "week_value", "decade_value"]
