"""Fact-level scores: the events a base holds against the key facts of data/gold/facts.toml.

A fact is found when some event matches it: an event of its type (or one of its types; a
pricing event also matches a release fact, by the ledger's merging rule) that names each of
its key entities, with a date compatible with the fact's (their calendar spans overlap, a
day's slack either side). Figures:

- fact recall: found facts / facts;
- fragmentation: events matching a found fact / found facts (1.0 when one fact is one event);
- events per key fact, max: the most events any one fact is split over;
- precision at N: of the N most important events (N = 10 and 30, or as many as there are),
  the share that match some fact.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from kb.core.config import data_file, read_toml
from kb.core.errors import ConfigError
from kb.core.event_types import EVENT_TYPES
from kb.dates.spans import DateSpan, date_span
from kb.jobs.ingest_run import IngestOptions, run_ingest
from kb.store.db import open_db

DEFAULT_FACTS = data_file("gold/facts.toml")
SAMPLE_SOURCES = data_file("sample/sources.toml")
TOP_N = (10, 30)
SLACK = dt.timedelta(days=1)
# Types whose events also count as reports of a fact of another type (kb.ledger.merge joins them).
ALSO_MATCHES = {"release": ("pricing",)}


@dataclass(frozen=True)
class Fact:
    """One gold fact: what happened, when, to whom, and who reported it."""

    name: str
    types: tuple[str, ...]
    date: str
    mod: str | None
    span: DateSpan
    entities: tuple[frozenset[str], ...]  # each key entity, as the names that may stand for it
    articles: tuple[str, ...]
    planted: str | None = None
    mai: bool = False


@dataclass(frozen=True)
class EventRow:
    id: int
    type: str
    span: DateSpan | None
    names: frozenset[str]
    importance: float
    status: str


def load_facts(path: str | Path | None = None) -> list[Fact]:
    """The facts of a facts file (ConfigError naming the bad entry)."""
    path = Path(path or DEFAULT_FACTS)
    if not path.exists():
        raise ConfigError(f"{path}: no such facts file")
    facts = []
    for number, entry in enumerate(read_toml(path).get("fact", []), start=1):
        where = f"{path}: fact {number} ({entry.get('name', 'unnamed')})"
        types = entry.get("type")
        types = (types,) if isinstance(types, str) else tuple(types or ())
        unknown = [t for t in types if t not in EVENT_TYPES]
        if not types or unknown:
            raise ConfigError(f"{where}: unknown or missing type {unknown or types}")
        span = date_span(str(entry.get("date", "")), entry.get("mod"))
        if span is None:
            raise ConfigError(f"{where}: date {entry.get('date')!r} is not a calendar TIMEX3 value")
        entities = tuple(frozenset(n.strip() for n in str(e).split("|")) for e in entry.get("entities", []))
        if not entities or "name" not in entry:
            raise ConfigError(f"{where}: a fact needs a name and key entities")
        facts.append(Fact(entry["name"], types, str(entry["date"]), entry.get("mod"), span, entities,
                          tuple(entry.get("articles", [])), entry.get("planted"), bool(entry.get("mai"))))
    if not facts:
        raise ConfigError(f"{path}: no [[fact]] entries")
    return facts


def read_events(db: sqlite_utils.Database) -> list[EventRow]:
    """The base's events (superseded ones left out: a later event replaced them)."""
    names: dict[int, set[str]] = {}
    for event_id, name in db.execute(
            "SELECT ee.event_id, en.name FROM event_entities ee JOIN entities en ON en.id = ee.entity_id"):
        names.setdefault(event_id, set()).add(name)
    return [EventRow(row[0], row[1], date_span(row[2], row[3]), frozenset(names.get(row[0], ())),
                     float(row[4] or 0.0), row[5])
            for row in db.execute("SELECT id, type, date, date_mod, importance, status FROM events "
                                  "WHERE status != 'superseded' ORDER BY id")]


def matches(fact: Fact, event: EventRow) -> bool:
    """Whether the event reports the fact (type, key entities, compatible date)."""
    types = set(fact.types) | {t for f in fact.types for t in ALSO_MATCHES.get(f, ())}
    if event.type not in types or event.span is None:
        return False
    if not all(names & event.names for names in fact.entities):
        return False
    return event.span.start - SLACK <= fact.span.end and fact.span.start - SLACK <= event.span.end


def score_facts(db: sqlite_utils.Database, facts: list[Fact]) -> dict[str, Any]:
    """Fact recall, fragmentation, events per fact and precision of the most important events."""
    events = read_events(db)
    by_fact = {fact.name: [e.id for e in events if matches(fact, e)] for fact in facts}
    found = [name for name, ids in by_fact.items() if ids]
    matching_found = sum(len(by_fact[name]) for name in found)
    correct = {e for ids in by_fact.values() for e in ids}
    ranked = sorted(events, key=lambda e: (-e.importance, e.id))
    precision = {}
    for n in TOP_N:
        top = ranked[:n]
        precision[f"top_{n}"] = {"events": len(top), "correct": sum(e.id in correct for e in top),
                                 "precision": round(100 * sum(e.id in correct for e in top) / len(top), 2)
                                 if top else 0.0}
    return {
        "facts": len(facts),
        "found": len(found),
        "recall": round(100 * len(found) / len(facts), 2),
        "fragmentation": round(matching_found / len(found), 3) if found else 0.0,
        "max_events_per_fact": max((len(ids) for ids in by_fact.values()), default=0),
        "events": len(events),
        "precision": precision,
        "missed": sorted(name for name, ids in by_fact.items() if not ids),
        "split": {name: ids for name, ids in sorted(by_fact.items()) if len(ids) > 1},
    }


def evaluate_facts(facts_path: str | Path | None = None, db_path: str | Path | None = None) -> dict[str, Any]:
    """The fact scores of a base (default: the sample corpus, built in a scratch directory)."""
    facts = load_facts(facts_path)
    if db_path is not None:
        db = open_db(db_path)
        try:
            return score_facts(db, facts)
        finally:
            db.conn.close()
    with tempfile.TemporaryDirectory(prefix="kb-facts-") as scratch:
        path = Path(scratch) / "sample.db"
        run_ingest(path, SAMPLE_SOURCES, IngestOptions())
        db = open_db(path)
        try:
            return score_facts(db, facts)
        finally:
            db.conn.close()
