"""Handlers for durations ("three years", "multi-year") and sets ("every week", "quarterly")."""

from __future__ import annotations

import re

from kb.nlp.temporal import vocab as V
from kb.nlp.temporal.match_context import Result, text_after, text_before
from kb.nlp.temporal.resolve import Context, shift_by_unit, tense_near


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
    if groups["q"].lower() == "per" and not _MONEY_BEFORE_RE.search(text_before(ctx, m, 25)):
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
    after = text_after(ctx, m)
    if re.match(r"-[a-z]", after) or (
        raw_num in ("a", "an") and re.match(r"\s+(?:in\s+which|when|that|where)\b", after)
    ):
        return None  # "a year-end memo", "a year in which sales doubled"
    if not raw_num:
        if not plural:
            return None
        before = text_before(ctx, m).lower()
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
        if _MONEY_BEFORE_RE.search(text_before(ctx, m, 25)):
            return "SET", _duration_code("1", unit), None
    if re.search(r"\bin\s+$", text_before(ctx, m, 4).lower()) and count != "X" and not rel:
        if tense_near(ctx, m.start(), m.end()) == "future" and ctx.published is not None:
            return "DATE", shift_by_unit(ctx.published, unit, int(float(count)), by_amount=True), None
    return "DURATION", _duration_code(count, unit), mod


def handle_multi(m: re.Match, ctx: Context) -> Result | None:
    unit = V.units()[m["unit"].lower()]
    return "DURATION", _duration_code("X", unit), None


def handle_long(m: re.Match, ctx: Context) -> Result | None:
    unit = V.units()[m["unit"].lower()]
    return "DURATION", _duration_code("1", unit), None
