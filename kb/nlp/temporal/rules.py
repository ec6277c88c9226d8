"""The TIMEX3 rules (data/temporal/patterns.toml) and the loop that applies them to a text."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

from kb.core.config import data_file, read_toml
from kb.core.errors import ConfigError
from kb.dates.spans import usable_value
from kb.dates.timex import is_valid_timex_value
from kb.nlp.temporal import calendar_dates, calendar_periods, day_times, durations
from kb.nlp.temporal import vocab as V
from kb.nlp.temporal.match_context import Result
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
    anchors: bool = True  # its value becomes the anchor of later anchored rules


@dataclass
class Candidate:
    start: int
    end: int
    rank: int
    rule: Rule
    match: re.Match
    result: Result


# --- the rule table ---------------------------------------------------------------------

PATTERNS_PATH = data_file("temporal/patterns.toml")
HANDLERS: dict[str, Handler] = {
    name: handler
    for module in (calendar_dates, calendar_periods, day_times, durations)
    for name, handler in vars(module).items()
    if name.startswith("handle_")
}
RULE_KINDS = ("date", "clock", "other")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# Word lists of vocab.toml a pattern may name as {section}: each becomes a regex alternation.
_WORD_LISTS = (
    "weekdays", "numbers", "units", "seasons", "time_zones", "duration_adjectives", "holidays",
    "set_words", "duration_mods", "reference_words", "year_tens", "year_ones",
)


def _joined(pattern: str | list[str]) -> str:
    """A pattern written as one string or as a list of pieces."""
    if isinstance(pattern, str):
        return pattern
    if isinstance(pattern, list) and all(isinstance(piece, str) for piece in pattern):
        return "".join(pattern)
    raise TypeError("a pattern is a string or a list of strings")


def _expand(pattern: str, fragments: dict[str, str], where: str) -> str:
    """The pattern with each {name} replaced by its fragment."""

    def fragment(match: re.Match) -> str:
        if match[1] not in fragments:
            raise ConfigError(f"{PATTERNS_PATH}: {where}: unknown part {{{match[1]}}}")
        return fragments[match[1]]

    return _PLACEHOLDER.sub(fragment, pattern)


def _rule(raw: object, fragments: dict[str, str]) -> Rule:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise ConfigError(f"{PATTERNS_PATH}: every [[rule]] needs a `name` string")
    where = f"rule {raw['name']!r}"
    handler = HANDLERS.get(raw.get("handler")) if isinstance(raw.get("handler"), str) else None
    if handler is None:
        raise ConfigError(f"{PATTERNS_PATH}: {where}: unknown handler {raw.get('handler')!r}")
    kind = raw.get("kind", "date")
    if kind not in RULE_KINDS:
        raise ConfigError(f"{PATTERNS_PATH}: {where}: kind must be one of {', '.join(RULE_KINDS)}")
    try:
        regex = re.compile(_expand(_joined(raw["pattern"]), fragments, where), re.IGNORECASE)
    except (KeyError, TypeError, re.error) as exc:
        raise ConfigError(f"{PATTERNS_PATH}: {where}: invalid pattern: {exc}") from exc
    return Rule(raw["name"], regex, handler, kind, bool(raw.get("anchored", False)),
                bool(raw.get("anchors", True)))


@cache
def rules() -> tuple[Rule, ...]:
    """All rules of data/temporal/patterns.toml, in priority order for equally long matches."""
    table = read_toml(PATTERNS_PATH)
    fragments = {name: V.alternation(getattr(V, name)()) for name in _WORD_LISTS}
    fragments["month"] = V.month_pattern()
    try:
        for name, part in table.get("parts", {}).items():
            fragments[name] = _expand(_joined(part), fragments, f"part {name!r}")
    except TypeError as exc:
        raise ConfigError(f"{PATTERNS_PATH}: parts: {exc}") from exc
    return tuple(_rule(raw, fragments) for raw in table.get("rule", []))


@cache
def trigger_index() -> TriggerIndex:
    """The trigger strings of all rules, so each rule scans only the windows that can match."""
    return TriggerIndex([rule.regex for rule in rules()])


# --- running the rules ------------------------------------------------------------------

_GLUE_RE = re.compile(r"\s*(?:,\s*)?(?:(?:at|on|around|by)\s+)?$", re.IGNORECASE)
# A short aside in brackets between a clock time and its day ("10 a.m. (1500 GMT) Friday").
_ASIDE_RE = re.compile(r"\s*\([^()\n]{1,25}\)\s*(?:,\s*)?(?:on\s+)?", re.IGNORECASE)
# A value naming one day, which a clock time next to it can join.
_DAY_VALUE_RE = re.compile(r"(?:\d{4}|XXXX)-(?:\d\d|XX)-(?:\d\d|XX)|(?:\d{4}|XXXX)-W(?:\d\d|XX)-\d")


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
        if windows is not None and not windows:
            continue  # none of its trigger strings is in the text (most rules, for most texts)
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
    if result is None or not _value_ok(result[1]):
        return None
    return result


@lru_cache(maxsize=8192)
def _value_ok(value: str | None) -> bool:
    """The value follows the TIMEX3 grammar and names no period off the calendar (values repeat
    from text to text, so each is checked once)."""
    return is_valid_timex_value(value) and usable_value(value)


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
        if kind in ("DATE", "TIME") and cand.rule.anchors:
            anchor = _anchor_from_value(value)
            if anchor is not None:
                ctx.anchor = anchor
                ctx.anchor_value = value.split("T", 1)[0]
                ctx.anchor_end = cand.end
            elif re.fullmatch(r"(?:FY)?\d{4}-Q[1-4]", value):
                ctx.anchor_value = value
                ctx.anchor_end = cand.end
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
            if _GLUE_RE.fullmatch(gap) and _DAY_VALUE_RE.fullmatch(day_val):
                clock_part = clock.result[1].split("T", 1)[1]
                value = f"{day_val}T{clock_part}"
                out.append((cand.start, nxt.end, text[cand.start:nxt.end], "TIME", value, day.result[2]))
                i += 2
                continue
            if clock is cand and _ASIDE_RE.fullmatch(gap) and _DAY_VALUE_RE.fullmatch(day_val):
                # "at 10:35 a.m. (0735 GMT) Friday": two expressions, the time on that day
                value = f"{day_val}T{clock.result[1].split('T', 1)[1]}"
                out.append((cand.start, cand.end, text[cand.start:cand.end], "TIME", value, cand.result[2]))
                i += 1
                continue
        kind, value, mod = cand.result
        out.append((cand.start, cand.end, text[cand.start:cand.end], kind, value, mod))
        i += 1
    return out


