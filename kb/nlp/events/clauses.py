"""Which clauses state facts: a trigger's clause, the kinds of clause that make no event
(questions, conditionals, opinion, allegations, plans, generic and background statements) and
the clauses that recall an earlier fact (recaps). The rules are data: data/event_rules.toml."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.core.config import DATA_DIR, read_toml
from kb.core.errors import ConfigError
from kb.core.event_types import EVENT_TYPES
from kb.dates.spans import date_span
from kb.nlp.events.lexicon import alternation
from kb.nlp.events.sentence_parts import WORD, Trigger

DEFAULT_RULES = DATA_DIR / "event_rules.toml"
CUE_SCOPES = ("sentence_start", "clause_start", "before", "earlier", "sentence", "requires", "unless")
OPENING = re.compile(r"[\s\"“‘'(]*")


@dataclass(frozen=True)
class KindRule:
    """One kind of clause that makes no event, and the cues that tell it."""

    name: str
    label: str  # the kind a context clause is returned with
    cues: dict[str, re.Pattern[str] | None]
    ends_with: tuple[str, ...]
    only_types: frozenset[str]
    skip_types: frozenset[str]


@dataclass(frozen=True)
class RecapRules:
    """How a clause recalling an earlier fact is told ([recap])."""

    min_days: int
    before: re.Pattern[str] | None
    appositive_forms: frozenset[str]
    relative_openers: frozenset[str]
    relative_forms: frozenset[str]


@dataclass(frozen=True)
class ClauseRules:
    """The compiled data/event_rules.toml."""

    boundary: re.Pattern[str]
    openers: frozenset[str]
    rumour: re.Pattern[str] | None
    kinds: tuple[KindRule, ...]
    legal_types: frozenset[str]
    legal_kinds: frozenset[str]
    recap: RecapRules
    unnamed_party_types: frozenset[str]


def _cues(phrases: list[str]) -> re.Pattern[str] | None:
    return alternation(phrases) if phrases else None


def _types(names: list[str], where: str) -> frozenset[str]:
    unknown = sorted(set(names) - set(EVENT_TYPES))
    if unknown:
        raise ValueError(f"{where}: unknown event types {unknown}")
    return frozenset(names)


def compile_rules(data: dict[str, Any]) -> ClauseRules:
    """Build ClauseRules from the parsed TOML document."""
    clauses = data.get("clauses", {})
    chars = clauses.get("boundaries", [",", ";", ":"])
    # ",", ";" and ":" end a clause when a space follows ("$13,000", "10:30" do not).
    boundary = re.compile("|".join(re.escape(c) + (r"(?=\s)" if c in ",;:" else "") for c in chars))
    kinds = []
    for name, spec in data.get("kinds", {}).items():
        unknown = sorted(set(spec) - {*CUE_SCOPES, "ends_with", "only_types", "skip_types", "as"})
        if unknown:
            raise ValueError(f"[kinds.{name}]: unknown keys {unknown}")
        kinds.append(KindRule(
            name=name,
            label=str(spec.get("as", name)),
            cues={scope: _cues(spec.get(scope, [])) for scope in CUE_SCOPES},
            ends_with=tuple(spec.get("ends_with", [])),
            only_types=_types(spec.get("only_types", []), f"[kinds.{name}] only_types"),
            skip_types=_types(spec.get("skip_types", []), f"[kinds.{name}] skip_types"),
        ))
    legal = data.get("legal_forward", {})
    recap = data.get("recap", {})
    return ClauseRules(
        boundary=boundary,
        openers=frozenset(w.lower() for w in clauses.get("openers", [])),
        rumour=_cues(clauses.get("rumour", [])),
        kinds=tuple(kinds),
        legal_types=_types(legal.get("types", []), "[legal_forward] types"),
        legal_kinds=frozenset(legal.get("kinds", [])),
        recap=RecapRules(
            min_days=int(recap.get("min_days", 8)),
            before=_cues(recap.get("before", [])),
            appositive_forms=frozenset(recap.get("appositive_forms", [])),
            relative_openers=frozenset(w.lower() for w in recap.get("relative_openers", [])),
            relative_forms=frozenset(recap.get("relative_forms", [])),
        ),
        unnamed_party_types=_types(data.get("participants", {}).get("unnamed_party_types", []),
                                   "[participants] unnamed_party_types"),
    )


def load_rules(path: str | Path | None = None) -> ClauseRules:
    """Load and compile the clause rules (ConfigError on a bad file)."""
    path = Path(path or DEFAULT_RULES)
    try:
        return compile_rules(read_toml(path))
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise ConfigError(f"{path}: invalid event rules: {exc}") from exc


def clause_bounds(text: str, s_start: int, s_end: int, start: int, end: int,
                  rules: ClauseRules) -> tuple[int, int]:
    """The clause around text[start:end]: from the last boundary or clause opener before it to
    the next boundary or opener after it, within its sentence."""
    c_start = s_start
    for m in rules.boundary.finditer(text, s_start, start):
        c_start = m.end()
    for m in WORD.finditer(text, c_start, start):
        if m.group(0).lower() in rules.openers:
            c_start = m.start()
    c_end = s_end
    stop = rules.boundary.search(text, end, s_end)
    if stop:
        c_end = stop.start()
    for m in WORD.finditer(text, end, c_end):
        if m.group(0).lower() in rules.openers:
            c_end = m.start()
            break
    return c_start, c_end


def is_rumour(text: str, s_start: int, s_end: int, rules: ClauseRules) -> bool:
    """Whether the sentence is a sourced report ("according to people familiar with ...")."""
    return rules.rumour is not None and bool(rules.rumour.search(text, s_start, s_end))


def _fits(kind: KindRule, text: str, s_start: int, s_end: int, c_start: int, trigger: Trigger) -> bool:
    cues = kind.cues
    head = OPENING.match(text, s_start, s_end).end()
    c_head = OPENING.match(text, c_start, trigger.start).end()
    hit = (
        (kind.ends_with and text[s_start:s_end].rstrip().endswith(kind.ends_with))
        or (cues["sentence_start"] is not None and cues["sentence_start"].match(text, head, s_end))
        or (cues["clause_start"] is not None and c_start > s_start
            and cues["clause_start"].match(text, c_head, trigger.start))
        or (cues["before"] is not None and cues["before"].search(text, c_start, trigger.start))
        or (cues["earlier"] is not None and cues["earlier"].search(text, s_start, trigger.start))
        or (cues["sentence"] is not None and cues["sentence"].search(text, s_start, s_end))
    )
    if not hit:
        return False
    if cues["requires"] is not None and not cues["requires"].search(text, s_start, s_end):
        return False
    return not (cues["unless"] is not None and cues["unless"].search(text, s_start, s_end))


def clause_kind(text: str, s_start: int, s_end: int, trigger: Trigger, reported: bool,
                rules: ClauseRules) -> str | None:
    """The kind of the trigger's clause when it states no fact ("question", "conditional",
    "opinion", "allegation", "plan", "generic", "background", or "legal_forward" for a legal
    risk ahead), else None: the trigger makes an event. In a `reported` sentence (a sourced
    rumour or a denial) plan cues do not count: its events stay, hedged or denied."""
    c_start, _ = clause_bounds(text, s_start, s_end, trigger.start, trigger.end, rules)
    kind_type = trigger.defn.type
    for kind in rules.kinds:
        if kind.only_types and kind_type not in kind.only_types:
            continue
        if kind_type in kind.skip_types or (kind.label == "plan" and reported):
            continue
        if not _fits(kind, text, s_start, s_end, c_start, trigger):
            continue
        if kind_type in rules.legal_types and kind.name in rules.legal_kinds:
            return "legal_forward"
        return kind.label
    return None


def recalls_earlier(text: str, s_start: int, s_end: int, trigger: Trigger, rules: ClauseRules) -> bool:
    """Whether the trigger's clause recalls an earlier fact by its form: "last year's
    recapitalization", "MAI-Image-1, released in October,", "Microsoft, which invested ..."."""
    recap = rules.recap
    c_start, _ = clause_bounds(text, s_start, s_end, trigger.start, trigger.end, rules)
    if recap.before is not None and recap.before.search(text, c_start, trigger.start):
        return True
    form = trigger.defn.form
    if form in recap.appositive_forms and text[s_start : trigger.start].rstrip().endswith(","):
        return True
    opener = WORD.findall(text[c_start : trigger.start])
    return (form in recap.relative_forms and c_start > s_start and bool(opener)
            and opener[0].lower() in recap.relative_openers)


def dated_before(value: str | None, published: dt.date | None, rules: ClauseRules) -> bool:
    """Whether a date names an earlier fact: a month, season or year wholly before publication
    ("in October", "last month", "in 2019"), or a day or week `min_days` or more before it."""
    if value is None or published is None:
        return False
    span = date_span(value)
    if span is None or span.end >= published:
        return False
    return span.precision not in ("day", "week") or (published - span.end).days >= rules.recap.min_days
