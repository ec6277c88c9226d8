"""The event trigger lexicon: load data/event_triggers.toml and compile it into matchers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.core.config import data_file, read_toml
from kb.core.errors import ConfigError
from kb.core.event_types import EVENT_TYPES

DEFAULT_TRIGGERS = data_file("event_triggers.toml")
ROLES = ("agent", "partner", "object", "product", "participant")
GAP = "..."
# A gap: up to 60 characters inside one clause (no sentence punctuation followed by a space).
GAP_REGEX = r"(?:(?![.;!?]\s)[^\n]){1,60}?"


@dataclass(frozen=True)
class TriggerDef:
    """One surface form of a trigger and what it signals."""

    text: str
    type: str
    priority: int
    strength: float
    weak: bool
    form: str  # base / s / ed / en / ing for verbs, "term" for nouns and fixed phrases
    same_day: bool = False  # a term that reports news of the day ("the new CEO")
    lemma: str = ""  # the entry as written in the lexicon ("add ... to" for "added ... to")


@dataclass(frozen=True)
class EventTypeDef:
    """Settings of one event type."""

    name: str
    priority: int
    strength: float
    after_role: str
    also: tuple[str, ...]


@dataclass(frozen=True)
class ContextSettings:
    """How article context dates undated events and resolves "the company" ([context])."""

    lead_paragraphs: int = 3
    lead_max_days: int = 7
    news_paragraphs: int = 4
    background: re.Pattern[str] | None = None
    subordinators: frozenset[str] = frozenset()
    anaphors: re.Pattern[str] | None = None
    anaphor_kinds: dict[str, str] = field(default_factory=dict)
    antecedent_sentences: int = 3
    present_words: frozenset[str] = frozenset()


@dataclass
class EventLexicon:
    """Compiled triggers and cues."""

    types: dict[str, EventTypeDef]
    triggers: dict[str, TriggerDef]
    hedge_near: re.Pattern[str]
    hedge_sentence: re.Pattern[str]
    hedge_case_sensitive: re.Pattern[str] | None
    negation_near: re.Pattern[str]
    not_negation: re.Pattern[str] | None
    denial: re.Pattern[str]
    according_to: re.Pattern[str]
    reported_by: re.Pattern[str]
    speech: re.Pattern[str]
    money_pricing: re.Pattern[str]
    money_strengths: dict[str, float]
    confidence: dict[str, float]
    blockers: dict[str, frozenset[str]] = field(default_factory=dict)
    describers: frozenset[str] = frozenset()  # "ousted OpenAI CEO ...": a description, not news
    describer_after: frozenset[str] = frozenset()
    # First word (lower-case) -> (plain-trigger regex, [(gap regex, definition)]), so the text
    # is scanned word by word instead of trying every alternative at every character.
    dispatch: dict[str, tuple[re.Pattern[str] | None, list[tuple[re.Pattern[str], TriggerDef]]]] = field(
        default_factory=dict)
    skip_sentence: re.Pattern[str] | None = None
    heading_max_words: int = 9
    # Triggers that still count inside a longer name ("OpenAI Group PBC"); others do not
    # ("Khosla Ventures" is no joint venture).
    inside_names: frozenset[str] = frozenset()
    context: ContextSettings = field(default_factory=ContextSettings)

    def lookup(self, surface: str) -> TriggerDef | None:
        """The trigger definition for a matched surface string."""
        return self.triggers.get(normalise(surface))


def normalise(text: str) -> str:
    """Lower-case and collapse whitespace, the key used for trigger lookups."""
    return " ".join(text.lower().split())


def inflect(lemma: str) -> dict[str, str]:
    """Regular English verb forms of `lemma`: base, -s, past, past participle, -ing."""
    vowels = "aeiou"
    if lemma.endswith("e"):
        s, ed, ing = lemma + "s", lemma + "d", lemma[:-1] + "ing"
    elif len(lemma) > 1 and lemma.endswith("y") and lemma[-2] not in vowels:
        s, ed, ing = lemma[:-1] + "ies", lemma[:-1] + "ied", lemma + "ing"
    elif lemma.endswith(("s", "sh", "ch", "x", "z")):
        s, ed, ing = lemma + "es", lemma + "ed", lemma + "ing"
    else:
        s, ed, ing = lemma + "s", lemma + "ed", lemma + "ing"
    return {"base": lemma, "s": s, "ed": ed, "en": ed, "ing": ing}


def verb_forms(phrase: str, irregular: dict[str, list[str]]) -> dict[str, str]:
    """Inflect a verb phrase: a whole-phrase override, else its first word."""
    if phrase in irregular:
        s, ed, en, ing = irregular[phrase]
        return {"base": phrase, "s": s, "ed": ed, "en": en, "ing": ing}
    head, _, rest = phrase.partition(" ")
    if head in irregular:
        s, ed, en, ing = irregular[head]
        forms = {"base": head, "s": s, "ed": ed, "en": en, "ing": ing}
    else:
        forms = inflect(head)
    return {form: f"{word} {rest}".strip() for form, word in forms.items()}


def phrase_regex(phrase: str) -> str:
    """A regex for a phrase: words separated by any whitespace, "..." as a short gap."""
    parts = []
    for piece in phrase.split(GAP):
        words = piece.split()
        if words:
            parts.append(r"\s+".join(re.escape(w) for w in words))
    return (r"\s+" + GAP_REGEX + r"\s+").join(parts) if GAP in phrase else parts[0]


def alternation(phrases: list[str], flags: int = re.IGNORECASE) -> re.Pattern[str]:
    """One regex matching any phrase on word boundaries, longest first."""
    ordered = sorted(set(phrases), key=lambda p: (-len(p), p))
    body = "|".join(phrase_regex(p) for p in ordered) or r"(?!x)x"
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", flags)


FIRST_WORD = re.compile(r"\w+")


def first_word(phrase: str) -> str:
    """The dispatch key of a phrase: its leading run of word characters, lower-case."""
    m = FIRST_WORD.match(phrase)
    return m.group(0).lower() if m else ""


def build_dispatch(plain: list[str], gaps: list[TriggerDef]) -> dict:
    """Group trigger regexes by first word."""
    by_word: dict[str, list[str]] = {}
    for phrase in plain:
        by_word.setdefault(first_word(phrase), []).append(phrase)
    gap_by_word: dict[str, list[tuple[re.Pattern[str], TriggerDef]]] = {}
    for defn in gaps:
        pattern = re.compile(phrase_regex(defn.text) + r"(?![\w-])", re.IGNORECASE)
        gap_by_word.setdefault(first_word(defn.text), []).append((pattern, defn))
    return {
        word: (alternation(by_word[word]) if word in by_word else None, gap_by_word.get(word, []))
        for word in set(by_word) | set(gap_by_word)
    }


def load_lexicon(path: str | Path | None = None) -> EventLexicon:
    """Load and compile the trigger lexicon (ConfigError on a bad file)."""
    path = Path(path or DEFAULT_TRIGGERS)
    data = read_toml(path)
    try:
        return compile_lexicon(data)
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise ConfigError(f"{path}: invalid trigger lexicon: {exc}") from exc


def _entries(items: list[Any]) -> list[dict[str, Any]]:
    return [item if isinstance(item, dict) else {"text": item} for item in items]


def compile_lexicon(data: dict[str, Any]) -> EventLexicon:
    """Build an EventLexicon from the parsed TOML document."""
    irregular = {k: list(v) for k, v in data.get("inflections", {}).items()}
    types: dict[str, EventTypeDef] = {}
    triggers: dict[str, TriggerDef] = {}
    gap_triggers: list[TriggerDef] = []
    weak_factor = float(data.get("confidence", {}).get("weak_factor", 0.5))

    def add(defn: TriggerDef) -> None:
        key = normalise(defn.text)
        old = triggers.get(key)
        # A strong reading of a surface beats a weak one; otherwise the first definition stays.
        if old is None or (old.weak and not defn.weak):
            triggers[key] = defn

    for name, spec in data["types"].items():
        if name not in EVENT_TYPES:
            raise ValueError(f"unknown event type {name!r} (expected one of {', '.join(EVENT_TYPES)})")
        after_role = spec.get("after_role", "object")
        if after_role not in ROLES:
            raise ValueError(f"{name}: after_role {after_role!r} is not a role")
        etype = EventTypeDef(
            name=name,
            priority=int(spec["priority"]),
            strength=float(spec["strength"]),
            after_role=after_role,
            also=tuple(spec.get("also", [])),
        )
        unknown = [t for t in etype.also if t not in EVENT_TYPES]
        if unknown:
            raise ValueError(f"{name}: `also` names unknown types {unknown}")
        types[name] = etype
        for weak, key in ((False, "verbs"), (False, "terms"), (True, "weak")):
            for entry in _entries(spec.get(key, [])):
                text = entry["text"]
                priority = int(entry.get("priority", etype.priority))
                strength = float(entry.get("strength", etype.strength))
                if weak:
                    strength *= weak_factor
                is_verb = entry.get("verb", key == "verbs")
                if is_verb:
                    surfaces = verb_forms(text, irregular).items()
                elif key == "weak" and " " not in text and text in irregular:
                    surfaces = verb_forms(text, irregular).items()
                else:
                    surfaces = [("term", text)]
                    if " " not in text and GAP not in text and not text.endswith("s"):
                        surfaces.append(("term", text + "s"))
                for form, surface in surfaces:
                    defn = TriggerDef(surface, name, priority, strength, weak, form,
                                      bool(entry.get("same_day", False)), normalise(text))
                    if GAP in surface:
                        gap_triggers.append(defn)
                    else:
                        add(defn)

    plain = [d.text for d in triggers.values()]

    hedge = data.get("hedge", {})
    case_sensitive = set(hedge.get("case_sensitive", []))
    near = [c for c in hedge.get("near", []) if c not in case_sensitive]
    attribution = data.get("attribution", {})
    money = data.get("money", {})
    sentences = data.get("sentences", {})
    return EventLexicon(
        types=types,
        triggers=triggers,
        hedge_near=alternation(near),
        hedge_sentence=alternation(hedge.get("sentence", [])),
        hedge_case_sensitive=alternation(sorted(case_sensitive), flags=0) if case_sensitive else None,
        negation_near=re.compile(
            alternation([c for c in data.get("negation", {}).get("near", []) if c != "n't"]).pattern
            + r"|n't\b",
            re.IGNORECASE,
        ),
        not_negation=(
            alternation(data["negation"]["change"]) if data.get("negation", {}).get("change") else None
        ),
        denial=alternation(data.get("denial", {}).get("sentence", [])),
        according_to=alternation(attribution.get("according_to", ["according to"])),
        reported_by=alternation(attribution.get("reported_by", [])),
        speech=alternation(attribution.get("speech", [])),
        money_pricing=re.compile(
            "|".join(re.escape(p) for p in money.get("pricing_patterns", ["per "])), re.IGNORECASE
        ),
        money_strengths={
            "pricing": float(money.get("pricing_strength", 0.6)),
            "investment_boost": float(money.get("investment_boost", 0.05)),
        },
        confidence={k: float(v) for k, v in data.get("confidence", {}).items()},
        blockers={normalise(k): frozenset(w.lower() for w in v)
                  for k, v in data.get("blockers", {}).items()},
        describers=frozenset(w.lower() for w in data.get("describers", {}).get("words", [])),
        describer_after=frozenset(w.lower() for w in data.get("describers", {}).get("after", [])),
        skip_sentence=re.compile("|".join(f"(?:{p})" for p in sentences["skip"]))
        if sentences.get("skip") else None,
        heading_max_words=int(sentences.get("heading_max_words", 9)),
        inside_names=frozenset(normalise(t) for t in data.get("names", {}).get("triggers_inside", [])),
        dispatch=build_dispatch(plain, gap_triggers),
        context=compile_context(data.get("context", {})),
    )


def compile_context(spec: dict[str, Any]) -> ContextSettings:
    """The [context] table: lead size, background cues, clause openers."""
    background = spec.get("background", [])
    kinds = {normalise(phrase): kind for kind, phrases in spec.get("anaphors", {}).items()
             for phrase in phrases}
    unknown = sorted({k for k in kinds.values() if k not in ("org", "orgs", "person")})
    if unknown:
        raise ValueError(f"[context.anaphors]: unknown kinds {unknown} (expected org, orgs, person)")
    return ContextSettings(
        anaphors=alternation(list(kinds)) if kinds else None,
        anaphor_kinds=kinds,
        antecedent_sentences=int(spec.get("antecedent_sentences", 3)),
        lead_paragraphs=int(spec.get("lead_paragraphs", 3)),
        lead_max_days=int(spec.get("lead_max_days", 7)),
        news_paragraphs=int(spec.get("news_paragraphs", 4)),
        background=alternation(background) if background else None,
        subordinators=frozenset(w.lower() for w in spec.get("subordinators", [])),
        present_words=frozenset(w.lower() for w in spec.get("present_words", [])),
    )
