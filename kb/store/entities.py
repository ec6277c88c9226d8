"""Entities in the database: gazetteer sync, name lookup, and the candidate review workflow."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlite_utils

from kb.core.errors import KBError, NotFound
from kb.core.excerpts import shorten, word_start
from kb.core.time import utcnow
from kb.nlp.gazetteer import (
    ENTITY_TYPES,
    GazetteerEntry,
    check_gazetteer,
    default_gazetteer_path,
    load_gazetteer,
    normalize_form,
)
from kb.store.articles import PUBLISHED_OR_FETCHED_SQL

log = logging.getLogger(__name__)

# Topic weight given to a promoted candidate: known, but not central until someone says so.
PROMOTED_TOPIC_WEIGHT = 0.2
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[\"“'‘(\[]?[A-Z0-9])|\n")
_MAX_EXAMPLE = 300


class EntityConflict(KBError):
    """A promotion would clash with the gazetteer (the name or an alias is already taken)."""


def _row_dicts(cursor) -> list[dict[str, Any]]:
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def upsert_known(db: sqlite_utils.Database, entry: GazetteerEntry) -> int:
    """Insert or update one gazetteer entry as a known entity with its aliases; return its id."""
    row = db.execute(
        "SELECT id FROM entities WHERE name = ? ORDER BY type = ? DESC, status = 'known' DESC, id LIMIT 1",
        [entry.name, entry.type],
    ).fetchone()
    values = [entry.type, entry.wikidata, entry.description or None, entry.topic_weight]
    if row:
        entity_id = row[0]
        clash = db.execute(
            "SELECT 1 FROM entities WHERE name = ? AND type = ? AND id != ?",
            [entry.name, entry.type, entity_id],
        ).fetchone()
        if clash is None:
            db.execute(
                "UPDATE entities SET type = ?, status = 'known', wikidata_id = ?, description = ?, "
                "centrality = ? WHERE id = ?",
                [*values, entity_id],
            )
    else:
        entity_id = db.execute(
            "INSERT INTO entities (name, type, status, wikidata_id, description, centrality) "
            "VALUES (?, ?, 'known', ?, ?, ?)",
            [entry.name, *values],
        ).lastrowid
    wanted = set(entry.surface_forms)
    have = {r[0] for r in db.execute("SELECT alias FROM entity_aliases WHERE entity_id = ?", [entity_id])}
    for alias in sorted(have - wanted):
        db.execute("DELETE FROM entity_aliases WHERE entity_id = ? AND alias = ?", [entity_id, alias])
    for alias in sorted(wanted - have):
        db.execute("INSERT INTO entity_aliases (entity_id, alias) VALUES (?, ?)", [entity_id, alias])
    return entity_id


def sync_gazetteer(db: sqlite_utils.Database, path: str | Path | None = None) -> int:
    """Make every gazetteer entry a known entity with exactly its aliases; return how many.

    Idempotent. The canonical name is stored as an alias too, so alias lookups find it.
    """
    entries = load_gazetteer(path)
    with db.conn:
        for entry in entries:
            upsert_known(db, entry)
    return len(entries)


class _GazetteerIndex:
    """The default gazetteer by surface form, reloaded when the file changes."""

    def __init__(self) -> None:
        self._key: tuple[str, float] | None = None
        self._by_form: dict[str, GazetteerEntry] = {}

    def resolve(self, name: str) -> GazetteerEntry | None:
        path = default_gazetteer_path()
        try:
            key = (str(path), path.stat().st_mtime)
        except OSError:
            return None
        if key != self._key:
            self._by_form = {}
            for entry in sorted(load_gazetteer(path), key=lambda e: -e.topic_weight):
                for form in entry.surface_forms:
                    self._by_form.setdefault(normalize_form(form), entry)
            self._key = key
        return self._by_form.get(normalize_form(name))


_gazetteer_index = _GazetteerIndex()


def entity_id(db: sqlite_utils.Database, name: str, label: str) -> int:
    """The id of the entity called `name` (canonical name or alias), creating a candidate row
    for a name nobody knows. A gazetteer name missing from the database is added as known,
    so analysis works before `kb entities sync` has run."""
    row = db.execute(
        "SELECT id, status FROM entities WHERE name = ? "
        "ORDER BY status = 'known' DESC, type = ? DESC, id LIMIT 1",
        [name, label],
    ).fetchone()
    if row and row[1] == "known":
        return row[0]
    known = db.execute(
        "SELECT e.id FROM entity_aliases a JOIN entities e ON e.id = a.entity_id "
        "WHERE a.alias = ? AND e.status = 'known' ORDER BY e.centrality DESC, e.id LIMIT 1",
        [name],
    ).fetchone()
    if known:
        return known[0]
    entry = _gazetteer_index.resolve(name)
    if entry is not None:
        return upsert_known(db, entry)
    if row:
        return row[0]  # an existing candidate (or ignored name), whatever label it was given
    return db.execute(
        "INSERT INTO entities (name, type, status, first_seen_at) VALUES (?, ?, 'candidate', ?)",
        [name, label, utcnow()],
    ).lastrowid


def list_entities(
    db: sqlite_utils.Database, *, type: str | None = None, search: str | None = None,
    status: str | None = "known",
) -> list[dict[str, Any]]:
    """Entities with their aliases and mention counts, most central first."""
    where, params = [], []
    if status:
        where.append("e.status = ?")
        params.append(status)
    if type:
        where.append("e.type = ?")
        params.append(type.upper())
    if search:
        where.append("(e.name LIKE ? OR EXISTS (SELECT 1 FROM entity_aliases s "
                     "WHERE s.entity_id = e.id AND s.alias LIKE ?))")
        params.extend([f"%{search}%"] * 2)
    sql = (
        "SELECT e.id, e.name, e.type, e.status, e.wikidata_id, e.centrality, e.description, "
        "(SELECT count(*) FROM mentions m WHERE m.entity_id = e.id) AS mentions, "
        "(SELECT group_concat(alias, '; ') FROM (SELECT alias FROM entity_aliases a "
        " WHERE a.entity_id = e.id AND a.alias != e.name ORDER BY alias)) AS aliases "
        "FROM entities e"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY e.centrality DESC, e.name"
    )
    return _row_dicts(db.execute(sql, params))


def list_candidates(db: sqlite_utils.Database, min_mentions: int = 1) -> list[dict[str, Any]]:
    """Candidate names with mention and article counts, first seen date and an example sentence.

    Names that have since become known (a canonical name or alias) are left out.
    """
    rows = _row_dicts(db.execute(
        f"""
        SELECT e.id, e.name, e.type, count(m.id) AS mentions,
               count(DISTINCT m.article_id) AS articles,
               coalesce(min({PUBLISHED_OR_FETCHED_SQL}), e.first_seen_at) AS first_seen
        FROM entities e
        LEFT JOIN mentions m ON m.entity_id = e.id
        LEFT JOIN articles a ON a.id = m.article_id
        WHERE e.status = 'candidate'
          AND e.name NOT IN (SELECT name FROM entities WHERE status = 'known')
          AND e.name NOT IN (SELECT s.alias FROM entity_aliases s
                             JOIN entities k ON k.id = s.entity_id WHERE k.status = 'known')
        GROUP BY e.id
        HAVING count(m.id) >= ?
        ORDER BY mentions DESC, articles DESC, e.name
        """,
        [min_mentions],
    ))
    for row in rows:
        row["example"] = example_sentence(db, row["id"])
    return rows


def example_sentence(db: sqlite_utils.Database, entity: int) -> str | None:
    """The sentence around the entity's earliest mention, from the stored article text."""
    found = db.execute(
        'SELECT m.start, m."end", m.text, a.text FROM mentions m JOIN articles a ON a.id = m.article_id '
        f"WHERE m.entity_id = ? ORDER BY {PUBLISHED_OR_FETCHED_SQL}, m.id LIMIT 1",
        [entity],
    ).fetchone()
    if not found:
        return None
    start, end, mention, text = found
    if not text or text[start:end] != mention:
        return mention
    left = max((m.end() for m in _SENTENCE_BREAK.finditer(text, 0, start)), default=0)
    right_match = _SENTENCE_BREAK.search(text, end)
    right = right_match.start() if right_match else len(text)
    sentence = text[left:right].strip()
    if len(sentence) > _MAX_EXAMPLE:
        # A window around the mention, cut at word boundaries on both sides.
        lo = min(word_start(text, max(left, start - _MAX_EXAMPLE // 2), left), start)
        sentence = ("…" if lo > left else "") + shorten(text[lo:right].strip(), _MAX_EXAMPLE)
    return sentence


def _candidate_rows(db: sqlite_utils.Database, name: str, statuses: Iterable[str]) -> list[dict[str, Any]]:
    marks = ", ".join("?" for _ in statuses)
    return _row_dicts(db.execute(
        "SELECT e.id, e.type, e.status, (SELECT count(*) FROM mentions m WHERE m.entity_id = e.id) "
        "AS mentions "
        f"FROM entities e WHERE e.name = ? AND e.status IN ({marks}) ORDER BY mentions DESC, e.id",
        [name, *statuses],
    ))


def promote_candidate(
    db: sqlite_utils.Database,
    name: str,
    *,
    type: str | None = None,
    aliases: Iterable[str] = (),
    gazetteer_path: str | Path | None = None,
    description: str = "",
    topic_weight: float = PROMOTED_TOPIC_WEIGHT,
) -> dict[str, Any]:
    """Make a candidate (or ignored) name a known entity and append it to the gazetteer file,
    so it survives reprocessing. Raises NotFound for a name that is not a candidate."""
    path = Path(gazetteer_path) if gazetteer_path else default_gazetteer_path()
    rows = _candidate_rows(db, name, ("candidate", "ignored"))
    if not rows:
        if _candidate_rows(db, name, ("known",)):
            raise EntityConflict(f"{name!r} is already a known entity")
        raise NotFound(f"no candidate named {name!r}: see `kb entities candidates` for the names found")
    if type is not None and type.upper() not in ENTITY_TYPES:
        raise KBError(f"unknown entity type {type!r}: use one of {', '.join(ENTITY_TYPES)}")
    chosen = next((r for r in rows if type and r["type"] == type.upper()), rows[0])
    etype = type.upper() if type else chosen["type"]
    if etype not in ENTITY_TYPES:
        raise KBError(f"candidate {name!r} has type {etype!r}: give one of {', '.join(ENTITY_TYPES)} "
                      "with --type")
    entries = load_gazetteer(path)
    entry = GazetteerEntry(
        name=name, type=etype, aliases=[a for a in dict.fromkeys(aliases) if a != name],
        description=description, topic_weight=topic_weight,
    )
    try:
        check_gazetteer([*entries, entry], str(path))
    except KBError as exc:
        raise EntityConflict(f"cannot promote {name!r}: {exc}") from exc
    with db.conn:
        if chosen["type"] != etype:
            clash = db.execute("SELECT id FROM entities WHERE name = ? AND type = ?",
                               [name, etype]).fetchone()
            if clash is None:
                db.execute("UPDATE entities SET type = ? WHERE id = ?", [etype, chosen["id"]])
        entity = upsert_known(db, entry)
        _append_line(path, entry.to_json())
    log.info("promoted %r (%s) into %s", name, etype, path)
    return {"id": entity, "name": name, "type": etype, "aliases": entry.aliases, "gazetteer": str(path)}


def _append_line(path: Path, line: str) -> None:
    """Append one line to a text file, adding the missing newline of its last line first."""
    existing = path.read_bytes()
    prefix = b"\n" if existing and not existing.endswith(b"\n") else b""
    with path.open("ab") as fh:
        fh.write(prefix + line.encode("utf-8") + b"\n")


def ignore_candidate(db: sqlite_utils.Database, name: str) -> int:
    """Mark a candidate name ignored (it stays out of candidate lists and story matching);
    return the number of rows changed (0 if it was already ignored)."""
    rows = _candidate_rows(db, name, ("candidate",))
    if not rows:
        if _candidate_rows(db, name, ("ignored",)):
            return 0
        if _candidate_rows(db, name, ("known",)):
            raise EntityConflict(f"{name!r} is a known entity: remove it from the gazetteer file instead")
        raise NotFound(f"no candidate named {name!r}: see `kb entities candidates` for the names found")
    with db.conn:
        db.execute("UPDATE entities SET status = 'ignored' WHERE name = ? AND status = 'candidate'", [name])
    return len(rows)
