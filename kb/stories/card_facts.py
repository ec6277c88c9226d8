"""A story card's facts: key facts (each fact once, with its date) and fact sheets (one per
product, deal or court case), every field with the report it came from."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from kb.core.excerpts import shorten
from kb.core.relations import Relations
from kb.ledger.reports import sentence_fingerprint
from kb.stories.card_material import Material
from kb.stories.card_sentences import Sentence

FACT_CHARS = 240
SHEET_PRODUCTS = 4
SHEET_DEALS = 3
SHEET_CASES = 3
DEAL_TYPES = ("investment", "partnership", "corporate")
CASE_TYPES = ("legal", "regulatory")
PRICE_WORDS = re.compile(r"\b(?:per|price|priced|pricing|charg|costs?|\$)", re.IGNORECASE)
_NUMBERED = re.compile(r"^(.*?)(\d+)$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A sentence that goes on about the product of the sentence before it.
_ANAPHOR = re.compile(r"^(?:It|Its|The (?:new |lighter |cheaper )?(?:model|product|system|service)|This)\b")


def _money_key(text: str) -> str:
    return " ".join(text.lower().replace("about ", "").split())


def _fact_groups(material: Material, relations: Relations) -> list[list[dict[str, Any]]]:
    """The story's events grouped into facts: one sentence reported as a release and as a
    pricing event is one fact; so are two outlets' reports of the same amount on the same day."""
    events = [e for e in material.events if e["status"] not in ("denied", "superseded")]
    parent = {e["id"]: e["id"] for e in events}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    seen: dict[tuple, int] = {}
    platforms = set(relations.hosts)
    for event in events:
        sentence = material.event_sentence(event)
        keys = [("sentence", sentence_fingerprint(event["sentence"] or ""), event["date"])]
        if event["date"]:
            keys += [("money", event["date"], _money_key(m)) for m in (sentence.money if sentence else [])]
            if event["type"] in ("release", "pricing"):
                keys += [
                    ("product", event["date"], e["name"])
                    for e in material.entities.get(event["id"], [])
                    if e["role"] == "product" and e["name"] not in platforms
                ]
        for key in keys:
            if key in seen:
                parent[find(event["id"])] = find(seen[key])
            else:
                seen[key] = event["id"]
    groups: dict[int, list[dict[str, Any]]] = {}
    for event in events:
        groups.setdefault(find(event["id"]), []).append(event)
    return list(groups.values())


def _sources(material: Material, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The citations of every report of these events, one per article, earliest first."""
    cited: dict[int, dict[str, Any]] = {}
    for event in events:
        for report in material.reports.get(event["id"], []):
            if report["article_id"] in material.articles and report["article_id"] not in cited:
                cited[report["article_id"]] = material.cite(report["article_id"], event["id"])
    return sorted(cited.values(), key=lambda c: (c["date"] or "", c["article_id"]))


def _lead_first(sources: list[dict[str, Any]], report: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The lead event's own report first: the one a single citation of the fact names."""
    if report is None:
        return sources
    return sorted(sources, key=lambda c: c["article_id"] != report["article_id"])


def all_facts(material: Material, relations: Relations) -> list[dict[str, Any]]:
    """Every fact of the story once, in date order: its lead event's date and sentence, the
    types it was reported as and the reports behind it."""
    facts = []
    for group in _fact_groups(material, relations):
        lead = max(
            group, key=lambda e: (not _ANAPHOR.match(e["sentence"] or ""), e["importance"] or 0.0, -e["id"])
        )
        dated = [e for e in group if e["date"]]
        when = min(dated, key=lambda e: (len(e["date"]) < 10, e["sort_date"] or "")) if dated else lead
        facts.append(
            {
                "event_id": lead["id"],
                "event_ids": sorted(e["id"] for e in group),
                "date": when["date"],
                "date_mod": when["date_mod"],
                "date_display": when["date_display"],
                "sort_date": when["sort_date"],
                "types": sorted({e["type"] for e in group}),
                "status": lead["status"],
                "text": shorten(" ".join((lead["summary"] or lead["sentence"] or "").split()), FACT_CHARS),
                "importance": max(e["importance"] or 0.0 for e in group),
                "confidence": max(e["confidence"] or 0.0 for e in group),
                "sources": _lead_first(_sources(material, group), material.lead_report(lead)),
            }
        )
    facts.sort(key=lambda f: (f["sort_date"] or "", f["event_id"]))
    return facts


def key_facts(facts: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """The `count` most important dated facts, in date order."""
    chosen = sorted((f for f in facts if f["date"]), key=lambda f: (-f["importance"], f["event_id"]))[:count]
    return sorted(chosen, key=lambda f: (f["sort_date"] or "", f["event_id"]))


def _field(value: Any, sources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"value": value, "sources": sources}


def _about(material: Material, subjects: set[str]) -> dict[str, list[Sentence]]:
    """For each subject, the sentences about it: those naming it first, and those that name no
    subject or open with "It" or "The new model" after a sentence about it in the same article."""
    about: dict[str, list[Sentence]] = {s: [] for s in subjects}
    current: tuple[int, str | None] = (-1, None)
    for sentence in material.sentences:
        if sentence.article_id != current[0]:
            current = (sentence.article_id, None)
        named = sorted((sentence.text.find(n), n) for n in sentence.entities if n in subjects)
        if current[1] is not None and (not named or _ANAPHOR.match(sentence.clean)):
            about[current[1]].append(sentence)
        elif named:
            about[named[0][1]].append(sentence)
            current = (sentence.article_id, named[0][1])
    return about


def _predecessor(product: str, products: set[str]) -> str | None:
    """ "MAI-Image-2" for "MAI-Image-2-Efficient"; "MAI-Image-1" for "MAI-Image-2"."""
    longer = [p for p in products if p != product and product.startswith(p + "-")]
    if longer:
        return max(longer, key=len)
    match = _NUMBERED.match(product)
    if match and int(match.group(2)) > 1:
        earlier = f"{match.group(1)}{int(match.group(2)) - 1}"
        if earlier in products:
            return earlier
    return None


def _release_rank(event: dict[str, Any], product: str, products: set[str]) -> tuple:
    """Best first: a sentence naming the product before any other, dated to the day, earliest."""
    text = event["sentence"] or ""
    at = text.find(product)
    first = at >= 0 and all(
        text.find(p) < 0 or text.find(p) >= at for p in products if p != product and not product.startswith(p)
    )
    return (at < 0, not first, not _DAY.match(event["date"] or ""), event["sort_date"] or "9999", event["id"])


def _cite(material: Material, sentence: Sentence) -> list[dict[str, Any]]:
    return [material.cite(sentence.article_id)]


def _product_sheet(
    material: Material,
    relations: Relations,
    product: str,
    release: dict[str, Any],
    about: list[Sentence],
    products: set[str],
    platforms_known: set[str],
) -> dict[str, Any]:
    release_sources = _sources(material, [release])[:1]
    fields: dict[str, Any] = {"released": _field(release["date"], release_sources)}
    fields["released"]["display"] = release["date_display"]
    maker = relations.maker_of(product)
    agents = [e["name"] for e in material.entities.get(release["id"], []) if e["role"] == "agent"]
    if maker is None and agents:
        maker = agents[0]
    if maker:
        fields["maker"] = _field(maker, release_sources)
        owners = relations.owners_of(maker)
        if owners:
            fields["maker"]["group"] = owners[-1]
    platforms: dict[str, list[dict[str, Any]]] = {}
    for sentence in about:
        if "availability" not in sentence.kinds:
            continue
        for name, kind in sentence.entities.items():
            if (
                name == product
                or name in products
                or kind != "PRODUCT"
                or any(p.startswith(name + "-") for p in products)
            ):
                continue
            if (
                name in platforms_known
                or product in relations.hosts.get(name, ())
                or relations.maker_of(name) in (maker, *relations.owners_of(maker or ""))
            ):
                platforms.setdefault(name, _cite(material, sentence))
    if platforms:
        fields["platforms"] = [_field(name, cited) for name, cited in platforms.items()]
    prices = Counter()
    first_price: dict[str, Sentence] = {}
    for sentence in about:
        for amount in sentence.money:
            if (
                PRICE_WORDS.search(amount)
                or "pric" in sentence.text.lower()
                or "charg" in sentence.text.lower()
            ):
                key = _money_key(amount)
                prices[key] += 1
                first_price.setdefault(key, sentence)
    if prices:
        key = prices.most_common(1)[0][0]
        sentence = first_price[key]
        amount = next(m for m in sentence.money if _money_key(m) == key)
        fields["price"] = _field(amount, _cite(material, sentence))
    predecessor = _predecessor(product, products)
    if predecessor:
        naming = [s for s in about if predecessor in s.entities] or [
            s for s in about if predecessor in s.text
        ]
        if naming:
            fields["predecessor"] = _field(predecessor, _cite(material, naming[0]))
    quotes = [s for s in about if s.quote and s.names("PERSON")]
    if quotes:
        best = max(
            quotes,
            key=lambda s: (
                any(relations.belongs_to(p, maker or "") for p in s.names("PERSON")),
                s.published_at or "",
            ),
        )
        cited = _cite(material, best)
        fields["positioning"] = {
            "value": best.quote,
            "by": best.names("PERSON")[0],
            "source": cited[0]["source"],
            "date": cited[0]["date"],
            "sources": cited,
        }
    return {"kind": "product", "name": product, "fields": fields}


def product_sheets(material: Material, relations: Relations) -> list[dict[str, Any]]:
    """One sheet per product the story releases (newest first): released, maker, platforms,
    price, predecessor and a positioning quote."""
    releases: dict[str, list[dict[str, Any]]] = {}
    platforms_known = set(relations.hosts)
    for event in material.events:
        if event["type"] != "release" or event["status"] in ("denied", "superseded") or not event["date"]:
            continue
        for entity in material.entities.get(event["id"], []):
            if (
                entity["type"] == "PRODUCT"
                and entity["role"] == "product"
                and entity["name"] not in platforms_known
            ):
                releases.setdefault(entity["name"], []).append(event)
    if not releases:
        return []
    # A family name ("MAI" of MAI-Image-1 and MAI-Voice-1) is not a product of its own.
    releases = {p: e for p, e in releases.items() if sum(q.startswith(p + "-") for q in releases) < 2}
    products = set(releases)
    about = _about(material, products)
    chosen = {p: min(releases[p], key=lambda e: _release_rank(e, p, products)) for p in products}
    newest = sorted(products, key=lambda p: (chosen[p]["sort_date"] or "", p), reverse=True)
    return [
        _product_sheet(material, relations, p, chosen[p], about[p], products, platforms_known)
        for p in newest[:SHEET_PRODUCTS]
    ]


def deal_title_parties(parties: list[str], relations: Relations) -> list[str]:
    """The two sides a deal sheet's title names: one name per organisation group, so that
    "Amazon" and "Amazon Web Services" do not read "Amazon and Amazon Web Services"."""
    named: dict[str, str] = {}
    for name in parties:
        group = relations.group_of(name)
        if name == group or group not in named:  # the organisation itself, over its unit or people
            named[group] = name
    return list(named.values())[:2]


def deal_sheets(material: Material, relations: Relations) -> list[dict[str, Any]]:
    """One sheet per deal with an amount: parties, amount, date and terms."""
    sheets, amounts = [], set()
    for event in sorted(material.events, key=lambda e: -(e["importance"] or 0.0)):
        if event["type"] not in DEAL_TYPES or event["status"] in ("denied", "superseded"):
            continue
        sentence = material.event_sentence(event)
        if sentence is None or not sentence.money:
            continue
        amount = sentence.money[0]
        if _money_key(amount) in amounts:
            continue
        amounts.add(_money_key(amount))
        parties = list(dict.fromkeys(
            e["name"] for e in material.entities.get(event["id"], []) if e["type"] in ("ORG", "PERSON")
        ))
        cited = _sources(material, [event])[:1]
        fields = {
            "parties": _field(parties, cited),
            "amount": _field(amount, cited),
            "date": _field(event["date"], cited),
        }
        fields["date"]["display"] = event["date_display"]
        terms = [
            s
            for s in material.sentences
            if s.article_id == sentence.article_id
            and "terms" in s.kinds
            and s is not sentence
            and any(p in s.entities for p in parties)
        ][:2]
        if terms:
            fields["terms"] = [_field(s.clean, _cite(material, s)) for s in terms]
        sides = " and ".join(deal_title_parties(parties, relations)) or "Deal"
        sheets.append({"kind": "deal", "name": f"{sides}: {amount}", "fields": fields})
        if len(sheets) == SHEET_DEALS:
            break
    return sheets


def case_sheets(material: Material, relations: Relations) -> list[dict[str, Any]]:
    """One sheet per court case the story's legal events name: court, parties, claims,
    rulings and the next date."""
    sheets: dict[str, dict[str, Any]] = {}
    for event in sorted(material.events, key=lambda e: (e["sort_date"] or "", e["id"])):
        if event["type"] not in CASE_TYPES or event["status"] in ("denied", "superseded"):
            continue
        names = {e["name"] for e in material.entities.get(event["id"], [])}
        cited = _sources(material, [event])[:1]
        for case in relations.cases.values():
            if len(names & set(case.parties)) < 2 and case.name not in (event["sentence"] or ""):
                continue
            sheet = sheets.setdefault(
                case.name,
                {
                    "kind": "case",
                    "name": case.name,
                    "fields": {
                        "court": _field(case.court, cited),
                        "parties": _field(list(case.parties), cited),
                        "claims": _field(list(case.claims), cited),
                        "rulings": [],
                        "next_date": None,
                    },
                },
            )
            sentence = material.event_sentence(event)
            if sentence is None:
                continue
            for s in material.sentences:
                if s.article_id != sentence.article_id:
                    continue
                if "ruling" in s.kinds and len(sheet["fields"]["rulings"]) < 3:
                    sheet["fields"]["rulings"].append(_field(s.clean, _cite(material, s)))
                if "next_date" in s.kinds and sheet["fields"]["next_date"] is None:
                    sheet["fields"]["next_date"] = _field(s.clean, _cite(material, s))
    return list(sheets.values())[:SHEET_CASES]
