"""What is contested, for /-/watch: rumored facts not confirmed, denials, and facts whose sources
disagree on the date or on the amount. Each entry carries its reports: who said what, and when.

Date disagreements are the "date conflict: …" rows the ledger writes in event_history
(kb/ledger/fold.py). Amount disagreements are read from the MONEY mentions inside each report's
sentence: two independent articles disagree when no amount one names is within 1% of an amount
the other names. Every list reads a bounded number of rows, newest first, through an index.
"""

from __future__ import annotations

import re
from collections import defaultdict

from datasette_plugins.event_queries import EVENT_COLUMNS, describe_event, placeholders
from datasette_plugins.formatting import safe_url
from kb.dates.labels import format_date

ENTRIES_SHOWN = 25
REPORTS_SHOWN = 6
AMOUNT_CANDIDATES = 300  # recent multi-source deals and prices checked for disagreeing amounts
AMOUNT_TYPES = ("investment", "pricing", "partnership", "corporate")
AMOUNT_TOLERANCE = 0.01
_MONEY = re.compile(r"([$€£])\s?([0-9][0-9,]*(?:\.[0-9]+)?)\s*(thousand|million|billion|trillion|bn|m|k)?\b",
                    re.IGNORECASE)
_SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12}


def money_value(text: str) -> tuple[str, float] | None:
    """'about $135 billion' -> ('$', 1.35e11); None when no amount is read."""
    match = _MONEY.search(text or "")
    if not match:
        return None
    try:
        number = float(match.group(2).replace(",", ""))
    except ValueError:
        return None
    return match.group(1), number * _SCALES.get((match.group(3) or "").lower(), 1)


def amounts_agree(left: set[tuple[str, float]], right: set[tuple[str, float]]) -> bool:
    """True when some amount of one set is within 1% of an amount of the other (same currency)."""
    return any(a[0] == b[0] and abs(a[1] - b[1]) <= AMOUNT_TOLERANCE * max(a[1], b[1])
               for a in left for b in right)


async def reports_of(db, event_ids: list[int],
                     amounts: dict[int, dict[int, list[str]]]) -> dict[int, list[dict]]:
    """Who said what and when: each event's independent articles, oldest first (at most six), one
    sentence each: a denying one first, else one naming an amount, else the first."""
    if not event_ids:
        return {}
    chosen: dict[int, dict[int, dict]] = defaultdict(dict)
    for r in (await db.execute(
        f"""SELECT event_id, mention_id, article_id, title, url, published_at, source, first_party,
                   hedged, negated, denial, attributed_to, sentence
            FROM event_reports WHERE event_id IN ({placeholders(event_ids)}) AND independent = 1
            ORDER BY event_id, coalesce(published_at, '9999'), article_id, mention_id""", event_ids)).rows:
        row = dict(r)
        row["amounts"] = amounts.get(row["event_id"], {}).get(row["article_id"], [])
        row["rank"] = 0 if (row["denial"] or row["negated"]) else 1 if row["amounts"] else 2
        articles = chosen[row["event_id"]]
        if row["article_id"] not in articles or row["rank"] < articles[row["article_id"]]["rank"]:
            articles[row["article_id"]] = row
    reports: dict[int, list[dict]] = {}
    for event_id, articles in chosen.items():
        rows = list(articles.values())[:REPORTS_SHOWN]
        for row in rows:
            row["url"] = safe_url(row["url"])
            published = (row["published_at"] or "")[:10]
            row["when"] = format_date(published) if published else "date unknown"
            row["stance"] = ("denies it" if row["denial"] or row["negated"]
                             else "hedged" if row["hedged"] else "says it")
        reports[event_id] = rows
    return reports


async def events_by_id(db, ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    rows = (await db.execute(f"SELECT {EVENT_COLUMNS} FROM events e WHERE e.id IN ({placeholders(ids)})",
                             ids)).rows
    return {r["id"]: describe_event(dict(r)) for r in rows}


async def rumored_events(db) -> list[int]:
    """Rumored facts not confirmed, most recently known first."""
    return [r[0] for r in (await db.execute(
        "SELECT id FROM events WHERE status = 'rumored' "
        f"ORDER BY known_at DESC, id DESC LIMIT {ENTRIES_SHOWN}"
    )).rows]


async def denied_events(db) -> list[int]:
    """Facts denied, or not denied yet but denied by some report, newest first."""
    denied = [r[0] for r in (await db.execute(
        f"SELECT id FROM events WHERE status = 'denied' ORDER BY known_at DESC, id DESC LIMIT {ENTRIES_SHOWN}"
    )).rows]
    challenged = [r[0] for r in (await db.execute(
        f"""SELECT DISTINCT em.event_id FROM event_mentions em WHERE em.denial = 1
            ORDER BY em.event_id DESC LIMIT {ENTRIES_SHOWN}""")).rows]
    return list(dict.fromkeys(denied + [e for e in challenged if e is not None]))[:ENTRIES_SHOWN]


async def date_conflicts(db) -> dict[int, list[dict]]:
    """Events whose sources disagree on the date: the ledger's 'date conflict' rows, newest first."""
    conflicts: dict[int, list[dict]] = defaultdict(list)
    for r in (await db.execute(
        f"""SELECT h.event_id, h.at, h.reason, h.article_id, a.title, s.name AS source
            FROM event_history h LEFT JOIN articles a ON a.id = h.article_id
            LEFT JOIN sources s ON s.id = a.source_id
            WHERE h.reason LIKE 'date conflict:%' ORDER BY h.at DESC, h.id DESC LIMIT {ENTRIES_SHOWN * 4}"""
    )).rows:
        if r["event_id"] in conflicts or len(conflicts) < ENTRIES_SHOWN:
            row = dict(r)
            row["says"] = row["reason"].removeprefix("date conflict:").strip()
            row["when"] = format_date(row["at"][:10]) if row["at"] else "date unknown"
            conflicts[r["event_id"]].append(row)
    return conflicts


async def amount_conflicts(db) -> dict[int, dict[int, list[str]]]:
    """Recent multi-source deals and prices whose articles name disagreeing amounts: for each, the
    amounts each article's reports name. Two articles disagree when no amount of one matches one of
    the other's."""
    kinds = list(AMOUNT_TYPES)
    candidates = [r[0] for r in (await db.execute(
        f"""SELECT id FROM events WHERE +type IN ({placeholders(kinds)}) AND +status != 'superseded'
              AND sources >= 2 ORDER BY known_at DESC LIMIT {AMOUNT_CANDIDATES}""", kinds)).rows]
    if not candidates:
        return {}
    said: dict[int, dict[int, dict]] = defaultdict(dict)
    for r in (await db.execute(
        f"""SELECT em.event_id, em.article_id, m.text
            FROM event_mentions em JOIN mentions m ON m.article_id = em.article_id AND m.label = 'MONEY'
                 AND m.start >= em.start AND m."end" <= em."end"
            WHERE em.event_id IN ({placeholders(candidates)})
            ORDER BY em.event_id, em.article_id, m.start""", candidates)).rows:
        value = money_value(r["text"])
        if value is None:
            continue
        entry = said[r["event_id"]].setdefault(r["article_id"], {"amounts": set(), "texts": []})
        entry["amounts"].add(value)
        if r["text"] not in entry["texts"]:
            entry["texts"].append(r["text"])
    conflicts: dict[int, dict[int, list[str]]] = {}
    for event_id in candidates:
        articles = list(said.get(event_id, {}).values())
        if any(not amounts_agree(a["amounts"], b["amounts"])
               for i, a in enumerate(articles) for b in articles[i + 1:]):
            conflicts[event_id] = {article: r["texts"] for article, r in said[event_id].items()}
        if len(conflicts) >= ENTRIES_SHOWN:
            break
    return conflicts


async def watch_list(db) -> dict:
    """The four lists of the watch page, each entry an event with its reports."""
    rumored = await rumored_events(db)
    denied = await denied_events(db)
    dates = await date_conflicts(db)
    amounts = await amount_conflicts(db)
    ids = sorted(set(rumored) | set(denied) | set(dates) | set(amounts))
    events = await events_by_id(db, ids)
    reports = await reports_of(db, ids, amounts)

    def entries(event_ids, extra=None) -> list[dict]:
        return [{"event": events[e], "reports": reports.get(e, []),
                 "conflicts": (extra or {}).get(e, [])} for e in event_ids if e in events]

    return {"rumored": entries(rumored), "denied": entries(denied),
            "dates": entries(list(dates), dates), "amounts": entries(list(amounts))}
