"""Sources: keep the sources file and the `sources` table in step; edit the file; read OPML."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import tomllib
from pathlib import Path

import sqlite_utils
from lxml import etree

from kb.core.config import SOURCE_KINDS, SourceConfig, SourcesFile, load_sources
from kb.core.errors import ConfigError, NotFound
from kb.core.time import current_time

log = logging.getLogger(__name__)

# Backoff after failures: the interval doubles per consecutive error, capped at one day.
BACKOFF_MAX_SECONDS = 24 * 3600


def iso(ts: dt.datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def sync_sources(db: sqlite_utils.Database, sources_file: SourcesFile) -> dict[str, int]:
    """Upsert the file's sources into the table (by name); return name -> id."""
    ids: dict[str, int] = {}
    with db.conn:
        for source in sources_file.sources:
            row = db.execute("select id, url from sources where name = ?", [source.name]).fetchone()
            clash = db.execute("select name from sources where url = ? and name != ?",
                               [source.url, source.name]).fetchone()
            if clash:
                raise ConfigError(
                    f"{sources_file.path}: source {source.name!r} has the same URL as source {clash[0]!r} "
                    "in the database; "
                    f"rename one or run `kb sources remove {clash[0]!r}`"
                )
            values = {
                "name": source.name,
                "url": source.url,
                "kind": source.kind,
                "reliability": source.reliability,
                "first_party": int(source.first_party),
                "tags": json.dumps(source.tags),
                "local": int(source.local),
                "min_interval_seconds": source.min_interval_seconds,
                "enabled": 1,
            }
            if row:
                if row[1] != source.url:  # a moved feed starts afresh: no stale validators
                    values.update({"etag": None, "last_modified": None, "error_count": 0,
                                   "next_fetch_after": None})
                db["sources"].update(row[0], values)
                ids[source.name] = row[0]
            else:
                ids[source.name] = db["sources"].insert(values).last_pk
    return ids


def is_due(row: dict, now: dt.datetime) -> bool:
    """Whether a source row may be fetched now (politeness interval and backoff)."""
    after = row.get("next_fetch_after")
    return not after or after <= iso(now)


def record_fetch(db: sqlite_utils.Database, source_id: int, *, ok: bool, status: str,
                 error: str | None = None, etag: str | None = None, last_modified: str | None = None,
                 now: dt.datetime | None = None) -> None:
    """Store a source fetch outcome and schedule its next fetch (with backoff after errors)."""
    now = now or current_time()
    row = db["sources"].get(source_id)
    interval = max(int(row["min_interval_seconds"]), 0)
    values: dict = {"last_fetched_at": iso(now), "last_status": status}
    if ok:
        values.update({"error_count": 0, "last_error": None,
                       "next_fetch_after": iso(now + dt.timedelta(seconds=interval))})
        if etag is not None or last_modified is not None:
            values.update({"etag": etag, "last_modified": last_modified})
    else:
        errors = int(row["error_count"]) + 1
        delay = min(max(interval, 60) * 2 ** errors, BACKOFF_MAX_SECONDS)
        values.update({"error_count": errors, "last_error": (error or status)[:500],
                       "next_fetch_after": iso(now + dt.timedelta(seconds=delay))})
    with db.conn:
        db["sources"].update(source_id, values)


def toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def source_block(source: SourceConfig | dict) -> str:
    """A `[[source]]` TOML block for a source."""
    data = source if isinstance(source, dict) else source.__dict__
    lines = ["", "[[source]]", f"name = {toml_string(data['name'])}", f"url = {toml_string(data['url'])}",
             f"kind = {toml_string(data.get('kind', 'feed'))}",
             f"reliability = {float(data.get('reliability', 0.5))}"]
    tags = data.get("tags") or []
    lines.append("tags = [" + ", ".join(toml_string(t) for t in tags) + "]")
    if data.get("first_party"):
        lines.append("first_party = true")
    if data.get("allow_private"):
        lines.append("allow_private = true")
    return "\n".join(lines) + "\n"


def add_source_to_file(path: Path, *, name: str, url: str, kind: str = "feed", reliability: float = 0.5,
                       tags: list[str] | None = None, first_party: bool = False,
                       allow_private: bool = False) -> None:
    """Append a source to a sources file, refusing duplicate names or URLs."""
    if kind not in SOURCE_KINDS:
        raise ConfigError(f"kind must be one of {', '.join(SOURCE_KINDS)}")
    if not 0 <= reliability <= 1:
        raise ConfigError("reliability must be between 0 and 1")
    if not re.match(r"^https?://", url):
        raise ConfigError(f"{url!r} is not an http(s) URL; remote sources are fetched over http or https "
                          "only")
    existing = load_sources(path).sources if path.exists() else []
    for source in existing:
        if source.name == name:
            raise ConfigError(f"{path} already has a source named {name!r}")
        if source.url == url:
            raise ConfigError(f"{path} already lists {url} as {source.name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(source_block({"name": name, "url": url, "kind": kind, "reliability": reliability,
                               "tags": tags or [], "first_party": first_party,
                               "allow_private": allow_private}))


def remove_source_from_file(path: Path, name: str) -> None:
    """Delete the `[[source]]` block named `name` from a sources file, keeping the rest verbatim."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    blocks: list[tuple[int, int]] = []
    start = None
    for i, line in enumerate(lines):
        if line.strip().startswith("["):
            if start is not None:
                blocks.append((start, i))
                start = None
            if line.strip() == "[[source]]":
                start = i
    if start is not None:
        blocks.append((start, len(lines)))
    for begin, end in blocks:
        chunk = "".join(lines[begin:end])
        try:
            parsed = tomllib.loads(chunk.replace("[[source]]", "", 1))
        except ValueError:
            continue
        if parsed.get("name") == name:
            # Comments at the end of the block describe the next block: keep them.
            while end > begin + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
                end -= 1
            # Drop comment lines directly above the block: they described it.
            while begin > 0 and lines[begin - 1].lstrip().startswith("#"):
                begin -= 1
            del lines[begin:end]
            path.write_text("".join(lines), encoding="utf-8")
            return
    raise NotFound(f"{path} has no source named {name!r}; `kb sources list` shows the names")


def disable_source(db: sqlite_utils.Database, name: str) -> bool:
    with db.conn:
        cur = db.execute("update sources set enabled = 0 where name = ?", [name])
    return cur.rowcount > 0


def read_opml(path: Path) -> list[dict]:
    """Feeds listed in an OPML file as source dicts (name, url, tags from outline folders)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.parse(str(path), parser=parser).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise ConfigError(f"{path}: not a readable OPML file: {exc}") from exc
    found = []

    def walk(node, folders: list[str]) -> None:
        for child in node:
            if not isinstance(child.tag, str) or child.tag.lower() != "outline":
                continue
            url = child.get("xmlUrl")
            title = child.get("title") or child.get("text")
            if url:
                found.append({"name": (title or url).strip(), "url": url.strip(), "kind": "feed",
                              "tags": folders})
            else:
                walk(child, folders + ([title] if title else []))

    body = root.find("body")
    if body is None:
        raise ConfigError(f"{path}: OPML file has no <body>")
    walk(body, [])
    return found


def import_opml(sources_path: Path, opml_path: Path, reliability: float = 0.5) -> tuple[int, list[str]]:
    """Add the OPML file's feeds to a sources file; return (added, skipped reasons)."""
    added, skipped = 0, []
    for item in read_opml(opml_path):
        try:
            add_source_to_file(sources_path, name=item["name"], url=item["url"], kind="feed",
                               reliability=reliability, tags=item["tags"])
            added += 1
        except ConfigError as exc:
            skipped.append(str(exc))
    return added, skipped
