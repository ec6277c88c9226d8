"""Save fetched articles: one row per canonical URL, revisions, duplicates and failures."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
from dataclasses import dataclass

import sqlite_utils

from ingest.blocks import Block
from ingest.extract import ExtractedArticle, choose_published, plausible_date
from ingest.fingerprints import (
    NEAR_DUPLICATE_THRESHOLD,
    TextKeys,
    band_keys,
    estimated_similarity,
    text_keys,
)
from kb.core.time import current_time, utcnow

log = logging.getLogger(__name__)

# When an article became known, in SQL over `articles a`: published, else fetched (UTC text).
# The one home of that choice for queries; kb.ledger.reports.article_known_at is its Python twin.
PUBLISHED_OR_FETCHED_SQL = "coalesce(a.published_at, a.fetched_at)"

# Failed fetches are retried with growing delays: 1h, 2h, 4h ... up to a week, then weekly.
RETRY_BASE_SECONDS = 3600
RETRY_MAX_SECONDS = 7 * 24 * 3600
# After this many failed attempts an article is only retried when asked (kb add, --retry-all).
MAX_ATTEMPTS = 8
# Near-duplicate candidates compared per article (boilerplate-heavy sites share some bands).
MAX_CANDIDATES = 200


@dataclass
class SaveResult:
    """What saving one article did: new, updated, unchanged, duplicate or failed."""

    article_id: int
    outcome: str
    duplicate_of: int | None = None
    demoted: int | None = None  # a stored copy this earlier-published original made a duplicate


def retry_after(attempts: int, now: dt.datetime | None = None) -> str:
    """When a URL that failed `attempts` times may be tried again."""
    now = now or current_time()
    delay = min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS)
    return (now + dt.timedelta(seconds=delay)).strftime("%Y-%m-%dT%H:%M:%SZ")


def find_article(db: sqlite_utils.Database, canonical_url: str) -> dict | None:
    cursor = db.conn.execute("select * from articles where canonical_url = ?", [canonical_url])
    row = cursor.fetchone()
    return dict(zip([c[0] for c in cursor.description], row, strict=True)) if row else None


def insert_row(db: sqlite_utils.Database, table: str, row: dict) -> int:
    """INSERT a dict with plain SQL (no schema introspection on the hot path)."""
    columns = ", ".join(f'"{c}"' for c in row)
    cursor = db.conn.execute(f"insert into {table} ({columns}) values ({', '.join('?' * len(row))})",
                             list(row.values()))
    return cursor.lastrowid


def update_row(db: sqlite_utils.Database, table: str, row_id: int, row: dict) -> None:
    assignments = ", ".join(f'"{c}" = ?' for c in row)
    db.conn.execute(f"update {table} set {assignments} where id = ?", [*row.values(), row_id])


def find_duplicate(db: sqlite_utils.Database, article_id: int | None, chash: str,
                   signature: bytes) -> int | None:
    """The original an article repeats: same content hash, else a near-duplicate body."""
    exclude = article_id or -1
    row = db.execute(
        # By the hash index, whatever the table statistics say (with many rows sharing a NULL
        # hash, the planner once preferred scanning every article in id order).
        "select id from articles indexed by idx_articles_hash where content_hash = ? and id != ? "
        "and duplicate_of is null order by id limit 1",
        [chash, exclude],
    ).fetchone()
    if row:
        return row[0]
    keys = band_keys(signature)
    placeholders = ",".join("?" * len(keys))
    candidates = db.execute(
        f"""select distinct a.id, a.minhash from article_bands b cross join articles a on a.id = b.article_id
            where b.key in ({placeholders}) and a.id != ? and a.duplicate_of is null
            order by a.id limit {MAX_CANDIDATES}""",
        [*keys, exclude],
    ).fetchall()
    best, best_score = None, 0.0
    for candidate_id, candidate_sig in candidates:
        score = estimated_similarity(signature, candidate_sig or b"")
        if score >= NEAR_DUPLICATE_THRESHOLD and score > best_score:
            best, best_score = candidate_id, score
    return best


def original_published(db: sqlite_utils.Database, article_id: int) -> str | None:
    row = db.execute("select published_at from articles where id = ?", [article_id]).fetchone()
    return row[0] if row else None


def published_earlier(a: str | None, b: str | None) -> bool:
    """Whether publication time a is strictly earlier than b (unknown is never earlier)."""
    if not a or not b:
        return False
    try:
        ta = dt.datetime.fromisoformat(a.replace("Z", "+00:00"))
        tb = dt.datetime.fromisoformat(b.replace("Z", "+00:00"))
        if (ta.tzinfo is None) != (tb.tzinfo is None):
            return ta.date() < tb.date()
        return ta < tb
    except ValueError:
        return a < b


def record_sighting(db: sqlite_utils.Database, article_id: int, source_id: int | None,
                    guid: str | None, entry_url: str | None) -> None:
    if source_id is None:
        return
    db.execute(
        """insert or ignore into article_sightings (article_id, source_id, guid, entry_url, first_seen_at)
           values (?, ?, ?, ?, ?)""",
        [article_id, source_id, guid, entry_url, utcnow()],
    )


def write_blocks(db: sqlite_utils.Database, article_id: int, blocks: tuple[Block, ...] | list[Block],
                 replace: bool = True) -> None:
    """Store the blocks of an article, replacing those it had (inside the caller's transaction)."""
    if replace:
        db.execute("delete from article_blocks where article_id = ?", [article_id])
    db.conn.executemany(
        'insert into article_blocks (article_id, seq, kind, start, "end") values (?, ?, ?, ?, ?)',
        [(article_id, seq, b.kind, b.start, b.end) for seq, b in enumerate(blocks)],
    )


def read_blocks(db: sqlite_utils.Database, article_ids: list[int]) -> dict[int, list[Block]]:
    """The stored blocks of these articles, in order; an article stored before blocks were kept
    has none (its whole text is its body)."""
    found: dict[int, list[Block]] = {}
    for start in range(0, len(article_ids), 500):
        chunk = article_ids[start : start + 500]
        rows = db.execute(
            f'select article_id, kind, start, "end" from article_blocks where article_id in '
            f"({', '.join('?' * len(chunk))}) order by article_id, seq", chunk).fetchall()
        for article_id, kind, begin, end in rows:
            found.setdefault(article_id, []).append(Block(kind, begin, end))
    return found


def _adopt_blocks(db: sqlite_utils.Database, article_id: int, blocks: tuple[Block, ...]) -> None:
    """Give an unchanged article stored before blocks were kept its blocks; analyse it again when
    some of its text turns out not to be body."""
    if not blocks or db.execute("select 1 from article_blocks where article_id = ? limit 1",
                                [article_id]).fetchone():
        return
    write_blocks(db, article_id, blocks, replace=False)
    if any(b.kind not in ("paragraph", "heading", "list_item", "blockquote") for b in blocks):
        db.execute("update articles set processed_at = null where id = ?", [article_id])


def save_article(
    db: sqlite_utils.Database,
    *,
    url: str,
    canonical_url: str,
    source_id: int | None,
    extracted: ExtractedArticle,
    topics: list[str],
    feed_guid: str | None = None,
    feed_published: str | None = None,
    summary: str | None = None,
    http_status: int | None = 200,
    commit: bool = True,
    keys: TextKeys | None = None,
    run_started_at: str | None = None,
) -> SaveResult:
    """Insert or update an article atomically; record a revision when its text changed.

    With commit=False the caller owns the transaction (the ingest run commits in batches).
    An article with no plausible date of its own is dated by `run_started_at` (the start of
    the run that fetched it; the fetch time without one), so that every undated article of a
    run gets the same date however its fetch was timed, and is ordered by its URL.
    """
    now = utcnow()
    keys = keys or text_keys(extracted.text)  # ingest works them out in its extraction workers
    chash, signature = keys.content_hash, keys.minhash
    with db.conn if commit else contextlib.nullcontext():
        existing = find_article(db, canonical_url)
        if existing and existing["status"] == "ok" and existing["content_hash"] == chash:
            record_sighting(db, existing["id"], source_id, feed_guid, url)
            db.execute("update articles set fetched_at = ?, attempts = 0 where id = ?", [now, existing["id"]])
            _adopt_blocks(db, existing["id"], extracted.blocks)
            return SaveResult(existing["id"], "unchanged", existing["duplicate_of"])
        duplicate_of = find_duplicate(db, existing["id"] if existing else None, chash, signature)
        published, published_source, published_note = choose_published(
            extracted.published_at, feed_published, run_started_at or now)
        demote = None
        if duplicate_of is not None and published_earlier(published, original_published(db, duplicate_of)):
            # The copy arrived first: the earlier publication is the original.
            demote, duplicate_of = duplicate_of, None
        row = {
            "url": url,
            "canonical_url": canonical_url,
            "title": extracted.title,
            "author": extracted.author,
            "published_at": published,
            "published_source": published_source,
            "published_note": published_note,
            "updated_at": plausible_date(extracted.updated_at, now),
            "fetched_at": now,
            "summary": summary or extracted.description,
            "text": extracted.text,
            "lang": extracted.lang,
            "content_hash": chash,
            "minhash": signature,
            "duplicate_of": duplicate_of,
            "relevant": 1 if topics else 0,
            "topics": json.dumps(topics),
            "status": "ok",
            "status_reason": None,
            "http_status": http_status,
            "attempts": 0,
            "next_retry_after": None,
            "processed_at": None,
            "analysis_status": None,
            "analysis_error": None,
        }
        if existing:
            article_id = existing["id"]
            # Keep the source that first listed it; a failed row may have had none.
            row["source_id"] = existing["source_id"] or source_id
            row["feed_guid"] = existing["feed_guid"] or feed_guid
            if existing["status"] == "ok" and existing["text"]:
                insert_row(db, "article_revisions", {
                    "article_id": article_id,
                    "title": existing["title"],
                    "text": existing["text"],
                    "content_hash": existing["content_hash"],
                    "published_at": existing["published_at"],
                    "updated_at": existing["updated_at"],
                    "fetched_at": existing["fetched_at"],
                    "replaced_at": now,
                })
                outcome = "updated"
            else:
                outcome = "new"
            update_row(db, "articles", article_id, row)
            db.execute("delete from article_bands where article_id = ?", [article_id])
        else:
            row["source_id"] = source_id
            row["feed_guid"] = feed_guid
            article_id = insert_row(db, "articles", row)
            outcome = "new"
        write_blocks(db, article_id, extracted.blocks, replace=bool(existing))
        if demote is not None:
            db.execute("update articles set duplicate_of = ? where id = ? or duplicate_of = ?",
                       [article_id, demote, demote])
            db.execute("delete from article_bands where article_id = ?", [demote])
        if duplicate_of is None:
            db.conn.executemany(
                "insert into article_bands (article_id, band, key) values (?, ?, ?)",
                [(article_id, band, key) for band, key in enumerate(band_keys(signature))],
            )
        elif outcome == "new":
            outcome = "duplicate"
        record_sighting(db, article_id, source_id, feed_guid, url)
    return SaveResult(article_id, outcome, duplicate_of, demote)


def save_failure(
    db: sqlite_utils.Database,
    *,
    url: str,
    canonical_url: str,
    source_id: int | None,
    status: str,
    reason: str,
    http_status: int | None = None,
    feed_guid: str | None = None,
    title: str | None = None,
    feed_published: str | None = None,
) -> SaveResult:
    """Record a URL that could not be ingested, so it is visible and retried later.

    An article already stored with good text keeps it: a later failed refetch only notes
    the failure in status_reason of nothing else (nothing already stored is lost).
    """
    now = utcnow()
    with db.conn:
        existing = find_article(db, canonical_url)
        if existing and existing["status"] == "ok":
            return SaveResult(existing["id"], "unchanged", existing["duplicate_of"])
        attempts = (existing["attempts"] if existing else 0) + 1
        row = {
            "url": url,
            "canonical_url": canonical_url,
            "status": status,
            "status_reason": reason[:500],
            "http_status": http_status,
            "fetched_at": now,
            "attempts": attempts,
            "next_retry_after": retry_after(attempts) if attempts < MAX_ATTEMPTS else None,
        }
        if existing:
            db["articles"].update(existing["id"], row)
            article_id = existing["id"]
        else:
            published = plausible_date(feed_published, now)
            row.update({"source_id": source_id, "feed_guid": feed_guid, "title": title,
                        "published_at": published, "published_source": "feed" if published else None})
            article_id = db["articles"].insert(row).last_pk
        record_sighting(db, article_id, source_id, feed_guid, url)
    return SaveResult(article_id, "failed")
