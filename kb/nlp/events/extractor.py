"""The kb_events pipeline component: typed, dated events with roles, hedging and attribution."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from spacy.attrs import IDX, SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span

from kb.dates.spans import PRECISION_RANK
from kb.nlp.doc_text import doc_text
from kb.nlp.events.context import (
    BLOCKED,
    INHERIT,
    OWN,
    SAME_DAY,
    Antecedent,
    EntityContext,
    apply_context_dates,
    find_anaphor,
    lead_date,
    lead_paragraphs,
    paragraph_starts,
)
from kb.nlp.events.lexicon import EventLexicon, TriggerDef, load_lexicon

# Entity labels that are amounts, not participants.
AMOUNT_LABELS = frozenset({"MONEY", "PERCENT", "QUANTITY", "CARDINAL", "ORDINAL", "DATE", "TIME"})
PARTY_LABELS = frozenset({"ORG", "PERSON", "NORP", "GPE"})
ROLE_RANK = {"agent": 0, "partner": 1, "object": 2, "product": 3, "participant": 4}
YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b|\b\d{4}-\d\d")
WORD = re.compile(r"[\w'’-]+")
WORD_START = re.compile(r"\w+")
PASSIVE_AUX = frozenset({"was", "were", "been", "being", "is", "are", "be", "get", "got"})
PERFECT_AUX = frozenset({"has", "have", "'s"})
MODALS = frozenset({"to", "will", "would", "could", "may", "might", "should", "can", "must", "shall"})
DETERMINERS = frozenset({"the", "a", "an", "its", "their", "his", "her", "this", "that", "'s", "’s", "our"})
PRESENT_BE = frozenset({"is", "are", "'s", "’s", "'re"})
NOUN_MARKERS = DETERMINERS | frozenset({
    "of", "in", "for", "with", "on", "two", "three", "several", "some", "many", "earlier", "new",
    "recent", "first", "latest", "next", "upcoming", "these", "those", "any", "no",
})
# A timex after one of these words bounds a period ("rights through 2032"), it does not date the event.
PERIOD_BOUND_WORDS = frozenset({"through", "until", "till", "to", "since", "into", "thru"})
# A duration after one of these words is the period an activity filled ("over the past year").
PERIOD_WORDS = frozenset({"over", "for", "during", "within", "throughout", "in"})
# The precisions a date value is told apart by when choosing the event's date, scored larger
# for more precise: kb.dates.spans.PRECISION_RANK reversed (day 4, week 3, month 2, year 1).
_SCORED = sorted(("day", "week", "month", "year"), key=PRECISION_RANK.__getitem__)
PRECISION_SCORE = {precision: len(_SCORED) - i for i, precision in enumerate(_SCORED)}
QUOTE_CHARS = re.compile(r'["“”]')
TERMINAL = re.compile(r'[.!?:"”’)]\s*$')
NOW_WORDS = re.compile(r"\b(?:today|now|this morning|tonight)\b", re.IGNORECASE)
# An anaphoric subject stands at most this many words before its verb ("the companies also signed").
SUBJECT_GAP_WORDS = 3
RELATIVE_WORDS = frozenset({"which", "who", "whose"})
NOUN_FOLLOWS = re.compile(r"\s*(?:[,;:.!?)]|of\b)")
CLAUSE_END = re.compile(r"[,;:.!?—]")
COORDINATION = re.compile(r"^\s*(?:,\s*)?(?:and|&|,)?\s*$")
EVENT_KEYS = (
    "type", "trigger", "date", "date_mod", "date_text", "date_source", "entities", "roles",
    "sentence", "sentence_index", "start", "end", "hedged", "negated", "denial",
    "attributed_to", "confidence",
)


@dataclass
class Trigger:
    """A trigger found in the text."""

    start: int
    end: int
    text: str
    defn: TriggerDef


@dataclass
class Mention:
    """An entity span of the sentence, reduced to what event logic needs."""

    start: int
    end: int
    text: str
    label: str
    name: str
    known: bool


@dataclass
class Attribution:
    """Who a sentence's claim comes from, and which entities only carry the report."""

    name: str | None
    start: int
    end: int
    media: frozenset[int]


def entity_name(span: Span) -> str:
    """Canonical name of an entity span, or its surface text for unknown names."""
    return span.kb_id_ or span.text


def is_candidate(span: Span) -> bool:
    """Whether the span is an unknown-name candidate rather than a gazetteer entity."""
    if Span.has_extension("candidate") and span._.candidate:
        return True
    return not span.kb_id_


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges inside quotation marks; an unclosed quote ends with its paragraph."""
    spans = []
    open_at = None
    for m in QUOTE_CHARS.finditer(text):
        if open_at is not None and "\n" in text[open_at:m.start()]:
            spans.append((open_at, text.index("\n", open_at)))
            open_at = None
        char = m.group(0)
        if open_at is None and char != "”":
            open_at = m.end()
        elif open_at is not None and char != "“":
            spans.append((open_at, m.start()))
            open_at = None
    if open_at is not None:
        end = text.find("\n", open_at)
        spans.append((open_at, len(text) if end == -1 else end))
    return spans


def skip_sentence(sentence: str, lexicon: EventLexicon) -> bool:
    """Editorial notes, boilerplate and headings hold no events."""
    if lexicon.skip_sentence is not None and lexicon.skip_sentence.match(sentence):
        return True
    return not TERMINAL.search(sentence) and len(sentence.split()) <= lexicon.heading_max_words


def find_triggers(text: str, lexicon: EventLexicon) -> list[Trigger]:
    """Every trigger in the text, sorted by position (plain triggers never overlap)."""
    hits = []
    covered_until = 0
    for word in WORD_START.finditer(text):
        entry = lexicon.dispatch.get(word.group(0).lower())
        if entry is None:
            continue
        pos = word.start()
        if pos and (text[pos - 1].isalnum() or text[pos - 1] in "-_"):
            continue
        plain, gaps = entry
        if plain is not None and pos >= covered_until:
            m = plain.match(text, pos)
            defn = lexicon.lookup(m.group(0)) if m else None
            if defn is not None:
                hits.append(Trigger(m.start(), m.end(), m.group(0), defn))
                covered_until = m.end()
        for pattern, defn in gaps:
            m = pattern.match(text, pos)
            if m:
                hits.append(Trigger(m.start(), m.end(), m.group(0), defn))
    hits.sort(key=lambda t: (t.start, -t.end))
    return hits


def words_before(text: str, end: int, count: int, floor: int) -> list[str]:
    """The last `count` words (lower-case) of text[floor:end]."""
    window = text[max(floor, end - 12 * count) : end]
    return [w.lower() for w in WORD.findall(window)][-count:]


def find_attribution(text: str, s_start: int, s_end: int, mentions: list[Mention],
                     lexicon: EventLexicon) -> Attribution | None:
    """The source of a sentence's claim: "according to X", "X reported", "X said"."""
    sentence = text[s_start:s_end]
    for m in lexicon.according_to.finditer(sentence):
        a_start = s_start + m.end()
        stop = re.search(r"[,.;:()]|$", sentence[m.end() :])
        a_end = a_start + (stop.start() if stop else 0)
        inside = [i for i, e in enumerate(mentions) if a_start <= e.start < a_end]
        if inside:
            return Attribution(mentions[inside[0]].name, s_start + m.start(), a_end, frozenset(inside))
        phrase = text[a_start:a_end].strip()
        if phrase:
            return Attribution(" ".join(phrase.split()[:8]), s_start + m.start(), a_end, frozenset())
    for m in lexicon.reported_by.finditer(sentence):
        verb_start = s_start + m.start()
        before = [i for i, e in enumerate(mentions) if 0 <= verb_start - e.end <= 2]
        if before:
            i = before[-1]
            return Attribution(mentions[i].name, mentions[i].start, s_start + m.end(), frozenset({i}))
    for m in lexicon.speech.finditer(sentence):
        verb_start, verb_end = s_start + m.start(), s_start + m.end()
        after = [i for i, e in enumerate(mentions) if 0 <= e.start - verb_end <= 2]
        if after and text[max(s_start, verb_start - 3) : verb_start].strip().endswith(","):
            i = after[0]
            return Attribution(mentions[i].name, verb_start, mentions[i].end, frozenset())
        clause_start = max(s_start, text.rfind(",", s_start, verb_start) + 1, verb_start - 60)
        before = [i for i, e in enumerate(mentions) if clause_start <= e.start and e.end <= verb_start]
        if before:
            return Attribution(mentions[before[-1]].name, mentions[before[0]].start, verb_end, frozenset())
        phrase = WORD.findall(text[clause_start:verb_start])
        if 0 < len(phrase) <= 6 and phrase[-1].lower() not in DETERMINERS and phrase[-1].lower() != "it":
            return Attribution(" ".join(phrase), clause_start, verb_end, frozenset())
    return None


def assign_roles(text: str, trigger: Trigger, mentions: list[Mention], after_role: str,
                 excluded: frozenset[int]) -> dict[str, str]:
    """Roles of the sentence's entities relative to the trigger (position-based)."""
    roles: dict[str, str] = {}

    def put(name: str, role: str) -> None:
        if name not in roles or ROLE_RANK[role] < ROLE_RANK[roles[name]]:
            roles[name] = role

    # An entity that is the trigger ("the Competition and Markets Authority") counts as subject
    # side; one inside a gapped trigger ("lists OpenAI among its competitors") as object side.
    before = [i for i, e in enumerate(mentions) if e.start <= trigger.start and i not in excluded]
    after = [i for i, e in enumerate(mentions) if e.start > trigger.start and i not in excluded]
    prev = words_before(text, trigger.start, 2, 0)
    by_agent = None
    following = text[trigger.end : trigger.end + 40]
    by = re.match(r"\s+(?:\w+\s+)?by\s+", following)
    if by and after and mentions[after[0]].start <= trigger.end + by.end() + 1:
        by_agent = after[0]
    passive = by_agent is not None or (
        trigger.defn.form in ("ed", "en") and bool(prev) and prev[-1] in PASSIVE_AUX
    )
    for i, e in enumerate(mentions):
        if i in excluded:
            continue
        if e.label == "PRODUCT":
            put(e.name, "product")
        elif e.label not in PARTY_LABELS:
            put(e.name, "participant")
    parties_before = [i for i in before if mentions[i].label in PARTY_LABELS]
    if parties_before:
        subject = [parties_before[-1]]
        for i in reversed(parties_before[:-1]):
            between = text[mentions[i].end : mentions[subject[-1]].start]
            if COORDINATION.match(between) or between in ("'s ", "’s "):
                subject.append(i)
            else:
                break
        subject_role = after_role if passive else "agent"
        for i in subject:
            put(mentions[i].name, subject_role)
        for i in parties_before:
            put(mentions[i].name, "participant")
    for i in after:
        if mentions[i].label in PARTY_LABELS:
            put(mentions[i].name, "agent" if i == by_agent else after_role)
    return roles


def timex_precision_rank(value: str) -> int:
    """A larger number for a more precise date value (day > week > month > year)."""
    if len(value) >= 10 and value[4] == "-" and value[7:8] == "-":
        return PRECISION_SCORE["day"]
    if "-W" in value:
        return PRECISION_SCORE["week"]
    if len(value) == 7 and value[4] == "-" and value[5:].isdigit():
        return PRECISION_SCORE["month"]
    return 0 if len(value) < 4 else PRECISION_SCORE["year"]


def in_other_clause(text: str, trigger: Trigger, tx: Any, subordinators: frozenset[str]) -> bool:
    """Whether a timex after the trigger sits in a clause of its own ("the memorandum they
    announced in September", "a right it kept when ... in January")."""
    if tx.start <= trigger.end:
        return False
    words = [w.lower() for w in WORD.findall(text[trigger.end : tx.start])]
    # The word right before the date is a preposition ("before the end of April"), not a clause.
    return any(w in subordinators for w in words[:-1])


def choose_timex(text: str, timexes: list[Any], trigger: Trigger,
                 attribution: Attribution | None, subordinators: frozenset[str] = frozenset()) -> Any | None:
    """The timex governing the trigger: the nearest DATE/TIME (a more precise one a few words
    further wins), avoiding the attribution clause, period bounds ("through 2032") and dates
    of a later subordinate clause."""
    best, best_key = None, None
    for tx in timexes:
        if tx.type not in ("DATE", "TIME") or not tx.value:
            continue
        if not (tx.value[:1].isdigit() or tx.value == "PRESENT_REF"):
            continue
        before = words_before(text, tx.start, 1, 0)
        if before and before[-1] in PERIOD_BOUND_WORDS:
            continue
        if in_other_clause(text, trigger, tx, subordinators):
            continue
        distance = max(tx.start - trigger.end, trigger.start - tx.end, 0)
        in_attribution = attribution is not None and attribution.start <= tx.start < attribution.end
        key = (in_attribution, distance - 20 * timex_precision_rank(tx.value))
        if best_key is None or key < best_key:
            best, best_key = tx, key
    return best


def reports_same_day(text: str, s_start: int, s_end: int, trigger: Trigger) -> bool:
    """Whether the sentence reports a same-day event: present (perfect) tense or "today"/"now"."""
    prev = words_before(text, trigger.start, 3, s_start)
    form = trigger.defn.form
    if NOW_WORDS.search(text, s_start, s_end):
        return True
    if form == "s":
        return True
    if form in ("ed", "en"):
        return any(w in PERFECT_AUX for w in prev[-2:]) and "had" not in prev
    if form == "ing":
        return bool(prev) and prev[-1] in PRESENT_BE
    if form == "base":
        return bool(prev) and prev[-1] not in MODALS and prev[-1] not in DETERMINERS
    if prev and prev[-1] in PRESENT_BE | {"now"}:
        return True
    return trigger.text.lower().startswith(("is ", "are ", "goes ", "now "))


def date_kind(text: str, s_start: int, s_end: int, trigger: Trigger, timexes: list[Any],
              timex: Any | None, hedged: bool, lexicon: EventLexicon) -> str:
    """Where the event's date comes from: its own timex, the story's day (present tense, "now"),
    the context (past or future without a date), or nowhere (hedged or background)."""
    if timex is not None and timex.value != "PRESENT_REF":
        return OWN
    if timex is not None or NOW_WORDS.search(text, s_start, s_end):
        return SAME_DAY
    if hedged or is_background(text, s_start, trigger, timexes, lexicon):
        return BLOCKED
    return SAME_DAY if reports_same_day(text, s_start, s_end, trigger) else INHERIT


def background_clause(text: str, s_start: int, trigger: Trigger, lexicon: EventLexicon) -> bool:
    """Whether the trigger's clause tells background: "already", "still", "had" around the
    trigger, or a past trigger inside a ", which ..." clause."""
    clause_start = max(s_start, text.rfind(",", s_start, trigger.start) + 1)
    stop = CLAUSE_END.search(text, trigger.end, min(len(text), trigger.end + 80))
    clause_end = stop.start() if stop else min(len(text), trigger.end + 80)
    before = " ".join(words_before(text, trigger.start, 6, clause_start))
    after = " ".join(w.lower() for w in WORD.findall(text[trigger.end : clause_end]))
    cues = lexicon.context.background
    if cues is not None and (cues.search(before) or cues.search(after)):
        return True
    opener = WORD.findall(text[clause_start : trigger.start])
    if clause_start > s_start and opener and opener[0].lower() in ("which", "who", "whose"):
        prev = words_before(text, trigger.start, 2, clause_start)
        return trigger.defn.form in ("ed", "en") or any(w in PERFECT_AUX | {"had"} for w in prev)
    return False


def is_background(text: str, s_start: int, trigger: Trigger, timexes: list[Any], lexicon: EventLexicon) -> bool:
    """Background, not news: a background clause, or a sentence dated by a period ("over the
    past year") or by a vague reference ("recently")."""
    if background_clause(text, s_start, trigger, lexicon):
        return True
    for tx in timexes:
        if tx.type in ("DURATION", "SET"):
            before = words_before(text, tx.start, 1, s_start)
            if tx.text.lower().startswith("the ") or (before and before[-1] in PERIOD_WORDS):
                return True
        elif tx.type in ("DATE", "TIME") and tx.value and not tx.value[:1].isdigit() and tx.value != "PRESENT_REF":
            return True
    return False


def confidence_of(trigger: Trigger, mentions: list[Mention], date_source: str, hedged: bool,
                  negated: bool, attributed: bool, weights: dict[str, float]) -> float:
    """Confidence 0..1 of one event mention from trigger, entity and date evidence."""
    score = trigger.defn.strength
    if any(m.known for m in mentions):
        score += weights.get("known_entity", 0.08)
    elif mentions:
        score += weights.get("candidate_only", -0.05)
    if len(mentions) >= 2:
        score += weights.get("second_entity", 0.04)
    score += weights.get(f"date_{date_source}", 0.0)
    if attributed:
        score += weights.get("attributed_bonus", 0.0)
    if hedged:
        score *= weights.get("hedged_factor", 0.6)
    if negated:
        score *= weights.get("negated_factor", 0.7)
    return round(min(max(score, 0.05), 0.99), 3)


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
    if blockers and prev and prev[-1] in blockers:
        return False
    if hit.defn.weak:
        # "the filing" points back at something already reported; "which commits it to",
        # "a structure that left" describe, they do not report.
        if prev and prev[-1] == "the":
            return False
        if RELATIVE_WORDS & set(words_before(text, hit.start, 3, s_start)) or prev[-1:] == ["that"]:
            return False
    if hit.defn.form == "s" and NOUN_FOLLOWS.match(text, hit.end):
        return False  # "Unlike earlier releases, ...": a plural noun, not a verb
    if hit.defn.form in ("base", "s") and prev and (prev[-1] in NOUN_MARKERS or prev[-1].isdigit()):
        return any(tx.type in ("DATE", "TIME") and tx.value and tx.value[:1].isdigit() for tx in timexes)
    return True


def split_same_type(text: str, chosen: list[Trigger], pool: list[Trigger], timexes: list[Any],
                    attribution: Attribution | None, subordinators: frozenset[str]) -> list[Trigger]:
    """Triggers of the chosen type with different governing dates are different events
    ("released X in October ... and shipped Y on April 2"), and so is an undated main clause
    before a dated subordinate one ("the fifth model it has released since it shipped its
    first last August")."""
    first = chosen[0]
    same = sorted((h for h in pool if h.defn.type == first.defn.type and not h.defn.weak),
                  key=lambda h: h.start)
    if len(same) < 2:
        return chosen
    dated: dict[str, Trigger] = {}
    undated = []
    for h in same:
        tx = choose_timex(text, timexes, h, attribution, subordinators)
        if tx is None or tx.value == "PRESENT_REF":
            undated.append(h)
        else:
            dated.setdefault(tx.value, h)
    triggers = list(dated.values())
    if len(triggers) == 1 and triggers[0].defn.form != "term" and undated and undated[0].start < triggers[0].start and any(
            w.lower() in subordinators for w in WORD.findall(text[undated[0].end : triggers[0].start])):
        triggers.insert(0, undated[0])
    if len(triggers) < 2:
        return chosen
    return triggers + chosen[1:]


def resolve_subject(text: str, s_start: int, hits: list[Trigger], mentions: list[Mention],
                    entity_context: EntityContext, floor: int, lexicon: EventLexicon) -> list[Mention]:
    """Add the entities an anaphoric subject stands for ("The companies signed ...": the
    article's two main organisations; "the company", "it": the last one named; "he", "she")."""
    for hit in sorted(hits, key=lambda h: h.start):
        if any(m.label in PARTY_LABELS and m.start < hit.start for m in mentions):
            return mentions
        if hit.defn.form == "term":
            continue  # only the subject of a verb trigger is looked for
        found = find_anaphor(text, max(s_start, hit.start - 40), hit.start, lexicon.context)
        if found is None or len(WORD.findall(text[found[1] : hit.start])) > SUBJECT_GAP_WORDS:
            continue
        a_start, a_end, kind = found
        resolved = [Mention(a_start, a_end, text[a_start:a_end], a.label, a.name, a.known)
                    for a in entity_context.resolve(kind, s_start, floor)]
        return sorted(mentions + resolved, key=lambda m: m.start)
    return mentions


def sentence_events(doc: Doc, s_index: int, s_start: int, s_end: int, hits: list[Trigger],
                    ents: list[Span], timexes: list[Any], lexicon: EventLexicon,
                    quotes: list[tuple[int, int]] = (), text: str | None = None,
                    kinds_out: list[str] | None = None, entity_context: EntityContext | None = None,
                    antecedent_floor: int = 0) -> list[dict]:
    """The events of one sentence (none, one, or more when clearly distinct types); the
    source class of each event's date (kb.nlp.events.context) is appended to `kinds_out`."""
    text = doc_text(doc) if text is None else text
    sentence = text[s_start:s_end]
    # Places in a dateline ("REDMOND, Wash. — ...") say where the report was filed.
    dash = sentence.find("—", 0, 120)
    dateline_end = s_start + dash if dash > 0 else s_start
    mentions = [
        Mention(e.start_char, e.end_char, e.text, e.label_, entity_name(e), not is_candidate(e))
        for e in ents
        if e.label_ not in AMOUNT_LABELS and not (e.label_ in ("GPE", "LOC") and e.end_char <= dateline_end)
    ]
    money = [e for e in ents if e.label_ == "MONEY"]
    if skip_sentence(sentence, lexicon):
        return []
    hits = [h for h in hits if keep_trigger(text, s_start, h, timexes, quotes, lexicon)]
    pricing = lexicon.types.get("pricing")
    for e in money:
        if pricing is not None and lexicon.money_pricing.search(e.text):
            defn = TriggerDef(e.text, "pricing", pricing.priority, lexicon.money_strengths["pricing"],
                              True, "term")
            hits.append(Trigger(e.start_char, e.end_char, e.text, defn))
    if entity_context is not None and hits:
        mentions = resolve_subject(text, s_start, hits, mentions, entity_context, antecedent_floor,
                                   lexicon)
    if not mentions:
        hits = [h for h in hits if h.defn.type in ("investment", "pricing") and money]
    if not hits:
        return []
    strong = [h for h in hits if not h.defn.weak]
    pool = strong or hits
    pool.sort(key=lambda h: (-h.defn.priority, -h.defn.strength, h.start))
    chosen = [pool[0]]
    also = lexicon.types[pool[0].defn.type].also
    for h in pool[1:]:
        if h.defn.type in also and all(c.defn.type != h.defn.type for c in chosen):
            chosen.append(h)

    attribution = find_attribution(text, s_start, s_end, mentions, lexicon)
    excluded = attribution.media if attribution else frozenset()
    chosen = split_same_type(text, chosen, pool, timexes, attribution, lexicon.context.subordinators)
    hedged_sentence = bool(lexicon.hedge_sentence.search(sentence))
    denial = bool(lexicon.denial.search(sentence))
    published = doc._.published if Doc.has_extension("published") else None
    events: list[dict] = []
    kinds: list[str] = []
    for trigger in chosen:
        window_start = max(s_start, trigger.start - 60)
        window = " ".join(words_before(text, trigger.start, 6, s_start))
        hedged = hedged_sentence or bool(lexicon.hedge_near.search(window))
        if lexicon.hedge_case_sensitive is not None and not hedged:
            hedged = bool(lexicon.hedge_case_sensitive.search(text, window_start, trigger.start))
        clause_start = max(s_start, *(text.rfind(p, s_start, trigger.start) + 1 for p in ",;:—"))
        negation_window = " ".join(words_before(text, trigger.start, 6, clause_start))
        if lexicon.not_negation is not None:
            negation_window = lexicon.not_negation.sub(" ", negation_window)
        negated = bool(lexicon.negation_near.search(negation_window))
        if negated and not denial:
            continue  # "did not say how large a stake": no event is reported
        after_role = lexicon.types[trigger.defn.type].after_role
        roles = assign_roles(text, trigger, mentions, after_role, excluded)
        names = list(dict.fromkeys(m.name for i, m in enumerate(mentions) if i not in excluded))
        timex = choose_timex(text, timexes, trigger, attribution, lexicon.context.subordinators)
        kind = date_kind(text, s_start, s_end, trigger, timexes, timex, hedged, lexicon)
        date = date_mod = date_text = None
        date_source = "none"
        if kind == OWN:
            date = timex.value.split("T")[0]
            date_mod, date_text = timex.mod, timex.text
            date_source = "explicit" if YEAR.search(timex.text) else "relative"
        elif kind == SAME_DAY and published is not None:
            date = published.isoformat()
            date_text = timex.text if timex is not None else None
            date_source = "published"
        party_mentions = [m for i, m in enumerate(mentions) if i not in excluded]
        if date is None and events and events[0]["date"]:
            date, date_mod, date_text, date_source = (
                events[0]["date"], events[0]["date_mod"], events[0]["date_text"], events[0]["date_source"])
            kind = kinds[0]
        kinds.append(kind)
        boost = lexicon.money_strengths["investment_boost"] if money and trigger.defn.type == "investment" else 0.0
        events.append({
            "type": trigger.defn.type,
            "trigger": trigger.text,
            "date": date,
            "date_mod": date_mod,
            "date_text": date_text,
            "date_source": date_source,
            "entities": names,
            "roles": roles,
            "sentence": sentence,
            "sentence_index": s_index,
            "start": s_start,
            "end": s_end,
            "hedged": hedged,
            "negated": negated or denial,
            "denial": denial,
            "attributed_to": attribution.name if attribution else None,
            "confidence": round(min(0.99, boost + confidence_of(
                trigger, party_mentions, date_source, hedged, negated or denial,
                attribution is not None, lexicon.confidence,
            )), 3),
        })
    if kinds_out is not None:
        kinds_out.extend(kinds)
    return events


def sentence_bounds(doc: Doc, text: str | None = None) -> list[tuple[int, int]]:
    """Character bounds of each sentence, trimmed of surrounding whitespace."""
    text = doc_text(doc) if text is None else text
    if len(doc) == 0 or not doc.has_annotation("SENT_START"):
        spans = [(0, len(text))]
    else:
        # One array read instead of doc.sents, which builds a Token for every word.
        array = doc.to_array([SENT_START, IDX])
        starts = [0] + [int(i) for i in array[1:, 1][array[1:, 0] == 1]]
        spans = list(zip(starts, [*starts[1:], len(text)], strict=True))
    bounds = []
    for start, end in spans:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        bounds.append((start, end))
    return bounds


def extract_events(doc: Doc, lexicon: EventLexicon) -> list[dict]:
    """Events of a whole document, in text order."""
    text = doc_text(doc)  # shared with the other components; Doc.text rebuilds it per access
    triggers = find_triggers(text, lexicon)
    ents = doc.ents
    money = [e for e in ents if e.label_ == "MONEY"]
    if not triggers and not money:
        return []
    bounds = sentence_bounds(doc, text)
    starts = [b[0] for b in bounds]

    def sentence_of(char: int) -> int:
        return max(bisect_right(starts, char) - 1, 0)

    by_sentence: dict[int, list[Trigger]] = {}
    for t in triggers:
        by_sentence.setdefault(sentence_of(t.start), []).append(t)
    for e in money:
        by_sentence.setdefault(sentence_of(e.start_char), [])
    ents_by: dict[int, list[Span]] = {}
    for e in ents:
        ents_by.setdefault(sentence_of(e.start_char), []).append(e)
    timexes = doc._.timexes if Doc.has_extension("timexes") and doc._.timexes else []
    tx_by: dict[int, list[Any]] = {}
    for tx in timexes:
        tx_by.setdefault(sentence_of(tx.start), []).append(tx)
    events: list[dict] = []
    kinds: list[str] = []
    quotes = quoted_spans(text)
    paragraphs = paragraph_starts(text)
    lead_count = lead_paragraphs(text, paragraphs, lexicon.context)
    lead_end = paragraphs[lead_count] if lead_count < len(paragraphs) else len(text)
    entity_context = EntityContext(
        lambda: [Antecedent(e.start_char, e.label_, entity_name(e), not is_candidate(e))
                 for e in ents if e.label_ in PARTY_LABELS],
        lead_end,
    )
    back = lexicon.context.antecedent_sentences
    for index in sorted(by_sentence):
        s_start, s_end = bounds[index]
        events.extend(sentence_events(
            doc, index, s_start, s_end, by_sentence[index], ents_by.get(index, []),
            tx_by.get(index, []), lexicon, quotes, text, kinds, entity_context,
            bounds[max(0, index - back)][0],
        ))
    if events:
        published = doc._.published if Doc.has_extension("published") else None
        lead = lead_date(text, timexes, published, paragraphs, lexicon.context)
        apply_context_dates(events, kinds, lead, published, paragraphs,
                            lexicon.confidence.get("date_context", 0.0))
    return events


class EventExtractor:
    """Pipeline component setting doc._.events from triggers, entities and timexes."""

    def __init__(self, *, lexicon_path: str | None = None):
        self.lexicon_path = lexicon_path
        self.lexicon = load_lexicon(lexicon_path)

    def __call__(self, doc: Doc) -> Doc:
        doc._.events = extract_events(doc, self.lexicon)
        return doc


if not Doc.has_extension("events"):
    Doc.set_extension("events", default=None)


@Language.factory("kb_events", default_config={"lexicon_path": None})
def make_event_extractor(nlp: Language, name: str, lexicon_path: str | None) -> EventExtractor:
    """The kb_events pipeline component (trigger lexicon from data/event_triggers.toml)."""
    return EventExtractor(lexicon_path=lexicon_path)
