"""A story card's prose and watch sections: summary, overview, strategic context, competitive
implications and legal watch, each sentence with the report it came from."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from kb.core.excerpts import shorten
from kb.core.relations import Relations
from kb.stories.card_material import Material
from kb.stories.card_sentences import Sentence

SENTENCE_CHARS = 260
OVERVIEW_FACTS = 4
CONTEXT_ITEMS = 4
PARTIES = 5
PARTY_ITEMS = 2
LEGAL_ITEMS = 5
LATEST_DAYS = 21  # the latest development is the most important fact of the story's last three weeks
LATEST_SHARE = 0.9  # of them, the latest nearly as important as the most important
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# What may stand between two names listed together: "Adobe, Stability AI and Midjourney".
_LIST_GAP = re.compile(r"^(?:,\s*|\s+and\s+|,\s*and\s+|\s*&\s*)$")


def _item(material: Material, sentence: Sentence) -> dict[str, Any]:
    return {"text": shorten(sentence.clean, SENTENCE_CHARS), "sources": [material.cite(sentence.article_id)]}


def _ranked(sentences: list[Sentence]) -> list[Sentence]:
    """Newest article first, then the order of the article; each text once."""
    seen, out = set(), []
    for s in sorted(sentences, key=lambda s: (s.published_at or "", -s.article_id, -s.index), reverse=True):
        key = " ".join(s.clean.lower().split())
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


def lead_group(material: Material, relations: Relations) -> str | None:
    """The organisation the story is about: the group of its most important events' agents."""
    weight: dict[str, float] = {}
    for event in material.events:
        for entity in material.entities.get(event["id"], []):
            if entity["role"] == "agent" and entity["type"] == "ORG":
                group = relations.group_of(entity["name"])
                weight[group] = weight.get(group, 0.0) + (event["importance"] or 0.0) + 0.1
    return max(weight, key=lambda g: (weight[g], g)) if weight else None


def _cite_text(item: dict[str, Any]) -> str:
    return f"{item['text'].rstrip()} {item['sources'][0]['label']}" if item["sources"] else item["text"]


def overview(material: Material, facts: list[dict[str, Any]]) -> dict[str, Any]:
    """The latest development in prose: the story's latest important facts in date order, each
    citing its first report "(Outlet, Apr 14)"."""
    dated = [f for f in facts if f["date"] and f["sources"] and _DAY.match(f["date"])] or [
        f for f in facts if f["date"] and f["sources"]
    ]
    if not dated:
        return {"text": material.story.get("overview") or "", "sentences": []}
    recent_from = _days_before(max(f["sort_date"] or "" for f in dated), 2 * LATEST_DAYS)
    latest = [f for f in dated if (f["sort_date"] or "") >= recent_from]
    if len(latest) < 2:
        latest = sorted(dated, key=lambda f: (f["sort_date"] or "", f["importance"]), reverse=True)[
            :OVERVIEW_FACTS
        ]
    chosen = sorted(
        sorted(latest, key=lambda f: -f["importance"])[:OVERVIEW_FACTS],
        key=lambda f: (f["sort_date"] or "", f["event_id"]),
    )
    sentences = [{"text": f["text"], "sources": f["sources"][:1], "event_id": f["event_id"]} for f in chosen]
    return {"text": " ".join(_cite_text(s) for s in sentences), "sentences": sentences}


def strategic_context(material: Material, relations: Relations, used: set[str]) -> list[dict[str, Any]]:
    """Background from the storyline's articles: investment history, competitor listings,
    diversification, naming the tracked parties first."""
    tracked = relations.tracked_parties(with_customers=True)
    candidates = [
        s
        for s in material.sentences
        if "background" in s.kinds and s.entities and " ".join(s.clean.lower().split()) not in used
    ]
    candidates = sorted(_ranked(candidates), key=lambda s: -len(tracked & set(s.entities)))
    return [_item(material, s) for s in candidates[:CONTEXT_ITEMS]]


def _named_parties(sentence: Sentence, affected: set[str]) -> list[tuple[int, str]]:
    """Affected parties named in a sentence, by position (customers by their words)."""
    text = sentence.text
    found = []
    for name in affected:
        at = text.find(name)
        if at >= 0 and (name in sentence.entities or name.islower() or " " in name):
            found.append((at, name))
    # a name inside a longer one ("Microsoft" in "Microsoft AI") is that one's
    found = [
        (at, n)
        for at, n in found
        if not any(o != n and a <= at and at + len(n) <= a + len(o) for a, o in found)
    ]
    return sorted(found)


def _party_key(sentence: Sentence, named: list[tuple[int, str]]) -> str:
    """The first party named, with those listed right after it: "Adobe, Stability AI and Midjourney"."""
    group = [named[0][1]]
    end = named[0][0] + len(named[0][1])
    for at, name in named[1:]:
        if not _LIST_GAP.match(sentence.text[end:at]):
            break
        group.append(name)
        end = at + len(name)
    return group[0] if len(group) == 1 else ", ".join(group[:-1]) + " and " + group[-1]


def competitive_implications(
    material: Material, relations: Relations, lead: str | None
) -> list[dict[str, Any]]:
    """One entry per affected party (rivals, partners and customers of the story's parties),
    from what the articles say about them: {party, text, sources}."""
    parties = {lead} if lead else set()
    for event in material.events:
        for entity in material.entities.get(event["id"], []):
            if entity["role"] in ("agent", "partner"):
                parties.add(relations.group_of(entity["name"]))
    affected: set[str] = set()
    for party in parties & relations.tracked_parties(with_customers=True):
        affected |= relations.rivals_of(party) | relations.partners_of(party)
        affected |= set(relations.customers.get(party, ()))
    affected |= {c for party in parties for c in relations.customers.get(party, ())}
    if lead:
        affected = {a for a in affected if relations.group_of(a) != lead}
    entries: dict[str, dict[str, Any]] = {}
    for sentence in _ranked([s for s in material.sentences if "implication" in s.kinds]):
        named = _named_parties(sentence, affected)
        if not named:
            continue
        key = _party_key(sentence, named)
        entry = entries.setdefault(key, {"party": key, "items": []})
        if len(entry["items"]) < PARTY_ITEMS:
            entry["items"].append(_item(material, sentence))
    out = []
    for entry in list(entries.values())[:PARTIES]:
        out.append(
            {
                "party": entry["party"],
                "text": " ".join(i["text"] for i in entry["items"]),
                "sources": [s for i in entry["items"] for s in i["sources"]],
            }
        )
    return out


def legal_watch(
    material: Material, facts: list[dict[str, Any]], relations: Relations
) -> list[dict[str, Any]]:
    """Legal and regulatory facts, then forward-looking sentences on exclusivity, licensing,
    rights, AGI clauses and reviews that name a tracked party."""
    items = [
        {
            "text": f["text"],
            "date": f["date"],
            "date_display": f["date_display"],
            "sources": f["sources"][:2],
            "event_id": f["event_id"],
        }
        for f in facts
        if set(f["types"]) & {"legal", "regulatory"}
    ]
    tracked = relations.tracked_parties(with_customers=True)
    shown = {" ".join(i["text"].lower().split()) for i in items}
    for sentence in _ranked(
        [s for s in material.sentences if "legal" in s.kinds and tracked & set(s.entities)]
    ):
        if len(items) >= LEGAL_ITEMS:
            break
        item = _item(material, sentence)
        if " ".join(item["text"].lower().split()) not in shown:
            items.append({**item, "date": None, "date_display": None, "event_id": None})
    return items[:LEGAL_ITEMS]


def _days_before(day: str, days: int) -> str:
    try:
        return (date.fromisoformat(day[:10]) - timedelta(days=days)).isoformat()
    except ValueError:
        return day


def summary(
    material: Material,
    facts: list[dict[str, Any]],
    context: list[dict[str, Any]],
    implications: list[dict[str, Any]],
    sheets: list[dict[str, Any]],
) -> dict[str, Any]:
    """Two or three sentences: the latest development, the arc, and why it matters."""
    dated = [f for f in facts if f["date"] and f["sources"] and _DAY.match(f["date"])] or [
        f for f in facts if f["date"] and f["sources"]
    ]
    sentences: list[dict[str, Any]] = []
    if dated:
        recent_from = _days_before(max(f["sort_date"] or "" for f in dated), LATEST_DAYS)
        recent = [f for f in dated if (f["sort_date"] or "") >= recent_from]
        top = max(f["importance"] for f in recent)
        latest = max(
            (f for f in recent if f["importance"] >= LATEST_SHARE * top),
            key=lambda f: (f["sort_date"] or "", f["importance"]),
        )
        first = min(dated, key=lambda f: (f["sort_date"] or "", f["event_id"]))
        sentences.append({"text": latest["text"], "sources": latest["sources"][:1]})
        if first is not latest:
            released = (sheet["fields"].get("released", {}) for sheet in sheets)
            earlier = [
                sheet["name"]
                for sheet, when in zip(sheets, released, strict=True)
                if (when.get("value") or "9999") < (latest["date"] or "")
            ]
            after = f", after {_join(list(reversed(earlier))[:4])}" if earlier else ""
            sentences.append(
                {
                    "text": f"It is the latest of {len(dated)} developments reported since "
                    f"{first['date_display']}{after}.",
                    "sources": first["sources"][:1],
                }
            )
    why = context[0] if context else (implications[0] if implications else None)
    if why and why.get("text"):
        sentences.append({"text": why["text"], "sources": why["sources"][:1]})
    return {"text": " ".join(_cite_text(s) for s in sentences), "sentences": sentences[:3]}


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
