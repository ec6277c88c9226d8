"""Event reports: event mentions joined with their article, original article and source."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache

import sqlite_utils

from kb.core.time import parse_timestamp, utc_iso
from kb.dates.spans import DateSpan, date_span

# Follow at most this many duplicate_of hops (copies of copies) to the original article.
MAX_DUPLICATE_HOPS = 10

REPORT_SQL = """
    SELECT em.id, em.article_id, em.event_id, em.type, em.date, em.date_mod, em.date_text,
           em.date_source, em.sentence, em.sentence_index, em.start, em."end", em.hedged,
           em.negated, em.denial, em.attributed_to, em.confidence, em.entities,
           a.published_at, a.fetched_at, a.duplicate_of, s.id, s.name, s.reliability, s.first_party,
           em.recap, em.trigger
    FROM event_mentions em JOIN articles a ON a.id = em.article_id LEFT JOIN sources s ON s.id = a.source_id
"""


@dataclass(frozen=True)
class SourceInfo:
    """The independent source behind an article: the source of its original article."""

    key: str
    source_id: int | None
    name: str | None
    reliability: float
    first_party: bool


@dataclass
class Report:
    """One event mention (one article's report of an event) with its provenance."""

    mention_id: int
    article_id: int
    event_id: int | None
    type: str
    date: str | None
    date_mod: str | None
    date_text: str | None
    date_source: str
    sentence: str
    sentence_index: int | None
    start: int
    end: int
    hedged: bool
    negated: bool
    denial: bool
    attributed_to: str | None
    confidence: float | None
    entities: list[dict]
    known_at: str | None
    original_article_id: int
    source: SourceInfo
    key: str = ""
    match_ids: frozenset[int] = field(default_factory=frozenset)
    recap: bool = False  # the sentence recalls an earlier fact (kb.nlp.events.clauses)
    trigger: str | None = None  # the words that made it an event ("fired", "is returning")

    def __post_init__(self) -> None:
        # Derived once (a report is not changed after it is read): the ledger asks for them often.
        self.span: DateSpan | None = date_span(self.date, self.date_mod)
        # Chronological order of arrival; ties broken by the order reports were stored in (the
        # analysis order, kb.jobs.merge_order.ANALYSIS_ORDER), not by article ids, which follow fetch timing.
        self.order: tuple = (self.known_at or "9999", self.mention_id)

    @property
    def supports(self) -> bool:
        """Whether the report states the event happened (not a denial or negation)."""
        return not (self.denial or self.negated)


# "REDMOND, Wash. — ", "SEATTLE and SAN FRANCISCO — Nov. 3, 2025 /Newsroom Wire/ — "
_DATELINE = re.compile(
    r"^(?:[A-Z][A-Z.'’\- ]*[A-Z.](?:, [A-Z][a-z]{1,6}\.?)?(?:,? and |, )?)+\s+[—–-]{1,2}\s+"
    r"(?:[A-Z][a-z]{2,8}\.? \d{1,2}, \d{4}\s*(?:/[^/]{1,60}/)?\s*[—–-]{1,2}\s+)?"
)


def strip_dateline(sentence: str) -> str:
    """A sentence without the dateline a news story opens with."""
    stripped = _DATELINE.sub("", sentence, count=1)
    return stripped[:1].upper() + stripped[1:] if stripped else sentence


def sentence_fingerprint(sentence: str) -> str:
    """A short hash of a sentence, insensitive to spacing and case."""
    normal = re.sub(r"\s+", " ", sentence).strip().lower()
    return hashlib.sha1(normal.encode("utf-8")).hexdigest()[:16]


@lru_cache(maxsize=65536)
def article_known_at(published_at: str | None, fetched_at: str | None) -> str | None:
    """When the knowledge base learned an article's content: published, else fetched (UTC)."""
    for value in (published_at, fetched_at):
        parsed = parse_timestamp(value)
        if parsed is not None:
            return utc_iso(parsed)
    return None


class SourceResolver:
    """Find the original article and its source for each article (cached per instance)."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        self._original: dict[int, int] = {}
        self._sources: dict[int, SourceInfo] = {}

    def know(self, article_id: int, duplicate_of: int | None, source: tuple) -> None:
        """Remember an article read with its duplicate_of and its source's (id, name, reliability,
        first_party), so an original article costs no queries of its own."""
        if duplicate_of is None and article_id not in self._original:
            self._original[article_id] = article_id
            self._sources.setdefault(article_id, self.source_info(article_id, source))

    @staticmethod
    def source_info(original: int, source: tuple) -> SourceInfo:
        source_id, name, reliability, first_party = source
        if source_id is None:
            return SourceInfo(f"article:{original}", None, None, 0.5, False)
        return SourceInfo(f"source:{source_id}", source_id, name, float(reliability), bool(first_party))

    def original_article(self, article_id: int) -> int:
        """Follow duplicate_of links to the original article (cycle-safe)."""
        if article_id in self._original:
            return self._original[article_id]
        current, seen = article_id, {article_id}
        for _ in range(MAX_DUPLICATE_HOPS):
            row = self.db.execute("SELECT duplicate_of FROM articles WHERE id = ?", [current]).fetchone()
            if row is None or row[0] is None or row[0] in seen:
                break
            current = row[0]
            seen.add(current)
        self._original[article_id] = current
        return current

    def source_of(self, article_id: int) -> SourceInfo:
        """The source of an article's original article; an article without source is its own."""
        original = self.original_article(article_id)
        if original in self._sources:
            return self._sources[original]
        row = self.db.execute(
            """SELECT s.id, s.name, s.reliability, s.first_party FROM articles a
               LEFT JOIN sources s ON s.id = a.source_id WHERE a.id = ?""",
            [original],
        ).fetchone()
        info = self.source_info(original, tuple(row) if row is not None else (None, None, None, None))
        self._sources[original] = info
        return info


def load_reports(
    db: sqlite_utils.Database,
    where: str,
    params: list,
    resolver: SourceResolver,
    ignored_entity_ids: frozenset[int] = frozenset(),
    ignored_labels: frozenset[str] = frozenset(),
    *,
    keys: bool = True,
) -> list[Report]:
    """Reports matching a WHERE clause on event_mentions (alias em), in arrival order.

    Each report's `key` numbers the article's mentions of one sentence and type, so it is
    right only when the WHERE clause selects whole articles; `keys=False` leaves it empty.
    """
    rows = db.execute(f"{REPORT_SQL} WHERE {where} ORDER BY em.article_id, em.start, em.id",
                      params).fetchall()
    reports: list[Report] = []
    seen_keys: dict[tuple[int, str], int] = {}
    for row in rows:
        try:
            entities = json.loads(row[17] or "[]")
        except json.JSONDecodeError:
            entities = []
        entities = [e for e in entities if isinstance(e, dict)]
        resolver.know(row[1], row[20], row[21:25])
        report = Report(
            mention_id=row[0], article_id=row[1], event_id=row[2], type=row[3], date=row[4],
            date_mod=row[5], date_text=row[6], date_source=row[7] or "none", sentence=row[8] or "",
            sentence_index=row[9], start=row[10], end=row[11], hedged=bool(row[12]),
            negated=bool(row[13]), denial=bool(row[14]), attributed_to=row[15],
            confidence=row[16], entities=entities,
            known_at=article_known_at(row[18], row[19]),
            original_article_id=resolver.original_article(row[1]),
            source=resolver.source_of(row[1]),
            recap=bool(row[25]),
            trigger=row[26],
        )
        if keys:
            base = f"{report.type}:{sentence_fingerprint(report.sentence)}"
            ordinal = seen_keys.get((report.article_id, base), 0)
            seen_keys[(report.article_id, base)] = ordinal + 1
            report.key = f"{base}:{ordinal}"
        report.match_ids = frozenset(
            int(e["entity_id"]) for e in entities
            if isinstance(e.get("entity_id"), int) and e["entity_id"] not in ignored_entity_ids
            and e.get("label") not in ignored_labels
        )
        reports.append(report)
    reports.sort(key=lambda r: r.order)
    return reports


def ignored_entity_ids(db: sqlite_utils.Database, outlet_names: list[str]) -> frozenset[int]:
    """Entities never used to match reports: outlets, source names and ignored entities."""
    names = {n.lower() for n in outlet_names}
    names.update(row[0].lower() for row in db.execute("SELECT name FROM sources").fetchall())
    placeholders = ", ".join("?" for _ in names)
    sql = "SELECT id FROM entities WHERE status = 'ignored'"
    if names:
        sql += f" OR lower(name) IN ({placeholders})"
    return frozenset(row[0] for row in db.execute(sql, sorted(names)).fetchall())
