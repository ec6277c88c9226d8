"""Handlers for durations ("three years", "multi-year") and sets ("every week", "quarterly")."""

from __future__ import annotations

import re

from kb.nlp.temporal import vocab as V
from kb.nlp.temporal.match_context import Result, text_after, text_before
from kb.nlp.temporal.resolve import Context, shift_by_unit


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
    if re.search(r"(?:%|\bpercent)\s*$", text_before(ctx, m, 12)):
        return None  # "sales grew 8% annually" is a rate of growth, which TimeML leaves untagged
    following = re.match(r"\s+([a-z]+)", text_after(ctx, m))
    counted = re.search(r"(?:\d|million|billion|thousand)\s+$", text_before(ctx, m))
    if following and following[1] not in _ADVERB_FOLLOWERS and not counted:
        return None  # an adjective ("a quarterly dividend"), unless a rate ("700 million weekly users")
    return "SET", V.set_words()[m["w"].lower()], None


# Words that may follow "daily", "quarterly"... used as an adverb ("paid quarterly to holders").
_ADVERB_FOLLOWERS = frozenset({"to", "and", "or", "in", "on", "at", "for", "by", "from", "since", "until",
                               "through", "with", "as", "than", "but", "after", "before"})


# A half of a unit in the next smaller one: "2 1/2 years" is P2Y6M, "5 1/2 hours" PT5H30M.
_HALVES = {"Y": "6M", "D": "T12H", "TH": "30M", "TM": "30S"}


def _duration_code(count: str, unit: str) -> str:
    """The TIMEX3 duration: hours, minutes and seconds after a T; decades and centuries counted in
    years as TimeML does ("two decades" P20Y), unless vague ("decades" PXDE)."""
    whole, _, half = count.partition(" ")
    if half:
        if unit not in _HALVES:
            return _duration_code(str(int(whole) + 0.5), unit)
        return _duration_code(whole, unit) + _HALVES[unit]
    if unit.startswith("T"):
        return f"PT{count}{unit[1:]}"
    if unit in _YEARS_PER and count != "X":
        years = float(count) * _YEARS_PER[unit]
        return f"P{int(years) if years == int(years) else years}Y"
    return f"P{count}{unit}"


_AGO_AFTER_RE = re.compile(r"\s+ago\b", re.IGNORECASE)
_FROM_NOW_AFTER_RE = re.compile(r"\s+from\s+now\b", re.IGNORECASE)
_YEARS_PER = {"DE": 10, "CE": 100}
# A count right before "a week": a number, or a number and a plural noun that is not itself a unit
# of time ("700 seats a week"; not "three days a week", nor "he expects a year").
_COUNT_BEFORE_RE = re.compile(
    r"(?:\d|\b(?:thousand|million|billion)|(?:\d|\b(?:two|three|four|five|six|seven|eight|nine|ten|dozen|hundred"
    r"|thousand|million|billion))\s+(?:[a-z]+\s+)?(?!(?:days|weeks|months|years|hours|minutes|times)\b)[a-z]{3,}s)"
    r"\s+$")
# A bare plural unit after these words is not a span of time ("the days of", "hundreds of years").
# Nor after "after", "by", "only" ("after weeks of talks", "by decades", "only minutes apart"): TimeBank,
# AQUAINT and the TempEval-3 data leave 20 of 21 such untagged.
_NOT_A_SPAN_BEFORE_RE = re.compile(
    r"\b(?:the|these|those|their|its|his|her|our|on|of|early|later?|first|final|after|by|only)\s+$")
# Plural units with no number after these words are vague references to the past or future
# ("the last few months", "the coming weeks"): TimeML's PAST_REF and FUTURE_REF. "recent years"
# and "the past few weeks" are vague durations (PXY, PXW) as TimeBank, AQUAINT and TempEval-3 tag
# them (34 "recent years" PXY against 6 PAST_REF), and so is "the next few years".
_PAST_RELS = {"the last", "the previous", "the prior"}
_FUTURE_RELS = {"coming", "the coming"}


def handle_duration(m: re.Match, ctx: Context) -> Result | None:
    unit_word = m["unit"].lower()
    unit = V.units()[unit_word]
    raw_num = (m["num"] or "").lower()
    rel = re.sub(r"\s+", " ", (m["rel"] or "").lower())
    plural = unit_word.endswith("s") or unit_word == "centuries"
    mod = V.duration_mods().get(re.sub(r"\s+", " ", (m["dm"] or "").lower()))
    after = text_after(ctx, m)
    if re.match(r"(?:\s+|-)old\b", after) or m["long"] == "-old":
        return None  # an age ("52 years old") is not annotated in TimeML
    if m["dm"] and raw_num and _AGO_AFTER_RE.match(after):
        return None  # "almost four years ago" is a date: the "ago" rule tags "four years ago"
    if raw_num and not rel and _FROM_NOW_AFTER_RE.match(after):
        # "two weeks from now" is a date (here, not in the "ago" rule, so that "from" is no trigger)
        count = V.number_value(raw_num)
        if count.isdigit() and not unit.startswith("T"):
            return "DATE", shift_by_unit(ctx.published, unit, int(count), by_amount=True), None
    if unit == "Q" and re.search(r"\w-$", ctx.text[m.start():m.start() + len(m[0]) - len(m["unit"])]):
        return None  # "three-quarters" is a fraction
    if re.match(r"-[a-z]", after) or (
        raw_num in ("a", "an") and re.match(r"\s+(?:in\s+which|when|that|where)\b", after)
    ):
        return None  # "a year-end memo", "a year in which sales doubled"
    if not raw_num:
        if not plural:
            return None
        before = text_before(ctx, m).lower()
        if _NOT_A_SPAN_BEFORE_RE.search(before) or re.match(r"\s+apart\b", after):
            return None
        count = "X"
    else:
        count = V.number_value(raw_num)
        if count == "1" and plural and raw_num in ("a", "an"):
            return None
    if count == "X" and plural and rel in _PAST_RELS:
        return "DATE", "PAST_REF", None
    if count == "X" and plural and rel in _FUTURE_RELS:
        return "DATE", "FUTURE_REF", None
    if raw_num in ("a", "an", "one") and not rel and not mod:
        before = text_before(ctx, m, 25)
        if _MONEY_BEFORE_RE.search(before):
            return "SET", _duration_code("1", unit), None
        if raw_num != "one" and _COUNT_BEFORE_RE.search(before):
            return None  # "four flights a week", "358,000 a month": a rate, which TimeML leaves untagged
    # "in eight months" stays a DURATION even in a future clause: TimeBank, AQUAINT and the TempEval-3
    # data tag "in N units" as a length of time (a date 8 months on only 1 time in 10)
    return "DURATION", _duration_code(count, unit), mod


def handle_multi(m: re.Match, ctx: Context) -> Result | None:
    unit = V.units()[m["unit"].lower()]
    return "DURATION", _duration_code("X", unit), None


def handle_long(m: re.Match, ctx: Context) -> Result | None:
    unit = V.units()[m["unit"].lower()]
    return "DURATION", _duration_code("1", unit), None
