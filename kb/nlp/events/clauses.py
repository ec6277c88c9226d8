"""Which clauses state facts: a trigger's clause, the kinds of clause that make no event
(questions, conditionals, opinion, allegations, plans, generic and background statements) and
the clauses that recall an earlier fact (recaps). The rules are data: data/event_rules.toml."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.core.config import data_file, read_toml
from kb.core.errors import ConfigError
from kb.core.event_types import EVENT_TYPES
from kb.dates.spans import date_span
from kb.nlp.events.follows import comes_after
from kb.nlp.events.governance import OPENING, GovernRule, PartyRules, compile_governs
from kb.nlp.events.lexicon import normalise
from kb.nlp.events.sentence_parts import WORD, Trigger
from kb.nlp.regex_trie import trie_regex

DEFAULT_RULES = data_file("event_rules.toml")
CUE_SCOPES = ("sentence_start", "clause_start", "before", "earlier", "sentence", "requires", "unless")


@dataclass(frozen=True)
class KindRule:
    """One kind of clause that makes no event, and the scopes its cues count in."""

    name: str
    label: str  # the kind a context clause is returned with
    scopes: frozenset[str]  # the scopes the kind has cues for
    ends_with: tuple[str, ...]
    only_types: frozenset[str]
    skip_types: frozenset[str]
    lower_case: bool = False  # its cues count only written in lower case ("may", not the month)
    not_in_reports: bool = False  # a sourced rumour or a denial keeps its events whatever its cues


@dataclass(frozen=True)
class RecapRules:
    """How a clause recalling an earlier fact is told ([recap])."""

    min_days: int
    appositive_forms: frozenset[str]
    relative_openers: frozenset[str]
    relative_forms: frozenset[str]
    reason_openers: frozenset[str] = frozenset()
    possessive_amount: bool = False
    follow_verbs: frozenset[str] = frozenset()  # "comes" in "This comes two days after X was fired"
    follow_gap: int = 3  # words at most between such a verb and "after"
    told_again_types: frozenset[str] = frozenset()  # a definite noun of these types still counts


@dataclass(frozen=True)
class ClauseRules:
    """The compiled data/event_rules.toml. Every cue phrase of every kind is in one regex
    (`cues`), so a sentence is scanned once; `roles` tells what each phrase is a cue of."""

    boundary: re.Pattern[str]
    openers: frozenset[str]
    cues: re.Pattern[str]
    roles: dict[str, tuple[tuple[str, str], ...]]  # phrase -> ((kind, scope), ...)
    kinds: tuple[KindRule, ...]
    legal_types: frozenset[str]
    legal_kinds: frozenset[str]
    recap: RecapRules
    parties: PartyRules
    scheduled_kind: str | None = None  # the context kind of a trigger dated after publication
    amount_types: frozenset[str] = frozenset()  # types that need an amount in their sentence
    governs: dict[str, GovernRule] = field(default_factory=dict)  # what a trigger must govern


RUMOUR = "rumour"  # the pseudo-kind of [clauses] rumour cues
RECAP = "recap"    # ... and of [recap] before cues


def cue_regex(phrases: list[str]) -> re.Pattern[str]:
    """One case-insensitive regex for lower-case phrases on word boundaries, shaped like a trie
    (kb.nlp.regex_trie) so a sentence is scanned once, longest phrase first."""
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for ch in phrase:
            node = node.setdefault(r"\s+" if ch == " " else re.escape(ch), {})
        node[""] = {}
    body = trie_regex(trie) or r"(?!x)x"
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)


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
    roles: dict[str, list[tuple[str, str]]] = {}

    def add(phrases: list[str], kind: str, scope: str) -> None:
        for phrase in phrases:
            roles.setdefault(normalise(phrase), []).append((kind, scope))

    kinds = []
    for name, spec in data.get("kinds", {}).items():
        unknown = sorted(set(spec) - {*CUE_SCOPES, "ends_with", "only_types", "skip_types", "as",
                                       "lower_case", "not_in_reports"})
        if unknown:
            raise ValueError(f"[kinds.{name}]: unknown keys {unknown}")
        for scope in CUE_SCOPES:
            add(list(spec.get(scope, [])), name, scope)
        kinds.append(KindRule(
            name=name,
            label=str(spec.get("as", name)),
            scopes=frozenset(scope for scope in CUE_SCOPES if spec.get(scope)),
            ends_with=tuple(spec.get("ends_with", [])),
            only_types=_types(spec.get("only_types", []), f"[kinds.{name}] only_types"),
            skip_types=_types(spec.get("skip_types", []), f"[kinds.{name}] skip_types"),
            lower_case=bool(spec.get("lower_case", False)),
            not_in_reports=bool(spec.get("not_in_reports", False)),
        ))
    add(list(clauses.get("rumour", [])), RUMOUR, "sentence")
    legal = data.get("legal_forward", {})
    recap = data.get("recap", {})
    add(list(recap.get("before", [])), RECAP, "before")
    add(list(recap.get("earlier", [])), RECAP, "earlier")
    participants = data.get("participants", {})

    def types_of(key: str) -> frozenset[str]:
        return _types(participants.get(key, []), f"[participants] {key}")
    return ClauseRules(
        boundary=boundary,
        openers=frozenset(w.lower() for w in clauses.get("openers", [])),
        cues=cue_regex(list(roles)),
        roles={phrase: tuple(found) for phrase, found in roles.items()},
        kinds=tuple(kinds),
        legal_types=_types(legal.get("types", []), "[legal_forward] types"),
        legal_kinds=frozenset(legal.get("kinds", [])),
        recap=RecapRules(
            min_days=int(recap.get("min_days", 8)),
            appositive_forms=frozenset(recap.get("appositive_forms", [])),
            relative_openers=frozenset(w.lower() for w in recap.get("relative_openers", [])),
            relative_forms=frozenset(recap.get("relative_forms", [])),
            reason_openers=frozenset(w.lower() for w in recap.get("reason_openers", [])),
            possessive_amount=bool(recap.get("possessive_amount", False)),
            follow_verbs=frozenset(w.lower() for w in recap.get("follow_verbs", [])),
            follow_gap=int(recap.get("follow_gap", 3)),
            told_again_types=_types(recap.get("told_again_types", []), "[recap] told_again_types"),
        ),
        parties=PartyRules(
            unnamed_party_types=types_of("unnamed_party_types"),
            amount_alone_types=types_of("amount_alone_types"),
            context_party_types=types_of("context_party_types"),
            not_persons_only=types_of("not_persons_only"),
            needs_person=types_of("needs_person"),
            person_words=cue_regex([normalise(w) for w in participants.get("person_words", [])])
            if participants.get("person_words") else None,
            recalled_sentences=int(participants.get("recalled_sentences", 3)),
        ),
        scheduled_kind=data.get("scheduled", {}).get("kind"),
        amount_types=types_of("amount_types"),
        governs=compile_governs(data.get("governs", {})),
    )


def load_rules(path: str | Path | None = None) -> ClauseRules:
    """Load and compile the clause rules (ConfigError on a bad file)."""
    path = Path(path or DEFAULT_RULES)
    try:
        return compile_rules(read_toml(path))
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise ConfigError(f"{path}: invalid event rules: {exc}") from exc


def clause_start(text: str, s_start: int, start: int, rules: ClauseRules) -> int:
    """Where the clause holding text[start] begins: after the last boundary before it, or at
    the last clause opener ("that", "which", "if" ...) after that boundary."""
    c_start = s_start
    for m in rules.boundary.finditer(text, s_start, start):
        c_start = m.end()
    for m in WORD.finditer(text, c_start, start):
        if m.group(0).lower() in rules.openers:
            c_start = m.start()
    return c_start


@dataclass
class SentenceCues:
    """The cue phrases of one sentence, found in one scan: (start, end, (kind, scope)...)."""

    text: str
    start: int
    end: int
    found: list[tuple[int, int, tuple[tuple[str, str], ...]]]
    ends: frozenset[str]  # the kinds whose ends_with the sentence ends with
    head: int  # where the sentence's words begin (after opening quotes)

    def has(self, kind: str, scope: str, lo: int = -1, hi: int | None = None, at: int | None = None,
            lower_case: bool = False) -> bool:
        """Whether a cue of (kind, scope) lies within [lo, hi) (or starts at `at`); with
        `lower_case`, only a cue written in lower case counts."""
        for c_start, c_end, roles in self.found:
            if (kind, scope) not in roles:
                continue
            if lower_case and not self.text[c_start:c_end].islower():
                continue
            if at is not None:
                if c_start == at:
                    return True
            elif c_start >= lo and (hi is None or c_end <= hi):
                return True
        return False

    def rumour(self) -> bool:
        return self.has(RUMOUR, "sentence")


def sentence_cues(text: str, s_start: int, s_end: int, rules: ClauseRules) -> SentenceCues:
    """Scan a sentence once for every cue of the rules."""
    found = [(m.start(), m.end(), rules.roles.get(normalise(m.group(0)), ()))
             for m in rules.cues.finditer(text, s_start, s_end)]
    tail = text[max(s_start, s_end - 3) : s_end].rstrip()
    ends = frozenset(k.name for k in rules.kinds if k.ends_with and tail.endswith(k.ends_with))
    return SentenceCues(text, s_start, s_end, found, ends, OPENING.match(text, s_start, s_end).end())


def _fits(kind: KindRule, cues: SentenceCues, c_start: int, trigger: Trigger) -> bool:
    name, scopes, low = kind.name, kind.scopes, kind.lower_case
    hit = (
        name in cues.ends
        or ("sentence_start" in scopes and cues.has(name, "sentence_start", at=cues.head, lower_case=low))
        or ("clause_start" in scopes and c_start > cues.start
            and cues.has(name, "clause_start", at=OPENING.match(cues.text, c_start, trigger.start).end(),
                         lower_case=low))
        or ("before" in scopes and cues.has(name, "before", c_start, trigger.start, lower_case=low))
        or ("earlier" in scopes and cues.has(name, "earlier", cues.start, trigger.start, lower_case=low))
        or ("sentence" in scopes and cues.has(name, "sentence", lower_case=low))
    )
    if not hit:
        return False
    if "requires" in scopes and not cues.has(name, "requires"):
        return False
    return not ("unless" in scopes and cues.has(name, "unless"))


def clause_kind(cues: SentenceCues, trigger: Trigger, reported: bool, rules: ClauseRules) -> str | None:
    """The kind of the trigger's clause when it states no fact ("question", "conditional",
    "opinion", "allegation", "plan", "generic", "background", or "legal_forward" for a legal
    risk ahead), else None: the trigger makes an event. In a `reported` sentence (a sourced
    rumour or a denial) plan cues do not count: its events stay, hedged or denied."""
    if not cues.found and not cues.ends:
        return None
    c_start = clause_start(cues.text, cues.start, trigger.start, rules)
    kind_type = trigger.defn.type
    for kind in rules.kinds:
        if kind.only_types and kind_type not in kind.only_types:
            continue
        if kind_type in kind.skip_types or (kind.not_in_reports and reported):
            continue
        if not _fits(kind, cues, c_start, trigger):
            continue
        if kind_type in rules.legal_types and kind.name in rules.legal_kinds:
            return "legal_forward"
        return kind.label
    return None


# A possessive and an amount right before a noun trigger: "Microsoft's $13 billion investment",
# "its reported $10 billion partnership" name a fact told before.
POSSESSIVE_AMOUNT = re.compile(
    r"(?:['’]s|\b(?:its|their|his|her))\s+(?:[A-Za-z-]+\s+)?(?:US|C|A)?[$£€]\s?\d[\d.,]*"
    r"(?:\s*(?:billion|million|trillion|bn|m)\b)?(?:-dollar)?\s+(?:[A-Za-z-]+\s+)?$", re.IGNORECASE)


def recalls_earlier(cues: SentenceCues, trigger: Trigger, rules: ClauseRules,
                    name_ends: frozenset[int] = frozenset()) -> bool:
    """Whether the trigger's clause recalls an earlier fact by its form: "last year's
    recapitalization", "MAI-Image-1, released in October," (a participle right after a name
    ending at one of `name_ends` and a comma), "Microsoft, which invested ..."."""
    recap, text = rules.recap, cues.text
    c_start = clause_start(text, cues.start, trigger.start, rules)
    if cues.has(RECAP, "before", c_start, trigger.start) or cues.has(RECAP, "earlier", cues.start,
                                                                      trigger.start):
        return True
    form = trigger.defn.form
    before = text[cues.start : trigger.start].rstrip()
    if form in recap.appositive_forms and before.endswith(",") and cues.start + len(before) - 1 in name_ends:
        return True
    opener = WORD.findall(text[c_start : trigger.start])
    first = opener[0].lower() if opener and c_start > cues.start else None
    if first in recap.reason_openers:
        return True  # "since the software giant invested"
    if recap.follow_verbs and comes_after(text, cues.start, c_start, recap.follow_verbs, recap.follow_gap):
        return True  # "comes after sharper questions", "comes two days after the board fired Altman"
    if recap.possessive_amount and form == "term" and POSSESSIVE_AMOUNT.search(text, c_start, trigger.start):
        return True  # "Microsoft's reported $13 billion investment"
    return form in recap.relative_forms and first in recap.relative_openers


def dated_after(value: str | None, published: dt.date | None) -> bool:
    """Whether a date lies wholly after the publication day: a deadline or a schedule, not a fact."""
    if value is None or published is None:
        return False
    span = date_span(value)
    return span is not None and span.start > published


def dated_before(value: str | None, published: dt.date | None, rules: ClauseRules) -> bool:
    """Whether a date names an earlier fact: a month, season or year wholly before publication
    ("in October", "last month", "in 2019"), or a day or week `min_days` or more before it."""
    if value is None or published is None:
        return False
    span = date_span(value)
    if span is None or span.end >= published:
        return False
    return span.precision not in ("day", "week") or (published - span.end).days >= rules.recap.min_days
