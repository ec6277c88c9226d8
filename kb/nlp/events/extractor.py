"""The kb_events pipeline component: typed, dated events with roles, hedging and attribution."""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Any

from spacy.attrs import IDX, SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span

from kb.nlp.doc_text import doc_text
from kb.nlp.events.clauses import (
    ClauseRules,
    clause_kind,
    clause_start,
    dated_after,
    dated_before,
    load_rules,
    recalls_earlier,
    sentence_cues,
)
from kb.nlp.events.context import (
    OWN,
    SAME_DAY,
    Antecedent,
    EntityContext,
    date_from_context,
    lead_paragraphs,
    paragraph_starts,
)
from kb.nlp.events.dating import anchored_earlier, choose_timex, date_kind, in_relative_clause
from kb.nlp.events.governance import (
    attached_date,
    governs,
    inside_name,
    keep_trigger,
    negated_trigger,
    own_date,
    recalled_facts,
    recalled_parties,
    refers_back,
    take_parties,
    told_key,
)
from kb.nlp.events.lexicon import EventLexicon, TriggerDef, load_lexicon
from kb.nlp.events.participants import assign_roles, find_attribution, resolve_subject
from kb.nlp.events.sentence_parts import (
    AMOUNT_LABELS,
    PARTY_LABELS,
    WORD,
    Attribution,
    Mention,
    Trigger,
    entity_name,
    find_triggers,
    is_candidate,
    quoted_spans,
    words_before,
)

YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b|\b\d{4}-\d\d")
TITLE_CASE_SHARE = 0.75
PRICE_LABELS = frozenset({"MONEY", "PERCENT"})
TERMINAL = re.compile(r'[.!?:"”’)]\s*$')
AS_FOLLOWS = re.compile(r"\s+as\b")


def skip_sentence(sentence: str, lexicon: EventLexicon) -> bool:
    """Editorial notes, boilerplate and headings hold no events."""
    if lexicon.skip_sentence is not None and lexicon.skip_sentence.match(sentence):
        return True
    if TERMINAL.search(sentence):
        return False
    words = sentence.split()
    if len(words) <= lexicon.heading_max_words:
        return True
    # A longer line in title case without final punctuation is a heading too ("Suleyman Outlines
    # Plans For Microsoft AI Models And New Partnerships With Chipmakers").
    return sum(w[:1].isupper() for w in words) >= TITLE_CASE_SHARE * len(words)


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


SUBORDINATE_OPENERS = frozenset({"after", "before", "because", "since", "while", "when", "although",
                                 "though", "if", "unless", "whereas"})


def subordinate(text: str, s_start: int, s_end: int, hit: Trigger, rules: ClauseRules) -> bool:
    """Whether a trigger sits in a relative clause closed later in its sentence or in a clause
    opened by a subordinator ("after employees threatened to quit")."""
    if in_relative_clause(text, s_start, s_end, hit):
        return True
    start = clause_start(text, s_start, hit.start, rules)
    opener = WORD.match(text, start)
    return start > s_start and opener is not None and opener.group(0).lower() in SUBORDINATE_OPENERS


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
    if (len(triggers) == 1 and triggers[0].defn.form != "term" and undated
            and undated[0].start < triggers[0].start
            and any(w.lower() in subordinators
                    for w in WORD.findall(text[undated[0].end : triggers[0].start]))):
        triggers.insert(0, undated[0])
    if len(triggers) < 2:
        return chosen
    return triggers + chosen[1:]


def known_parties(entity_context: EntityContext | None) -> dict[str, Mention]:
    """The article's named parties by name, for a recalled fact that borrows them."""
    if entity_context is None:
        return {}
    return {a.name: Mention(a.start, a.start, a.name, a.label, a.name, a.known)
            for a in entity_context.load()}


def context_clause(kind: str, trigger: Trigger, s_index: int, s_start: int, s_end: int, text: str,
                   mentions: list[Mention], excluded: frozenset[int] = frozenset()) -> dict:
    """A clause that states no fact, as the extractor returns it under "context"."""
    return {
        "kind": kind,
        "type": trigger.defn.type,
        "trigger": trigger.text,
        "entities": list(dict.fromkeys(m.name for i, m in enumerate(mentions) if i not in excluded)),
        "sentence": text[s_start:s_end],
        "sentence_index": s_index,
        "start": s_start,
        "end": s_end,
    }


def sentence_events(doc: Doc, s_index: int, s_start: int, s_end: int, hits: list[Trigger],
                    ents: list[Span], timexes: list[Any], lexicon: EventLexicon,
                    quotes: list[tuple[int, int]] = (), text: str | None = None,
                    kinds_out: list[str] | None = None, entity_context: EntityContext | None = None,
                    antecedent_floor: int = 0, rules: ClauseRules | None = None,
                    context_out: list[dict] | None = None, earlier: list[dict] = (),
                    told: set[str] = frozenset()) -> list[dict]:
    """The events of one sentence (none, one, or more when clearly distinct types, given the
    `earlier` events of its article and the nouns of the triggers it `told` before); the
    source class of each event's date (kb.nlp.events.context) is appended to `kinds_out`, and
    the clauses that state no fact (questions, plans, opinion, ...) to `context_out`."""
    rules = rules or default_rules()
    contexts: list[dict] = [] if context_out is None else context_out
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
    hits = [h for h in hits if keep_trigger(text, s_start, h, timexes, quotes, lexicon)
            and not inside_name(h, ents, lexicon.inside_names)
            and governs(text, s_end, h, ents, rules.governs)
            and (h.defn.type in rules.recap.told_again_types
                 or not refers_back(text, s_start, h, told, own_date(text, timexes, h, lexicon), ents))]
    pricing = lexicon.types.get("pricing")
    for e in money:
        if pricing is not None and lexicon.money_pricing.search(e.text):
            defn = TriggerDef(e.text, "pricing", pricing.priority, lexicon.money_strengths["pricing"],
                              True, "term")
            hits.append(Trigger(e.start_char, e.end_char, e.text, defn))
    if rules.amount_types and not any(e.label_ in PRICE_LABELS for e in ents):
        hits = [h for h in hits if h.defn.type not in rules.amount_types]
    if not hits:
        return []
    cues = sentence_cues(text, s_start, s_end, rules)
    denial = bool(lexicon.denial.search(sentence))
    facts = []
    for h in hits:
        clause = clause_kind(cues, h, denial or cues.rumour(), rules)
        if clause is None:
            facts.append(h)
        elif all(c["start"] != s_start or c["kind"] != clause for c in contexts):
            contexts.append(context_clause(clause, h, s_index, s_start, s_end, text, mentions))
    hits = facts
    if entity_context is not None and hits:
        mentions = resolve_subject(text, s_start, hits, mentions, entity_context, antecedent_floor,
                                   lexicon)
    attribution = find_attribution(text, s_start, s_end, mentions, lexicon)
    excluded = attribution.media if attribution else frozenset()
    recalled = recalled_facts(text, s_start, hits, timexes, attribution, lexicon)
    hits, mentions = take_parties(
        sentence, hits, mentions, excluded, bool(money), recalled,
        lambda h: recalled_parties(h, s_index, earlier, known_parties(entity_context),
                                   rules.parties.recalled_sentences),
        lambda h: [] if entity_context is None else [
            Mention(h.start, h.start, a.name, a.label, a.name, a.known)
            for a in entity_context.resolve("org", s_start, s_start)],
        rules.parties)
    # "agreed to launch OpenAI as a non-profit": a company set up, not a product released.
    hits = [h for h in hits if h.defn.type != "release" or not any(
        m.label == "ORG" and m.start > h.end and not text[h.end:m.start].strip()
        and AS_FOLLOWS.match(text, m.end) for m in mentions)]
    if not hits:
        return []
    strong = [h for h in hits if not h.defn.weak]
    pool = strong or hits
    # A trigger of the main clause before one of a relative or subordinate clause ("Shear, who
    # was named interim CEO earlier this month, is an adviser once more, and Taylor has returned
    # as chair"; "... returned days later after employees threatened to quit").
    pool.sort(key=lambda h: (-h.defn.priority, subordinate(text, s_start, s_end, h, rules),
                             -h.defn.strength, h.start))
    if not denial and negated_trigger(text, s_start, pool[0], lexicon):
        # "Altman will not return as CEO, and would be replaced by Shear as interim CEO": the
        # denied trigger gives way to one of its type that is told.
        told = next((h for h in pool[1:] if h.defn.type == pool[0].defn.type
                     and not negated_trigger(text, s_start, h, lexicon)), None)
        if told is not None:
            pool.remove(told)
            pool.insert(0, told)
    chosen = [pool[0]]
    also = lexicon.types[pool[0].defn.type].also
    for h in pool[1:]:
        if h.defn.type in also and all(c.defn.type != h.defn.type for c in chosen):
            chosen.append(h)

    chosen = split_same_type(text, chosen, pool, timexes, attribution, lexicon.context.subordinators)
    hedged_sentence = bool(lexicon.hedge_sentence.search(sentence))
    published = doc._.published if Doc.has_extension("published") else None
    events: list[dict] = []
    kinds: list[str] = []
    for trigger in chosen:
        window_start = max(s_start, trigger.start - 60)
        window = " ".join(words_before(text, trigger.start, 6, s_start))
        hedged = hedged_sentence or bool(lexicon.hedge_near.search(window))
        if lexicon.hedge_case_sensitive is not None and not hedged:
            hedged = bool(lexicon.hedge_case_sensitive.search(text, window_start, trigger.start))
        negated = negated_trigger(text, s_start, trigger, lexicon)
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
            if rules.scheduled_kind and not (denial or cues.rumour()) and dated_after(date, published):
                contexts.append(context_clause(rules.scheduled_kind, trigger, s_index, s_start, s_end,
                                               text, mentions, excluded))
                continue
        elif kind == SAME_DAY and published is not None:
            date = published.isoformat()
            date_text = timex.text if timex is not None else None
            date_source = "published"
        party_mentions = [m for i, m in enumerate(mentions) if i not in excluded]
        recap = (recalls_earlier(cues, trigger, rules, frozenset(m.end for m in mentions))
                 or anchored_earlier(text, s_start, trigger, timexes))
        own = recap and kind != OWN and attached_date(text, timexes, trigger)
        if own:
            # "Since last year's recapitalization": the recalled fact's own date.
            kind, date, date_mod, date_text = OWN, own.value.split("T")[0], own.mod, own.text
            date_source = "explicit" if YEAR.search(own.text) else "relative"
        if recap and kind != OWN:
            # An earlier fact without a date of its own: no event, never one dated at publication.
            contexts.append(context_clause("background", trigger, s_index, s_start, s_end, text,
                                           mentions, excluded))
            continue
        recap = recap or (kind == OWN and dated_before(date, published, rules))
        if date is None and events and events[0]["date"]:
            date, date_mod, date_text, date_source = (
                events[0]["date"], events[0]["date_mod"], events[0]["date_text"], events[0]["date_source"])
            kind = kinds[0]
        kinds.append(kind)
        invested = money and trigger.defn.type == "investment"
        boost = lexicon.money_strengths["investment_boost"] if invested else 0.0
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
            "recap": recap,
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


def extract_events(doc: Doc, lexicon: EventLexicon, rules: ClauseRules | None = None,
                   context_out: list[dict] | None = None) -> list[dict]:
    """Events of a whole document, in text order; its clauses that state no fact are appended
    to `context_out` (kb.nlp.events.clauses)."""
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
    told: set[str] = set()
    for index in sorted(by_sentence):
        s_start, s_end = bounds[index]
        events.extend(sentence_events(
            doc, index, s_start, s_end, by_sentence[index], ents_by.get(index, []),
            tx_by.get(index, []), lexicon, quotes, text, kinds, entity_context,
            bounds[max(0, index - back)][0], rules, context_out, events, told,
        ))
        told.update(told_key(t) for t in by_sentence[index])
    if events:
        published = doc._.published if Doc.has_extension("published") else None
        date_from_context(text, timexes, events, kinds, published, paragraphs, lexicon.context,
                          lexicon.confidence.get("date_context", 0.0))
    return events


class EventExtractor:
    """Pipeline component setting doc._.events from triggers, entities and timexes."""

    def __init__(self, *, lexicon_path: str | None = None, rules_path: str | None = None):
        self.lexicon_path = lexicon_path
        self.lexicon = load_lexicon(lexicon_path)
        self.rules = load_rules(rules_path)

    def __call__(self, doc: Doc) -> Doc:
        context: list[dict] = []
        doc._.events = extract_events(doc, self.lexicon, self.rules, context)
        doc._.event_context = context
        return doc


def default_rules() -> ClauseRules:
    """data/event_rules.toml, read once."""
    global _DEFAULT_RULES
    if _DEFAULT_RULES is None:
        _DEFAULT_RULES = load_rules()
    return _DEFAULT_RULES


_DEFAULT_RULES: ClauseRules | None = None

for _name in ("events", "event_context"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


@Language.factory("kb_events", default_config={"lexicon_path": None, "rules_path": None})
def make_event_extractor(nlp: Language, name: str, lexicon_path: str | None,
                         rules_path: str | None) -> EventExtractor:
    """The kb_events pipeline component (triggers from data/event_triggers.toml, clause rules
    from data/event_rules.toml)."""
    return EventExtractor(lexicon_path=lexicon_path, rules_path=rules_path)
