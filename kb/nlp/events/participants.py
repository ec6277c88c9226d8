"""Who an event involves and who reports it: attribution, roles, and anaphoric subjects."""

from __future__ import annotations

import re

from kb.nlp.events.context import EntityContext, find_anaphor
from kb.nlp.events.lexicon import EventLexicon
from kb.nlp.events.sentence_parts import (
    DETERMINERS,
    PARTY_LABELS,
    WORD,
    Attribution,
    Mention,
    Trigger,
    words_before,
)

ROLE_RANK = {"agent": 0, "partner": 1, "object": 2, "product": 3, "participant": 4}
PASSIVE_AUX = frozenset({"was", "were", "been", "being", "is", "are", "be", "get", "got"})
# An anaphoric subject stands at most this many words before its verb ("the companies also signed").
SUBJECT_GAP_WORDS = 3
COORDINATION = re.compile(r"^\s*(?:,\s*)?(?:and|&|,)?\s*$")


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
