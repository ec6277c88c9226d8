"""Handlers for days and times relative to now: weekdays, "yesterday", clock times, "ago", "now"."""

from __future__ import annotations

import datetime as dt
import re

from kb.nlp.temporal import vocab as V
from kb.nlp.temporal.match_context import Result, text_after, text_before
from kb.nlp.temporal.resolve import (
    Context,
    day_value,
    resolve_weekday,
    shift_by_unit,
    shift_value,
    tense_near,
    weekend_value,
)


def handle_weekend(m: re.Match, ctx: Context) -> Result | None:
    tense = tense_near(ctx, m.start(), m.end())
    if ctx.published is None:
        return "DATE", "XXXX-WXX-WE", None
    published = ctx.published
    if tense is None:  # no cue: the nearest weekend, the last one early in the week
        tense = "past" if published.isoweekday() <= 3 else "future"
    if tense == "past":
        days_back = (published.isoweekday() - 6) % 7 if published.isoweekday() < 6 else 0
        back = days_back if published.isoweekday() >= 6 else published.isoweekday() + 1
        day = published - dt.timedelta(days=back)
    else:
        day = published + dt.timedelta(days=max(0, 6 - published.isoweekday()))
    return "DATE", weekend_value(day), None


_DAY_OFFSETS = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1,
                "the day before yesterday": -2, "the day after tomorrow": 2}


def handle_dayword(m: re.Match, ctx: Context) -> Result | None:
    word = re.sub(r"\s+", " ", m["w"].lower())
    if word == "today" and re.search(r"\bUSA\s+$", text_before(ctx, m)):
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
        if not re.search(r"\b(?:on|every|most|some|many)\s+$", text_before(ctx, m).lower()):
            return None
        return "SET", f"XXXX-WXX-{weekday}", None
    following = re.match(r"\s+([A-Z]\w+)", text_after(ctx, m))
    if following and following[1] in V.weekday_name_followers():
        return None
    if re.search(r"\b(?:Patch|Super|Black|Cyber|Ash|Good|Holy|Easter|Palm)\s+$", text_before(ctx, m)):
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
    number = V.number_value(m["num"]) if m["num"] else "X"
    direction = m["dir"].lower()
    if unit.startswith("T"):
        return None
    if direction in ("before", "after") and not re.match(r"\s*(?:[,.;:)]|$)", text_after(ctx, m, 3)):
        return None
    if number == "X":
        if direction == "ago":
            return "DATE", "PAST_REF", None
        return None
    # "almost four years ago" is a date, about that long before (the duration rule leaves it to
    # this one): its mod says how exact
    before = re.search(r"(\w+)\s+$", text_before(ctx, m, 16))
    mod = "APPROX" if before and V.duration_mods().get(before[1].lower()) == "APPROX" else None
    sign = -1 if direction in ("ago", "earlier", "before", "prior") else 1
    amount = float(number)
    if amount != int(amount):
        return None
    if unit == "Y" and sign < 0:
        # "profit rose in the third quarter from a year ago": the same quarter a year back.
        if ctx.anchor_value and _QUARTER_RE.fullmatch(ctx.anchor_value) and m.start() - ctx.anchor_end < 300:
            return "DATE", shift_value(ctx.anchor_value, "Y", -int(amount)), None
    if direction == "ago":
        return "DATE", shift_by_unit(ctx.published, unit, sign * int(amount), by_amount=True), mod
    kept = shift_value(ctx.anchor_value, unit, sign * int(amount))
    if kept:
        return "DATE", kept, None
    return "DATE", shift_by_unit(ctx.anchor, unit, sign * int(amount), by_amount=True), None


_QUARTER_RE = re.compile(r"\d{4}-Q[1-4]")


def handle_reference(m: re.Match, ctx: Context) -> Result | None:
    word = re.sub(r"\s+", " ", m["w"].lower())
    if word == "now" and re.search(r"\bfrom\s+$", text_before(ctx, m, 8), re.IGNORECASE):
        return None  # "two weeks from now" is one date, tagged by the duration rule
    return "DATE", V.reference_words()[word], None
