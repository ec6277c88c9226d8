"""Whether a trigger governs its clause (issue 10: "a trigger counts only when it governs the
entities in its clause"): the words that cancel a trigger, what it must take as its object
("settled the lawsuit", not "settled the ownership question"), who must take part (a person in
a personnel event, a party that is not only the source of the report), and who takes part in a
recalled fact named without a party ("This inquiry, initiated in April 2024, ..."). The rules
are data: [governs] and [participants] of data/event_rules.toml, [blockers] and [describers] of
data/event_triggers.toml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from spacy.tokens import Span

from kb.nlp.events.dating import choose_timex
from kb.nlp.events.lexicon import GAP, EventLexicon, normalise
from kb.nlp.events.sentence_parts import (
    AMOUNT_LABELS,
    DETERMINERS,
    PARTY_LABELS,
    WORD,
    Attribution,
    Mention,
    Trigger,
    words_before,
)

NOUN_MARKERS = DETERMINERS | frozenset({
    "of", "in", "for", "with", "on", "two", "three", "several", "some", "many", "earlier", "new",
    "recent", "first", "latest", "next", "upcoming", "these", "those", "any", "no", "own",
})
RELATIVE_WORDS = frozenset({"which", "who", "whose"})
ONGOING = frozenset({("has", "been"), ("have", "been"), ("had", "been")})
OF_FOLLOWS = re.compile(r"\s+of\b")
NOUN_FOLLOWS = re.compile(r"\s*(?:[,;:.!?)]|of\b)")
DESCRIBED = re.compile(r" [A-Z]")  # a capitalised name or title right after the word
CLAUSE_STOP = re.compile(r"[,;:.!?—()]")
TOKEN = re.compile(r"\S+")
# A participle and a date right after a noun trigger: "inquiry launched in April", "inquiry, initiated in".
PARTICIPLE_DATE = re.compile(r"\s*,?\s*[a-z]+(?:ed|en)\s+(?:in|on|at|during|last|earlier|this)?\s*")
ATTACHED = re.compile(r"(?:['’]s)?\s+(?:[\w$.-]+\s+){0,2}")  # "'s ", " ", "'s $1 billion "
OPENING = re.compile(r"[\s\"“‘'(]*")  # opening quotes before a sentence's first word
# Who may take part in an event: named parties and products (a law or a date is no party).
TAKING_PART = PARTY_LABELS | {"PRODUCT"}


@dataclass(frozen=True)
class GovernRule:
    """What one trigger must govern ([governs."lemma"] of data/event_rules.toml)."""

    objects: tuple[str, ...] = ()   # words or phrases, one of which must follow it
    labels: frozenset[str] = frozenset()  # ... or an entity of one of these labels
    words: int = 6                  # how far after it (in its clause)
    inside: bool = False            # look in the gap of a gapped trigger instead
    not_inside: frozenset[str] = frozenset()  # words of the gap that cancel it


def compile_governs(spec: dict[str, Any]) -> dict[str, GovernRule]:
    """The [governs] table: trigger lemma -> GovernRule."""
    found = {}
    for lemma, rule in spec.items():
        unknown = sorted(set(rule) - {"objects", "labels", "words", "inside", "not_inside"})
        if unknown:
            raise ValueError(f"[governs.{lemma!r}]: unknown keys {unknown}")
        found[normalise(lemma)] = GovernRule(
            objects=tuple(normalise(o) for o in rule.get("objects", [])),
            labels=frozenset(rule.get("labels", [])),
            words=int(rule.get("words", 6)),
            inside=bool(rule.get("inside", False)),
            not_inside=frozenset(w.lower() for w in rule.get("not_inside", [])),
        )
    return found


def governed_span(text: str, s_end: int, hit: Trigger, rule: GovernRule) -> tuple[int, int]:
    """Where a trigger's object is looked for: the gap of a gapped trigger, else the words after
    it up to the end of its clause."""
    if rule.inside and GAP in hit.defn.text:
        head, _, tail = hit.defn.text.partition(GAP)
        tokens = list(TOKEN.finditer(text, hit.start, hit.end))
        first, last = len(head.split()), len(tail.split())
        if len(tokens) <= first + last:
            return hit.end, hit.end
        return tokens[first].start(), tokens[len(tokens) - last - 1].end()
    stop = CLAUSE_STOP.search(text, hit.end, s_end)
    end = stop.start() if stop else s_end
    words = list(WORD.finditer(text, hit.end, end))[: rule.words]
    return hit.end, (words[-1].end() if words else hit.end)


def governs(text: str, s_end: int, hit: Trigger, ents: list[Span], rules: dict[str, GovernRule]) -> bool:
    """Whether a trigger takes what its rule asks for ("added Anthropic's Claude models to": a
    product in the gap; "settled the lawsuit": a legal object); triggers without a rule do."""
    rule = rules.get(hit.defn.lemma)
    if rule is None:
        return True
    start, end = governed_span(text, s_end, hit, rule)
    words = [w.lower() for w in WORD.findall(text[start:end])]
    if rule.not_inside and rule.not_inside & set(words):
        return False  # "opened the door for OpenAI to": an idiom, not a product opened
    if not rule.objects and not rule.labels:
        return True
    joined = f" {' '.join(words)} "
    if any(f" {o} " in joined for o in rule.objects):
        return True
    return any(e.label_ in rule.labels and start <= e.start_char < max(end, start + 1) for e in ents)


def keep_trigger(text: str, s_start: int, hit: Trigger, timexes: list[Any],
                 quotes: list[tuple[int, int]], lexicon: EventLexicon) -> bool:
    """Drop triggers inside quotations (commentary) unless a denial is quoted, blocked ones
    ("remain available"), and noun uses of verbs ("the pace of releases") without a date."""
    if any(q_start <= hit.start < q_end for q_start, q_end in quotes):
        sentence_end = text.find("\n", hit.start)
        if not lexicon.denial.search(text, s_start, len(text) if sentence_end == -1 else sentence_end):
            return False
    prev = words_before(text, hit.start, 1, s_start)
    blockers = lexicon.blockers.get(hit.defn.text.lower())
    if blockers and prev and prev[-1] in blockers and not (hit.defn.form == "term"
                                                         and OF_FOLLOWS.match(text, hit.end)):
        return False  # "the departure" was told before; "the departure of its CTO" says whose
    if normalise(hit.text) in lexicon.describers and DESCRIBED.match(text, hit.end):
        clause_start = text[s_start:hit.start].rstrip().endswith((",", ";", ":", "(", "—"))
        possessive = prev and prev[-1].endswith(("'s", "’s"))
        if not prev or clause_start or possessive or prev[-1] in lexicon.describer_after:
            return False  # "ousted OpenAI CEO Sam Altman": who he is, not what happened
    if hit.defn.weak:
        if hit.text[:1].isupper() and prev and not text[s_start:hit.start].rstrip().endswith((".", ":", "—")):
            return False  # "Grok 3 Preview": a word of a name, written as one
        # "the filing" points back at something already reported; "which commits it to",
        # "a structure that left" describe, they do not report.
        if prev and prev[-1] == "the":
            return False
        if RELATIVE_WORDS & set(words_before(text, hit.start, 3, s_start)) or prev[-1:] == ["that"]:
            return False
    if hit.defn.form == "ing" and tuple(words_before(text, hit.start, 2, s_start)) in ONGOING:
        return False  # "has been adding other companies' models": an activity, not a fact
    if hit.defn.form == "s" and NOUN_FOLLOWS.match(text, hit.end):
        return False  # "Unlike earlier releases, ...": a plural noun, not a verb
    if hit.defn.form in ("base", "s") and prev and (prev[-1] in NOUN_MARKERS or prev[-1].isdigit()):
        return any(tx.type in ("DATE", "TIME") and tx.value and tx.value[:1].isdigit() for tx in timexes)
    return True


def negated_trigger(text: str, s_start: int, trigger: Trigger, lexicon: EventLexicon) -> bool:
    """Whether a negation stands in the few words before a trigger, in its own clause."""
    begin = max(s_start, *(text.rfind(p, s_start, trigger.start) + 1 for p in ",;:—"))
    window = " ".join(words_before(text, trigger.start, 6, begin))
    if lexicon.not_negation is not None:
        window = lexicon.not_negation.sub(" ", window)
    return bool(lexicon.negation_near.search(window))


def inside_name(hit: Trigger, ents: list[Span], allowed: frozenset[str]) -> bool:
    """Whether a trigger is a word of a longer name ("Ventures" in "Khosla Ventures"), unless
    the name tells the news itself (`allowed`: "PBC" in "OpenAI Group PBC")."""
    if hit.defn.text.lower() in allowed or normalise(hit.text) in allowed:
        return False
    first = hit.start + len(hit.text.split(None, 1)[0])  # a gap trigger opening in a name: "Open AI's ... to"
    return any(e.start_char <= hit.start and (first < e.end_char < hit.end or (
               hit.end <= e.end_char and e.end_char - e.start_char > hit.end - hit.start))
               for e in ents if e.label_ not in AMOUNT_LABELS)


DEFINITE = frozenset({"the", "this", "that", "these", "those"})


def told_key(hit: Trigger) -> str:
    """What a noun trigger names, singular ("agreements" and "agreement" name one thing)."""
    return normalise(hit.defn.text).removesuffix("s")


def refers_back(text: str, s_start: int, hit: Trigger, told: set[str], dated: bool,
                ents: list[Span]) -> bool:
    """Whether a definite noun trigger without a date of its own names a fact its article has
    told already ("The agreement preserves key elements ..." after "reached a new agreement"):
    a mention of that fact, not a new one. A name ("the CMA") is no description."""
    if hit.defn.form != "term" or dated or told_key(hit) not in told:
        return False
    if any(e.start_char < hit.end and hit.start < e.end_char for e in ents if e.label_ not in AMOUNT_LABELS):
        return False
    prev = words_before(text, hit.start, 1, s_start)
    return bool(prev) and prev[-1] in DEFINITE


@dataclass(frozen=True)
class PartyRules:
    """Who must take part ([participants] of data/event_rules.toml)."""

    unnamed_party_types: frozenset[str] = frozenset()  # may stand with no party ("The court ruled")
    amount_alone_types: frozenset[str] = frozenset()   # may stand on an amount alone
    context_party_types: frozenset[str] = frozenset()  # with an amount, the article's company
    not_persons_only: frozenset[str] = frozenset()     # need a party that is not a person
    needs_person: frozenset[str] = frozenset()         # need a person, named or not
    person_words: re.Pattern[str] | None = None         # people not named ("three researchers")
    recalled_sentences: int = 3  # how far back a recalled fact looks for its parties


def recalled_parties(hit: Trigger, s_index: int, earlier: list[dict], known: dict[str, Mention],
                     back: int) -> list[Mention]:
    """The parties of a recalled fact named without one ("This follows an initial inquiry
    launched in April"): those of the last event of its type told in the `back` sentences before."""
    for event in reversed(earlier):
        if event["sentence_index"] < s_index - back:
            break
        if event["type"] == hit.defn.type and event["sentence_index"] < s_index:
            return [Mention(hit.start, hit.start, name, known[name].label, name, known[name].known)
                    for name in event["entities"] if name in known]
    return []


def take_parties(sentence: str, hits: list[Trigger], mentions: list[Mention], excluded: frozenset[int],
                 money: bool, recalled: dict[int, bool], borrow: Any, company: Any,
                 rules: PartyRules) -> tuple[list[Trigger], list[Mention]]:
    """The triggers whose participants fit their type, and the sentence's mentions with the
    parties a recalled fact borrows appended (so attribution indices stay valid). `recalled`
    maps a trigger's start to whether it names its fact with a date attached ("last year's
    recapitalization": it may stand alone); `borrow(hit)` returns the parties it refers to, and
    `company(hit)` the company the article is about ("Each tap costs $2.25": its price)."""
    parties = [m for i, m in enumerate(mentions) if i not in excluded and m.label in TAKING_PART]
    if rules.not_persons_only and parties and all(m.label == "PERSON" for m in parties):
        hits = [h for h in hits if h.defn.type not in rules.not_persons_only]
    # An unknown name may be a person the entity rules could not label ("Dana Whitfield").
    if rules.needs_person and not any(m.label == "PERSON" or not m.known for m in parties) and not (
            rules.person_words is not None and rules.person_words.search(sentence)):
        hits = [h for h in hits if h.defn.type not in rules.needs_person]
    if parties:
        return hits, mentions
    kept, added = [], []
    for h in hits:
        if h.defn.type in rules.unnamed_party_types and not h.defn.weak:
            # "The lawsuit states that ...": the parties of the lawsuit just told, if any.
            kept.append(h)
            added.extend(m for m in borrow(h) if all(a.name != m.name for a in added))
        elif h.defn.type in rules.amount_alone_types and money:
            kept.append(h)
        elif h.defn.type in rules.context_party_types and money:
            found = company(h)
            if found:
                kept.append(h)
                added.extend(m for m in found if all(a.name != m.name for a in added))
        elif h.start in recalled:
            found = borrow(h)
            if found or recalled[h.start]:
                kept.append(h)
                added.extend(m for m in found if all(a.name != m.name for a in added))
    return kept, mentions + added


def attached_date(text: str, timexes: list[Any], trigger: Trigger) -> Any | None:
    """A date right before a trigger that names the fact ("last year's recapitalization", "its
    2019 investment"), even after a period bound ("since") that keeps it from dating a clause."""
    for tx in timexes:
        if (tx.type == "DATE" and tx.value and tx.value[:1].isdigit() and tx.end <= trigger.start
                and ATTACHED.fullmatch(text, tx.end, trigger.start)):
            return tx
    return None


def recalled_facts(text: str, s_start: int, hits: list[Trigger], timexes: list[Any],
                   attribution: Attribution | None, lexicon: EventLexicon) -> dict[int, bool]:
    """Noun triggers that name a recalled fact with its date, by a participle ("an initial inquiry
    launched in April") or opening their sentence with the date attached ("Last year's
    recapitalization settled ..."): start -> whether it may stand without a party (the latter)."""
    found = {}
    head = OPENING.match(text, s_start).end()
    for h in hits:
        if h.defn.form != "term" or h.defn.weak:
            continue
        tx = choose_timex(text, timexes, h, attribution, lexicon.context.subordinators)
        if tx is None or tx.type != "DATE" or not tx.value[:1].isdigit():
            continue
        attached = attached_date(text, timexes, h)
        if attached is not None and attached.start == head:
            found[h.start] = True
        elif tx.start > h.end and PARTICIPLE_DATE.fullmatch(text, h.end, tx.start):
            found[h.start] = False  # "a first inquiry opened in April": the fact is told
    return found


def own_date(text: str, timexes: list[Any], hit: Trigger, lexicon: EventLexicon) -> bool:
    """Whether a trigger has a calendar date of its own."""
    tx = choose_timex(text, timexes, hit, None, lexicon.context.subordinators)
    return tx is not None and tx.value[:1].isdigit()
