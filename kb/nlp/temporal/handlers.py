"""Handlers that turn one regex match into a TIMEX3 (type, value, mod), or reject it."""

from __future__ import annotations

import datetime as dt
import re

from kb.nlp.temporal import vocab as V
from kb.nlp.temporal.resolve import (
    Context,
    day_value,
    holiday_date,
    resolve_day_of_month,
    resolve_holiday,
    resolve_month,
    resolve_period,
    resolve_weekday,
    shift_by_unit,
    shift_value,
    tense_near,
    weekend_value,
)

Result = tuple[str, str, str | None]  # (type, value, mod)


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
