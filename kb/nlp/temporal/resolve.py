"""Date arithmetic and tense cues that turn relative expressions into TIMEX3 values."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from kb.nlp.temporal import vocab as V


@dataclass
class Context:
    """What a rule may look at: the text, its publication date and the last date mentioned."""

    text: str
    published: dt.date | None
    anchor: dt.date | None
    anchor_value: str | None = None  # the value the anchor came from, to keep its precision
    anchor_end: int = 0  # where the anchoring expression ends in the text


# --- value builders ---------------------------------------------------------------------


def _year(year: int) -> int:
    """The year, or ValueError when it lies outside the calendar (years 1 to 9999): handlers that
    step past its ends ("next year" in 9999) give no date (kb.nlp.temporal.rules drops the match)."""
    if not 1 <= year <= 9999:
        raise ValueError(f"year {year} is out of range")
    return year


def day_value(day: dt.date) -> str:
    return day.isoformat()


def week_value(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def weekend_value(day: dt.date) -> str:
    return week_value(day) + "-WE"


def month_value(year: int, month: int) -> str:
    return f"{_year(year):04d}-{month:02d}"


def quarter_value(year: int, quarter: int) -> str:
    return f"{_year(year):04d}-Q{quarter}"


def decade_value(year: int) -> str:
    return f"{_year(year) // 10:03d}"


def add_months(year: int, month: int, offset: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + offset
    return index // 12, index % 12 + 1


_UNIT_CODES = {"day": "D", "week": "W", "weekend": "WE", "month": "M", "quarter": "Q",
               "year": "Y", "decade": "DE", "century": "CE"}
_UNKNOWN = {"D": "XXXX-XX-XX", "W": "XXXX-WXX", "WE": "XXXX-WXX-WE", "M": "XXXX-XX",
            "Q": "XXXX-QX", "Y": "XXXX", "DE": "XXX", "CE": "XX"}


def shift_by_unit(base: dt.date | None, unit: str, offset: int, by_amount: bool = False) -> str | None:
    """The value of the `unit`-long period `offset` units away from `base`, at that unit's precision
    (None when it falls off the calendar)."""
    code = _UNIT_CODES.get(unit, unit)
    if base is None:
        return "PAST_REF" if by_amount and offset < 0 else ("FUTURE_REF" if by_amount else _UNKNOWN[code])
    try:
        if code == "D":
            return day_value(base + dt.timedelta(days=offset))
        if code == "W":
            return week_value(base + dt.timedelta(weeks=offset))
        if code == "WE":
            return weekend_value(base + dt.timedelta(weeks=offset))
        if code == "M":
            return month_value(*add_months(base.year, base.month, offset))
        if code == "Q":
            index = base.year * 4 + (base.month - 1) // 3 + offset
            return quarter_value(index // 4, index % 4 + 1)
        if code == "Y":
            return f"{_year(base.year + offset):04d}"
        if code == "DE":
            return decade_value(base.year + 10 * offset)
        if code == "CE":
            return f"{_year(base.year + 100 * offset) // 100:02d}"
    except (OverflowError, ValueError):
        return None
    return _UNKNOWN.get(code, "XXXX")


def shift_value(value: str | None, unit: str, offset: int) -> str | None:
    """Move a day, month or quarter value by `offset` units, keeping its precision ("a year earlier")."""
    code = _UNIT_CODES.get(unit, unit)
    if not value or code not in ("Y", "Q", "M"):
        return None
    months = {"Y": 12, "Q": 3, "M": 1}[code] * offset
    if m := re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", value):
        year, month = add_months(int(m[1]), int(m[2]), months)
        try:
            return dt.date(year, month, int(m[3])).isoformat()
        except ValueError:
            return month_value(year, month)
    if m := re.fullmatch(r"(\d{4})-(\d\d)", value):
        return month_value(*add_months(int(m[1]), int(m[2]), months))
    if (m := re.fullmatch(r"(FY)?(\d{4})-Q([1-4])", value)) and months % 3 == 0:
        index = int(m[2]) * 4 + int(m[3]) - 1 + months // 3
        return f"{m[1] or ''}{quarter_value(index // 4, index % 4 + 1)}"
    return None


# --- tense ------------------------------------------------------------------------------

# A full stop ends a sentence unless it ends a title or "a.m." ("Mr. Smith said", "9 p.m. (local time)")
_SENTENCE_END = re.compile(
    r"[.!?](?<![ap]\.m\.)(?<!\bMr\.)(?<!\bMrs\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bGen\.)(?<!\bGov\.)"
    r"(?<!\bSen\.)(?<!\bRep\.)(?<!\bU\.S\.)(?<!\bLt\.)(?<!\bCol\.)(?<!\bSgt\.)\s+(?=[A-Z\"'(])|\n")


_CLAUSE_OPENING = re.compile(
    r"^\s*(?:(?:on|by|until|since|in|over|during|at|early|late|later|earlier)\s+)?$", re.IGNORECASE)
_DETERMINER_BEFORE = re.compile(r"\b(?:the|a|an|its|their|his|her|our|this|that)\s+$", re.IGNORECASE)
_PAST_AUX_BEFORE = re.compile(r"\bhad(?:\s+been)?\s+(?:\w+ly\s+)?$", re.IGNORECASE)
_PASSIVE_AUX = re.compile(r"\b(?:be|been|being)\s+(?:\w+ly\s+)?$", re.IGNORECASE)


# An -ed word after the date counts as if twice as far away as it is.
_AFTER_PARTICIPLE_WEIGHT = 2


def tense_near(ctx: Context, start: int, end: int) -> str | None:
    """"past", "future" or None, from the tense cue nearest to text[start:end] in its sentence."""
    text = ctx.text
    left = text.rfind("\n", max(0, start - 200), start)
    window_start = max(left + 1, start - 200)
    before = text[window_start:start]
    ends = list(_SENTENCE_END.finditer(before))
    if ends:
        window_start += ends[-1].end()
        before = text[window_start:start]
    after = text[end:end + 120]
    # "On Sunday, police said ...": a date opening its clause takes the tense of what follows the comma
    skip = 1 if after.startswith(",") and _CLAUSE_OPENING.search(before) else 0
    stop = re.search(r"[.!?;,\n]", after[skip:])
    stop_at = stop.start() + skip if stop else None
    if stop_at is not None:
        after = after[:stop_at]
    best: tuple[float, str] | None = None
    for segment, offset, is_after in ((before, window_start, False), (after, end, True)):
        future_spans = []
        for m in V.future_cues_re().finditer(segment):
            future_spans.append((m.start(), m.end()))
            distance = (m.start() + offset - end) * 1.5 + 5 if is_after else start - (m.end() + offset)
            # "had been due to expire Friday": a future seen from the past, gone by ("was planned for
            # the spring" may still lie ahead)
            tense = "future"
            if not m[0].lower().endswith("until") and _PAST_AUX_BEFORE.search(segment, max(0, m.start() - 30),
                                                                             m.start()):
                tense = "past"  # but "was postponed until Monday" still points ahead
            if best is None or distance < best[0]:
                best = (distance, tense)
        for m in V.past_cues_re().finditer(segment):
            word = m.group(0).lower()
            if word in V.not_past_ed():
                continue
            if any(s <= m.start() < e for s, e in future_spans):
                continue
            if word.endswith("ed") and _PASSIVE_AUX.search(segment, max(0, m.start() - 30), m.start()):
                continue  # "would be restored": the auxiliary carries the tense
            if word.endswith("ed") and _DETERMINER_BEFORE.search(segment, max(0, m.start() - 12), m.start()):
                continue  # "the reduced dividend": an adjective, not a verb
            distance = (m.start() + offset - end) * 1.5 + 5 if is_after else start - (m.end() + offset)
            if is_after and word.endswith("ed") and word not in V.past_cue_words():
                distance *= _AFTER_PARTICIPLE_WEIGHT  # "markets untouched by": more often a participle
            if best is None or distance < best[0]:
                best = (distance, "past")
    return best[1] if best else None


def _pick(
    candidates: list[tuple[int, str]], target: int, tense: str | None, per_year: int = 12, *,
    near: bool = True,
) -> str:
    """From (index, value) pairs choose by tense: latest <= target, earliest >= target, or nearest.

    `per_year` is how many index steps make a year. A tense cue does not carry a date more than
    half a year away when another one lies within two months, or the neighbouring quarter
    ("payable Dec. 15" in a November article is next month, whatever tense the sentence's other
    verbs have), unless `near` is False (seasons: "raised money in the spring", written in
    December, is past).
    """
    nearest = min(candidates, key=lambda c: (abs(c[0] - target), c[0]))
    chosen = None
    if tense == "past":
        eligible = [c for c in candidates if c[0] <= target]
        chosen = max(eligible) if eligible else None
    elif tense == "future":
        eligible = [c for c in candidates if c[0] >= target]
        chosen = min(eligible) if eligible else None
    if chosen is None:
        return nearest[1]
    close = max(1, per_year // 6) if per_year >= 4 else 0
    if near and abs(chosen[0] - target) * 2 > per_year and abs(nearest[0] - target) <= close:
        return nearest[1]
    return chosen[1]


def resolve_day_of_month(
    ctx: Context, month: int, day: int, start: int, end: int, weekday: int | None = None
) -> str | None:
    """A month and day without a year, in the year its weekday or the tense points to."""
    if ctx.published is None:
        return f"XXXX-{month:02d}-{day:02d}" if day <= 31 else None
    pub = ctx.published
    options = []
    for year in (pub.year - 1, pub.year, pub.year + 1):
        try:
            option = dt.date(year, month, day)
        except ValueError:
            continue
        options.append((option.toordinal(), option.isoformat()))
    if weekday is not None:
        matching = [o for o in options if dt.date.fromordinal(o[0]).isoweekday() == weekday]
        options = matching or options
    if not options:
        return None
    return _pick(options, pub.toordinal(), _date_tense(ctx, start, end), per_year=365)


# "by February", "effective June 1": a deadline or a start, ahead in news (8 of 8 and 3 of 3 in
# TimeBank and AQUAINT) whatever the tense of the clause.
_AHEAD_BEFORE = re.compile(r"\b(?:by|effective)\s+$", re.IGNORECASE)


def _date_tense(ctx: Context, start: int, end: int) -> str | None:
    """The tense for a month or a day of a month: ahead after "by" or "effective", else the cues'."""
    if _AHEAD_BEFORE.search(ctx.text, max(0, start - 12), start):
        return "future"
    return tense_near(ctx, start, end)


def resolve_month(ctx: Context, month: int, rel: str, start: int, end: int) -> str:
    """A month name without a year: "last April", "in March", "next June"."""
    if ctx.published is None:
        return f"XXXX-{month:02d}"
    pub = ctx.published
    target = pub.year * 12 + pub.month - 1
    options = [(y * 12 + month - 1, month_value(y, month)) for y in (pub.year - 1, pub.year, pub.year + 1)]
    if rel == "this":
        return month_value(pub.year, month)
    if rel == "last":
        return max(o for o in options if o[0] < target)[1]
    if rel == "next":
        return min(o for o in options if o[0] > target)[1]
    return _pick(options, target, _date_tense(ctx, start, end), per_year=12)


_SEASON_ORDER = {"SP": 0, "SU": 1, "FA": 2, "WI": 3}


def _season_index(day: dt.date) -> int:
    """Seasons numbered four a year; winter belongs to the year it starts in."""
    if day.month <= 2:
        return (day.year - 1) * 4 + 3
    return day.year * 4 + (day.month - 3) // 3


def resolve_period(ctx: Context, kind: str, number: int, start: int, end: int, relative: str = "") -> str:
    """A quarter ("Q"), half ("H") or season ("SP", "SU", "FA", "WI") without a year."""
    if kind in _SEASON_ORDER:
        label, per_year, slot = kind, 4, _SEASON_ORDER[kind]
    else:
        label, per_year, slot = f"{kind}{number}", (4 if kind == "Q" else 2), number - 1
    if ctx.published is None:
        return f"XXXX-{label}"
    pub = ctx.published
    if kind in _SEASON_ORDER:
        target = _season_index(pub)
    else:
        target = pub.year * per_year + (pub.month - 1) * per_year // 12
    options = [(y * per_year + slot, f"{y:04d}-{label}") for y in (pub.year - 1, pub.year, pub.year + 1)]
    if relative == "this":
        return min(options, key=lambda o: abs(o[0] - target))[1]
    if relative == "completed":  # results come after their quarter, or at its end for the current one
        return max(o for o in options if o[0] <= target)[1]
    if relative in ("last", "this past"):
        return max(o for o in options if o[0] < target)[1]
    if relative in ("next", "this coming"):
        return min(o for o in options if o[0] > target)[1]
    tense = tense_near(ctx, start, end)
    return _pick(options, target, tense, per_year=per_year, near=kind not in _SEASON_ORDER)


def resolve_weekday(ctx: Context, weekday: int, rel: str, start: int, end: int) -> str:
    """A weekday name: the nearest such day before or after publication, by tense."""
    if ctx.published is None:
        return f"XXXX-WXX-{weekday}"
    pub = ctx.published
    back = (pub.isoweekday() - weekday) % 7
    ahead = (weekday - pub.isoweekday()) % 7
    if rel in ("last", "this past"):
        return day_value(pub - dt.timedelta(days=back or 7))
    if rel in ("next", "this coming"):
        return day_value(pub + dt.timedelta(days=ahead or 7))
    tense = None if rel == "this" else tense_near(ctx, start, end)
    if tense == "past" or (tense is None and back <= ahead):
        return day_value(pub - dt.timedelta(days=back))
    return day_value(pub + dt.timedelta(days=ahead))


def holiday_date(rule: str, year: int) -> dt.date | None:
    """The date of a holiday rule ("12-25", "11/4/4+1") in `year`."""
    rule, _, offset = rule.partition("+")
    if m := re.fullmatch(r"(\d\d)-(\d\d)", rule):
        day = dt.date(year, int(m[1]), int(m[2]))
    elif m := re.fullmatch(r"(\d\d)/(-?\d)/(\d)", rule):
        month, nth, weekday = int(m[1]), int(m[2]), int(m[3])
        if nth > 0:
            first = dt.date(year, month, 1)
            day = first + dt.timedelta(days=(weekday - first.isoweekday()) % 7 + 7 * (nth - 1))
        else:
            last = dt.date(*add_months(year, month, 1), 1) - dt.timedelta(days=1)
            day = last - dt.timedelta(days=(last.isoweekday() - weekday) % 7)
    else:
        return None
    return day + dt.timedelta(days=int(offset or 0))


def resolve_holiday(ctx: Context, rule: str, start: int, end: int) -> dt.date | None:
    """A holiday without a year, in the year the tense points to (the nearest if none)."""
    if ctx.published is None:
        return None
    pub = ctx.published
    options = [(d.toordinal(), d.isoformat()) for y in (pub.year - 1, pub.year, pub.year + 1)
               if (d := holiday_date(rule, y)) is not None]
    return dt.date.fromisoformat(_pick(options, pub.toordinal(), tense_near(ctx, start, end), per_year=365))
