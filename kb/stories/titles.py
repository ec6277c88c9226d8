"""Storyline titles as headlines: "Party – headline (years)", written from the storyline's key
(kb/stories/themes.py) and its own events, with data/relations.toml deciding who makes what,
so a host or a reseller is never named as a product's maker.

"Microsoft AI – MAI models and Copilot (2025–2026)", "OpenAI – compute deals with Oracle and
Amazon Web Services (2024–2026)", "Microsoft and OpenAI – partnership terms and restructuring
(2019–2026)", "Microsoft and OpenAI – Musk v. OpenAI and copyright lawsuits (2023–2024)".
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlite_utils

from kb.core.relations import Relations, default_relations
from kb.ledger.sql_helpers import chunks, marks
from kb.stories.drift import base_of
from kb.stories.profiles import family_of
from kb.stories.themes import StorylineRules, default_rules, line_owner, maker_of, tracked_group

DASH = "\u2013"


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# A first year this many years before the next one, holding less than OUTLIER_SHARE of the
# dated facts, is background (a founding date, an old deal), not the line's own span.
OUTLIER_GAP = 3
OUTLIER_SHARE = 0.25


def years_label(events: list[dict[str, Any]]) -> str:
    """"2025" or "2019–2026", from the dates of the line's own facts: events reported only as
    recaps (event_mentions.recap) are left out, and so is an early outlier year."""
    facts = [e for e in events if e.get("sort_date") and not e.get("recap")]
    facts = facts or [e for e in events if e.get("sort_date")]
    counts = Counter(int(e["sort_date"][:4]) for e in facts if e["sort_date"][:4].isdigit())
    if not counts:
        return ""
    years = sorted(counts)
    while len(years) > 1 and years[1] - years[0] > OUTLIER_GAP and \
            counts[years[0]] < OUTLIER_SHARE * sum(counts.values()):
        years = years[1:]
    years = [str(y) for y in years]
    return years[0] if years[0] == years[-1] else f"{years[0]}{DASH}{years[-1]}"


def story_keys(db: sqlite_utils.Database, story_id: int) -> list[str]:
    """The storyline keys leading to a story, the one with most events first."""
    keys = [r[0] for r in db.execute("SELECT key FROM storyline_keys WHERE story_id = ? ORDER BY key",
                                     [story_id])]
    if len(keys) < 2:  # the usual case: no count of a long line's events
        return keys
    sizes = {k: db.execute("SELECT count(*) FROM storyline_events WHERE key = ?", [k]).fetchone()[0]
             for k in keys}
    return sorted(keys, key=lambda k: (-sizes[k], k))


def entities_of(db: sqlite_utils.Database, event_ids: list[int]) -> list[tuple[int, str, str, str]]:
    """(event, name, type, role) of these events' entities."""
    rows: list[tuple[int, str, str, str]] = []
    for part in chunks(sorted(event_ids)):
        rows.extend(db.execute(
            f"""SELECT ee.event_id, en.name, en.type, ee.role FROM event_entities ee
                JOIN entities en ON en.id = ee.entity_id WHERE ee.event_id IN ({marks(part)})
                ORDER BY ee.event_id, en.name""", part).fetchall())
    return rows


def _things(maker: str, entities: list[tuple[int, str, str, str]], rel: Relations) -> str:
    """The maker's products its events name: a family of two or more as "MAI models"."""
    counts: Counter[str] = Counter()
    for _, name, kind, _ in set(entities):
        made = maker_of(name, rel) if kind == "PRODUCT" else None
        if made and (made == maker or line_owner(made, rel) == maker):
            counts[name] += 1
    families: Counter[str] = Counter()
    prefix: dict[str, str] = {}
    for name in counts:
        if family := family_of(name, "PRODUCT", 1):
            families[family] += 1
            prefix.setdefault(family, name.split("-")[0])
    parts: list[str] = []
    for family, members in families.most_common():
        if members >= 2 and len(parts) < 1:
            parts.append(f"{prefix[family]} models")
    grouped = {n for n in counts if (f := family_of(n, "PRODUCT", 1)) and families[f] >= 2}
    grouped |= {n for n in counts if families[n.lower()] >= 2}  # "MAI" itself, with its models
    singles = [n for n, _ in sorted(counts.items(), key=lambda i: (-i[1], i[0])) if n not in grouped]
    parts.extend(singles[:2 - len(parts)])
    return _join(parts) if parts else "products"


def _parts(events: list[dict[str, Any]], rules: StorylineRules) -> str:
    counts = Counter(e["type"] for e in events if e["type"] in rules.type_phrases)
    phrases: list[str] = []
    for event_type, _ in sorted(counts.items(), key=lambda i: (-i[1], i[0])):
        phrase = rules.type_phrases[event_type]
        if phrase not in phrases:
            phrases.append(phrase)
    if not phrases:
        return "developments"
    phrases = phrases[:2]
    if any(" and " in p for p in phrases):  # "restructuring, leadership and hires"
        return ", ".join(phrases)
    return _join(phrases)


def _cases(events: list[dict[str, Any]], entities: list[tuple[int, str, str, str]], rel: Relations,
           rules: StorylineRules) -> str:
    names = {name for _, name, _, _ in entities}
    items = sorted(case.name for case in rel.cases.values()
                   if names & set(case.plaintiffs) and len(names & set(case.parties)) >= 2)
    text = " ".join((e.get("sentence") or "").lower() for e in events)
    items += [claim for claim, words in rules.claims.items() if any(w in text for w in words)]
    return _join(items) + " " if items else ""


def _claims(events: list[dict[str, Any]], rules: StorylineRules) -> str:
    """The claims of [claims] the events' sentences name, as "copyright "."""
    text = " ".join((e.get("sentence") or "").lower() for e in events)
    items = [claim for claim, words in sorted(rules.claims.items()) if any(w in text for w in words)]
    return _join(items) + " " if items else ""


def _counterparties(party: str, line: str, entities: list[tuple[int, str, str, str]], rel: Relations,
                    rules: StorylineRules) -> str:
    fields = rel.partners.get(party, {})
    listed = {n for f in rules.deal_fields.get(line, ()) for n in fields.get(f, ())}
    counts: Counter[str] = Counter()
    acting = {name for _, name, _, role in entities if role in ("agent", "partner")}
    for _, name, kind, _ in set(entities):  # a counterparty the events name as a party to a deal
        if kind == "ORG" and name in acting and not tracked_group(name, rel) and any(
                name == n or rel.belongs_to(name, n) or rel.belongs_to(n, name) for n in listed):
            counts[name] += 1
    top: list[str] = []
    for name, _ in sorted(counts.items(), key=lambda i: (-i[1], i[0])):
        if len(top) < 2 and not any(rel.belongs_to(name, t) or rel.belongs_to(t, name) for t in top):
            top.append(name)
    return f" with {_join(top)}" if top else ""


def headline(key: str, events: list[dict[str, Any]], entities: list[tuple[int, str, str, str]],
             rel: Relations | None = None, rules: StorylineRules | None = None) -> str:
    """The title of a storyline with this key, from its events and their entities."""
    rel = rel or default_relations()
    rules = rules or default_rules()
    kind, *parts = base_of(key).split("|")
    party = _join(parts[:2]) if kind in ("pair", "legal") else parts[0]
    values = {"things": "", "parts": "", "cases": "", "field": "", "with": ""}
    if kind == "case":  # "Elon Musk – Musk v. OpenAI lawsuit", "The Authors Guild – copyright lawsuit"
        case = rel.cases.get(parts[0])
        party = _join(list(case.plaintiffs)) if case else parts[0]
        values["cases"] = (f"{case.name} " if case else "") + _claims(events, rules)
    elif kind == "claim":  # "Microsoft and OpenAI – copyright lawsuits"
        groups = Counter(g for _, name, kind_, _ in entities if kind_ != "PERSON"
                         and (g := tracked_group(name, rel)))
        party = _join(sorted(g for g, _ in groups.most_common(2))) if groups else "Defendants"
        values["cases"] = f"{parts[0]} "
    if kind == "maker":
        values["things"] = _things(parts[0], entities, rel)
    elif kind == "pair" and len(parts) > 2 and (line := rules.pair_line(parts[2])) and line.title:
        values["parts"] = line.title  # the line's own words chose its events: "board and leadership"
    elif kind in ("pair", "org"):
        values["parts"] = _parts(events, rules)
    elif kind == "legal":
        values["cases"] = _cases(events, entities, rel, rules)
    elif kind == "deal":
        values["field"] = parts[1]
        values["with"] = _counterparties(parts[0], parts[1], entities, rel, rules)
    template = rules.titles.get(kind, "{parts}")
    text = " ".join(template.format(**values).split()) or _parts(events, rules)
    years = years_label(events)
    return f"{party} {DASH} {text}" + (f" ({years})" if years else "")


def storyline_title(db: sqlite_utils.Database, story_id: int, events: list[dict[str, Any]],
                    section_title: str) -> str:
    """A story's title: from its storyline key, or for a story made by hand (no key) from its
    most named organisation and its main card section."""
    ids = [e["id"] for e in events]
    entities = entities_of(db, ids)
    keys = story_keys(db, story_id)
    if keys:
        return headline(keys[0], events, entities)
    orgs = Counter(name for _, name, kind, role in entities if kind == "ORG" and role == "agent")
    orgs = orgs or Counter(name for _, name, kind, _ in entities if kind in ("ORG", "PERSON"))
    party = min(orgs, key=lambda n: (-orgs[n], n)) if orgs else "Developments"
    years = years_label(events)
    return f"{party} {DASH} {section_title.lower()}" + (f" ({years})" if years else "")
