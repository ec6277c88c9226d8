"""The `kb` command: a thin click layer over the kb and ingest libraries."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import sys
from pathlib import Path

import click

from ingest.exceptions import IngestError, PolicyError
from kb.core.errors import ConfigError, KBError, LockHeld, NoDatabase
from kb.store.db import (
    default_db_path,
    existing_database,
    is_write_refused,
    migrate_db,
    open_db,
    open_for_reading,
    write_problem,
)

log = logging.getLogger("kb")

# Exit codes: 0 ok, 1 some work failed, 2 usage or configuration error.
EXIT_PARTIAL = 1
EXIT_USAGE = 2


class KBGroup(click.Group):
    """A click group that turns library errors into one-line messages, never tracebacks."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (ConfigError, PolicyError, NoDatabase, LockHeld) as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(EXIT_PARTIAL if isinstance(exc, LockHeld) else EXIT_USAGE)
        except (KBError, IngestError) as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(EXIT_PARTIAL)
        except sqlite3.DatabaseError as exc:
            if is_write_refused(exc):  # a full disk, a read-only file or a lock, met in the middle of a command
                click.echo(f"Error: {write_problem((ctx.obj or {}).get('db_path') or default_db_path(), exc)}", err=True)
            else:
                click.echo(f"Error: database problem: {exc}", err=True)
            sys.exit(EXIT_PARTIAL)
        except OSError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(EXIT_PARTIAL)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - last line of defence: no traceback for users
            if os.environ.get("KB_DEBUG"):
                raise
            click.echo(f"Error: unexpected {type(exc).__name__}: {exc} (set KB_DEBUG=1 for details)", err=True)
            sys.exit(EXIT_PARTIAL)


@click.group(cls=KBGroup)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    default=None,
    envvar="KB_DB",
    help="Database file (default data/kb.db, or $KB_DB).",
)
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.version_option(package_name="newskb")
@click.pass_context
def cli(ctx: click.Context, db_path: str | None, verbose: int) -> None:
    """A news and strategy tracking knowledge base.

    \b
    Example:
        kb --db data/kb.db ingest --sources data/sample/sources.toml
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    ctx.obj = {"db_path": db_path or default_db_path()}


def get_db(ctx: click.Context):
    """Open (and migrate) the existing database named by --db (only init, ingest and add create one)."""
    return open_db(ctx.obj["db_path"], create=False)


def read_db(ctx: click.Context):
    """Open the database named by --db for a command that only reads (works on a read-only file)."""
    return open_for_reading(ctx.obj["db_path"])


@cli.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create the database (or bring it up to date).

    \b
    Example:
        kb --db data/kb.db init
    """
    path = Path(ctx.obj["db_path"])
    existed = path.exists()
    from kb.store.entities import sync_gazetteer

    db = open_db(path)
    entities = sync_gazetteer(db)
    tables = len(db.table_names())
    click.echo(f"{'Updated' if existed else 'Created'} {path} ({tables} tables, {entities} gazetteer entities)")


@cli.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Apply pending schema migrations and list them.

    \b
    Example:
        kb migrate
    """
    db = open_db(ctx.obj["db_path"], migrate=False, create=False)
    applied = migrate_db(db)
    if applied:
        for name in applied:
            click.echo(f"applied {name}")
    else:
        click.echo("database is up to date")


def echo_json(obj) -> None:
    """Print an object as JSON on stdout."""
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def sources_option(fn):
    """--sources FILE, shared by the commands that read a sources file."""
    return click.option(
        "--sources", "sources_path", type=click.Path(dir_okay=False), default=None, envvar="KB_SOURCES",
        help="Sources file (default data/sources.toml, or $KB_SOURCES).",
    )(fn)


def progress_printer():
    """A progress callback drawing a bar on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} articles")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


@cli.command()
@sources_option
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Processes for text extraction and analysis (use the number of cores).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True, help="Simultaneous fetches.")
@click.option("--per-host", type=click.IntRange(1, 16), default=2, show_default=True, help="Simultaneous fetches per host.")
@click.option("--force", is_flag=True, help="Fetch every source now, ignoring intervals and backoff.")
@click.option("--no-analyze", is_flag=True, help="Store articles only; skip entity/event extraction and stories.")
@click.option("--user-agent", default=None, help="User-Agent header for fetches.")
@click.option("--max-time", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Fetch pages for at most this long; what is left waits for the next run "
                   "[default: run_budget of the sources file, else 1800].")
@click.pass_context
def ingest(ctx, sources_path, workers, concurrency, per_host, force, no_analyze, user_agent, max_time):
    """Fetch due sources and store new articles (what cron runs).

    Exit code 0 when every source succeeded, 1 when some failed (the rest were
    still ingested), 2 for usage or configuration errors.

    \b
    Example:
        kb ingest --sources data/sample/sources.toml
        */30 * * * * cd /srv/newskb && .venv/bin/kb ingest 2>>logs/ingest.log
    """
    from kb.jobs.ingest_run import IngestOptions, run_ingest

    options = IngestOptions(workers=workers, concurrency=concurrency, per_host=per_host, force=force,
                            analyze=not no_analyze, user_agent=user_agent, max_time=max_time,
                            progress=progress_printer())
    stats = run_ingest(ctx.obj["db_path"], sources_path, options)
    click.echo(stats.summary(), err=True)
    if stats.status != "ok":
        sys.exit(EXIT_PARTIAL)


@cli.command()
@click.argument("urls", nargs=-1, required=True)
@sources_option
@click.option("--no-analyze", is_flag=True, help="Store articles only; skip extraction and stories.")
@click.pass_context
def add(ctx, urls, sources_path, no_analyze):
    """Ingest single article pages by URL (always refetched).

    \b
    Example:
        kb add https://example.com/2026/04/14/mai-image-2-efficient
    """
    from kb.core.config import DEFAULT_SOURCES
    from kb.jobs.ingest_run import IngestOptions, add_urls

    sources = sources_path or (DEFAULT_SOURCES if DEFAULT_SOURCES.exists() else None)
    stats = add_urls(ctx.obj["db_path"], list(urls), sources, IngestOptions(analyze=not no_analyze))
    click.echo(stats.summary(), err=True)
    for message in stats.errors:
        click.echo(f"  {message}", err=True)
    if stats.status != "ok":
        sys.exit(EXIT_PARTIAL)


@cli.group()
def sources():
    """List and edit the sources file.

    \b
    Example:
        kb sources list
    """


def sources_file_path(sources_path: str | None) -> Path:
    from kb.core.config import DEFAULT_SOURCES

    return Path(sources_path) if sources_path else DEFAULT_SOURCES


@sources.command("list")
@sources_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def sources_list(ctx, sources_path, as_json):
    """List the sources of a sources file with their fetch state.

    \b
    Example:
        kb sources list --sources data/sample/sources.toml
    """
    from kb.core.config import load_sources

    sources_file = load_sources(sources_file_path(sources_path))
    db = read_db(ctx)
    state = {row["name"]: row for row in db.query("select * from sources")}
    rows = []
    for source in sources_file.sources:
        row = state.get(source.name, {})
        rows.append({"name": source.name, "kind": source.kind, "url": source.url,
                     "reliability": source.reliability, "last_status": row.get("last_status"),
                     "last_fetched_at": row.get("last_fetched_at"), "error_count": row.get("error_count", 0),
                     "next_fetch_after": row.get("next_fetch_after")})
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        status = r["last_status"] or "never fetched"
        errors = f", {r['error_count']} errors" if r["error_count"] else ""
        click.echo(f"{r['name']}  [{r['kind']}, reliability {r['reliability']:.2f}]  {status}{errors}\n    {r['url']}")


@sources.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--kind", type=click.Choice(["feed", "sitemap", "page"]), default="feed", show_default=True)
@click.option("--reliability", type=click.FloatRange(0, 1), default=0.5, show_default=True)
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--first-party", is_flag=True, help="The source speaks for the companies it covers (a company blog).")
@sources_option
def sources_add(name, url, kind, reliability, tags, first_party, sources_path):
    """Add a source to the sources file.

    \b
    Example:
        kb sources add "Microsoft AI blog" https://microsoft.ai/feed/ --reliability 0.95 --first-party
    """
    from kb.store.sources import add_source_to_file

    path = sources_file_path(sources_path)
    add_source_to_file(path, name=name, url=url, kind=kind, reliability=reliability, tags=list(tags),
                       first_party=first_party)
    click.echo(f"Added {name!r} to {path}")


@sources.command("remove")
@click.argument("name")
@sources_option
@click.pass_context
def sources_remove(ctx, name, sources_path):
    """Remove a source from the sources file (its articles stay in the database).

    \b
    Example:
        kb sources remove "Cloudline Daily"
    """
    from kb.store.sources import disable_source, remove_source_from_file

    path = sources_file_path(sources_path)
    db = get_db(ctx)  # before the file is edited: a wrong --db changes nothing
    remove_source_from_file(path, name)
    disable_source(db, name)
    click.echo(f"Removed {name!r} from {path}")


@sources.command("import-opml")
@click.argument("opml_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--reliability", type=click.FloatRange(0, 1), default=0.5, show_default=True)
@sources_option
def sources_import_opml(opml_file, reliability, sources_path):
    """Add every feed of an OPML file to the sources file.

    \b
    Example:
        kb sources import-opml subscriptions.opml
    """
    from kb.store.sources import import_opml

    path = sources_file_path(sources_path)
    added, skipped = import_opml(path, Path(opml_file), reliability)
    click.echo(f"Added {added} sources to {path}")
    for reason in skipped:
        click.echo(f"  skipped: {reason}", err=True)


@cli.command()
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def runs(ctx, limit, as_json):
    """Show the most recent ingest runs.

    \b
    Example:
        kb runs --limit 5
    """
    db = read_db(ctx)
    rows = list(db.query("select * from ingest_runs order by id desc limit ?", [limit]))
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(row["summary"] or f"run {row['id']} {row['status']} (started {row['started_at']})")


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.pass_context
def backup(ctx, path):
    """Write a consistent copy of the database, safe while ingest runs.

    Uses SQLite's online backup; restore by stopping cron and the server and
    copying the file back over data/kb.db.

    \b
    Example:
        kb backup backups/kb-$(date +%F).db
    """
    from kb.store.backup import backup_database

    existing_database(ctx.obj["db_path"])
    pages = backup_database(ctx.obj["db_path"], path)
    click.echo(f"Backed up {ctx.obj['db_path']} to {path} ({pages} pages)")


class PublishedDate(click.ParamType):
    """A publication date: YYYY-MM-DD (a full ISO timestamp is accepted too)."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        import datetime as dt

        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            try:
                return dt.datetime.fromisoformat(str(value)).date()
            except ValueError:
                self.fail(f"{value!r} is not a date: use YYYY-MM-DD, e.g. 2026-04-15", param, ctx)


def extract_jsonl_lines(lines, published):
    """Yield analysis items from JSON Lines input; bad lines yield an error dict instead."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield {"_error": f"line {number}: invalid JSON: {exc.msg}"}
            continue
        if not isinstance(item, dict) or not isinstance(item.get("text", ""), str):
            yield {"_error": f"line {number}: expected an object with a string \"text\""}
            continue
        raw = item.get("published")
        item_published = published
        if raw not in (None, ""):
            if not isinstance(raw, str):
                yield {"_error": f"line {number}: \"published\" must be a YYYY-MM-DD string"}
                continue
            try:
                item_published = PublishedDate().convert(raw, None, None)
            except click.BadParameter as exc:
                yield {"_error": f"line {number}: published: {exc.message}"}
                continue
        yield {"id": item.get("id", number), "text": item.get("text") or "", "published": item_published}


class TextFile(click.File):
    """FILE of `kb extract`: a file to read, or - for standard input; text given instead is told about --text."""

    def convert(self, value, param, ctx):
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            if isinstance(value, str) and not os.path.lexists(value):
                shown = value if len(value) <= 40 else value[:37] + "..."
                self.fail(f"no file named {shown!r}: kb extract reads FILE, or standard input when FILE is - "
                          'or omitted; to give the text itself, use --text "..."', param, ctx)
            raise


@cli.command()
@click.argument("file", type=TextFile("r", encoding="utf-8"), required=False)
@click.option("--text", default=None, help="Analyse this text instead of reading FILE or standard input.")
@click.option("--published", type=PublishedDate(), default=None,
              help="Publication date that relative dates (yesterday, on Tuesday) resolve against.")
@click.option("--jsonl", is_flag=True,
              help='Read JSON Lines {"id", "text", "published"}; write one result per line.')
def extract(file, text, published, jsonl):
    """Print the entities, dates and events found in a text (JSON).

    Reads FILE, or standard input when FILE is - or omitted, or the text
    given with --text. Offsets are character offsets into the text as given.

    \b
    Example:
        echo "Microsoft released MAI-Image-2-Efficient on Tuesday." | kb extract --published 2026-04-15
        kb extract --published 2026-04-15 --text "Microsoft released MAI-Image-2-Efficient on Tuesday."
        kb extract --jsonl articles.jsonl > analyses.jsonl
    """
    from kb.nlp.pipeline import analyze, analyze_many

    if text is not None and (file is not None or jsonl):
        raise click.UsageError("--text is the whole input: give it without FILE and without --jsonl")
    file = file or click.open_file("-", encoding="utf-8")
    try:
        if not jsonl:
            echo_json(analyze(file.read() if text is None else text, published))
            return
        failures = 0
        good: list[dict] = []

        def flush() -> None:
            for result in analyze_many(good):
                click.echo(json.dumps(result, ensure_ascii=False))
            good.clear()

        for item in extract_jsonl_lines(file, published):
            if "_error" in item:
                failures += 1
                click.echo(f"Error: {item['_error']} (skipped)", err=True)
                continue
            good.append(item)
            if len(good) >= 64:
                flush()
        flush()
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"input is not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    if failures:
        sys.exit(EXIT_PARTIAL)


@cli.command()
@click.option("--all", "all_articles", is_flag=True, help="Re-analyse every article, not only stale ones.")
@click.option("--article", "article_ids", type=int, multiple=True, help="Re-analyse this article id (repeatable).")
@click.option("--batch-size", type=click.IntRange(1, 1000), default=32, show_default=True)
@click.pass_context
def reprocess(ctx, all_articles, article_ids, batch_size):
    """Re-run topic rules and entity, date and event extraction over stored articles.

    Without options, re-analyses articles never analysed or analysed by an older
    pipeline version (after editing the gazetteer or the trigger lexicon); the
    stored rows of each article are replaced, never duplicated.

    \b
    Example:
        kb reprocess --all
        kb reprocess --article 12 --article 15
    """
    from kb.core.errors import NotFound
    from kb.jobs.analyse import reprocess as reprocess_articles

    db = get_db(ctx)
    ids = list(article_ids) or None
    if ids:
        marks = ", ".join("?" * len(ids))
        found = {row[0] for row in db.execute(f"select id from articles where id in ({marks})", ids)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(f"no article with id {', '.join(map(str, missing))}: see `kb runs` or the articles table")
    from kb.store.topics import reevaluate_relevance

    relevance_changed = reevaluate_relevance(db)
    first = None
    if relevance_changed and not all_articles:
        # Articles that became (ir)relevant gain or lose their events.
        if ids:
            ids = sorted(set(ids) | set(relevance_changed))
        else:
            first = reprocess_articles(db, article_ids=relevance_changed, batch_size=batch_size)
    summary = reprocess_articles(db, all=all_articles, article_ids=ids, batch_size=batch_size)
    if first is not None:
        for field in ("articles", "mentions", "timexes", "events", "not_english", "cleared", "failed"):
            setattr(summary, field, getattr(summary, field) + getattr(first, field))
    parts = [f"{len(relevance_changed)} articles changed relevance", f"{summary.articles} articles analysed", f"{summary.mentions} mentions",
             f"{summary.timexes} dates", f"{summary.events} event mentions"]
    if summary.not_english:
        parts.append(f"{summary.not_english} not English")
    if summary.cleared:
        parts.append(f"{summary.cleared} cleared (duplicates or failed)")
    if summary.failed:
        parts.append(f"{len(summary.failed)} failed (see articles.analysis_error)")
    click.echo(", ".join(parts))
    if summary.failed:
        sys.exit(EXIT_PARTIAL)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Serve the knowledge base read-only with Datasette and the project's pages.

    The database is migrated first when it is writable and out of date, then
    opened by Datasette in WAL mode, so `kb ingest` from cron can keep writing
    while it serves.

    \b
    Example:
        kb --db data/kb.db serve --port 8001
    """
    from datasette_plugins.serve import serve as serve_datasette

    db = read_db(ctx)
    db.conn.close()
    click.echo(f"Serving {ctx.obj['db_path']} on http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    serve_datasette(ctx.obj["db_path"], host=host, port=port)


STORY_STATUSES = ("developing", "ongoing", "dormant")


@cli.command()
@click.option("--now", default=None, metavar="DATE",
              help="Measure story status (developing/ongoing/dormant) from this date "
                   "instead of the newest article's publication time.")
@click.pass_context
def rescore(ctx: click.Context, now: str | None) -> None:
    """Recompute every event's status and scores, and every story, from data/weights.toml.

    Deterministic: the same database and weights give byte-identical scores.

    \b
    Example:
        kb rescore
        kb rescore --now 2026-04-30
    """
    from kb.jobs.rescore import rescore as rescore_all

    summary = rescore_all(get_db(ctx), now=now)
    click.echo(f"Rescored {summary.events} events and {summary.stories} stories "
               f"(formula {summary.formula_version}, status as of {summary.reference_at or 'no articles'})")


@cli.group()
def stories() -> None:
    """List, show and edit developing stories.

    \b
    Example:
        kb stories list --status developing
    """


@stories.command("list")
@click.option("--status", type=click.Choice(STORY_STATUSES), default=None, help="Only stories with this status.")
@click.option("--limit", type=click.IntRange(1, 100000), default=None, help="At most this many stories.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def stories_list(ctx: click.Context, status: str | None, limit: int | None, as_json: bool) -> None:
    """List stories, most important first.

    \b
    Example:
        kb stories list --status developing --json
    """
    from kb.core.formats import percent
    from kb.stories.cards import list_stories

    rows = list_stories(read_db(ctx), status=status, limit=limit)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No stories yet: run `kb ingest` (stories are built as articles are analysed).")
        return
    for row in rows:
        importance, confidence = percent(row["importance"]), percent(row["confidence"])
        click.echo(f"{row['id']:>5}  {row['status']:<10} I {importance:>4}  C {confidence:>4}  "
                   f"M {row['mentions']:>3}  {row['title']}")


@stories.command("show")
@click.argument("story_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the card as JSON.")
@click.pass_context
def stories_show(ctx: click.Context, story_id: int, as_json: bool) -> None:
    """Show a story card: overview, key facts, sections, scores and sourced timeline.

    \b
    Example:
        kb stories show 3
    """
    from kb.stories.cards import render_card, story_card

    card = story_card(read_db(ctx), story_id)
    if as_json:
        echo_json(card)
    else:
        click.echo(render_card(card))


@stories.command("merge")
@click.argument("keep_id", type=int)
@click.argument("other_id", type=int)
@click.pass_context
def stories_merge(ctx: click.Context, keep_id: int, other_id: int) -> None:
    """Move every event of story OTHER_ID into story KEEP_ID.

    The merge is manual: reprocessing and rescoring keep it.

    \b
    Example:
        kb stories merge 3 7
    """
    from kb.stories.edits import merge_stories

    merge_stories(get_db(ctx), keep_id, other_id)
    click.echo(f"Merged story {other_id} into story {keep_id}")


@stories.command("split")
@click.argument("story_id", type=int)
@click.argument("event_ids", type=int, nargs=-1, required=True)
@click.pass_context
def stories_split(ctx: click.Context, story_id: int, event_ids: tuple[int, ...]) -> None:
    """Move some events of a story into a new story (event ids from `kb stories show`).

    \b
    Example:
        kb stories split 3 41 42
    """
    from kb.stories.edits import split_story

    new_id = split_story(get_db(ctx), story_id, list(event_ids))
    click.echo(f"Moved {len(set(event_ids))} events from story {story_id} into new story {new_id}")


@stories.command("rename")
@click.argument("story_id", type=int)
@click.argument("title")
@click.pass_context
def stories_rename(ctx: click.Context, story_id: int, title: str) -> None:
    """Give a story a title of your own; it is kept from then on.

    \b
    Example:
        kb stories rename 3 "Microsoft's MAI model family"
    """
    from kb.stories.edits import rename_story

    rename_story(get_db(ctx), story_id, title)
    click.echo(f"Renamed story {story_id}")


@stories.command("set-overview")
@click.argument("story_id", type=int)
@click.argument("overview")
@click.pass_context
def stories_set_overview(ctx: click.Context, story_id: int, overview: str) -> None:
    """Write a story's overview yourself; it is kept from then on.

    \b
    Example:
        kb stories set-overview 3 "Microsoft AI's in-house models, from MAI-Voice-1 on."
    """
    from kb.stories.edits import set_overview

    set_overview(get_db(ctx), story_id, overview)
    click.echo(f"Set the overview of story {story_id}")


@cli.group()
@click.option(
    "--gazetteer",
    "gazetteer_path",
    type=click.Path(dir_okay=False),
    default=None,
    envvar="KB_GAZETTEER",
    help="Gazetteer file (default data/gazetteer.jsonl, or $KB_GAZETTEER).",
)
@click.pass_context
def entities(ctx: click.Context, gazetteer_path: str | None) -> None:
    """List known entities and review the names the gazetteer does not know yet.

    \b
    Example:
        kb entities candidates --min-mentions 2
    """
    ctx.obj["gazetteer"] = gazetteer_path


@entities.command("list")
@click.option("--type", "etype", default=None, metavar="TYPE", help="Only this type (ORG, PERSON, PRODUCT...).")
@click.option("--search", default=None, help="Only names or aliases containing this text.")
@click.option("--status", type=click.Choice(["known", "candidate", "ignored", "all"]), default="known",
              show_default=True, help="Only entities with this status.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def entities_list(ctx: click.Context, etype: str | None, search: str | None, status: str, as_json: bool) -> None:
    """List entities in the database, most central to the topic first.

    \b
    Example:
        kb entities list --type PERSON --search Nadella
    """
    from kb.store.entities import list_entities

    rows = list_entities(read_db(ctx), type=etype, search=search, status=None if status == "all" else status)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No entities match: run `kb entities sync` to load the gazetteer.")
        return
    for row in rows:
        aliases = f"  ({row['aliases']})" if row["aliases"] else ""
        click.echo(f"{row['id']:>5}  {row['type']:<11} {row['status']:<9} {row['centrality']:.2f}  "
                   f"M {row['mentions']:>4}  {row['name']}{aliases}")


@entities.command("candidates")
@click.option("--min-mentions", type=click.IntRange(1, None), default=1, show_default=True,
              help="Only names mentioned at least this often.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def entities_candidates(ctx: click.Context, min_mentions: int, as_json: bool) -> None:
    """List names found in articles that the gazetteer does not know, most mentioned first.

    \b
    Example:
        kb entities candidates --min-mentions 2 --json
    """
    from kb.store.entities import list_candidates

    rows = list_candidates(read_db(ctx), min_mentions=min_mentions)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No candidates: every name found so far is known or ignored.")
        return
    for row in rows:
        click.echo(f"{row['name']}  [{row['type']}]  {row['mentions']} mentions in {row['articles']} "
                   f"articles, first seen {row['first_seen'] or 'n/a'}")
        if row["example"]:
            click.echo(f"    {row['example']}")
    click.echo("Keep one with `kb entities promote NAME`, drop one with `kb entities ignore NAME`.")


@entities.command("promote")
@click.argument("name")
@click.option("--type", "etype", default=None, metavar="TYPE",
              help="Entity type (ORG, PERSON, PRODUCT, GPE, ...); default: the guessed one.")
@click.option("--alias", "aliases", multiple=True, help="Another name for it (repeatable).")
@click.pass_context
def entities_promote(ctx: click.Context, name: str, etype: str | None, aliases: tuple[str, ...]) -> None:
    """Make a candidate a known entity and add it to the gazetteer file.

    \b
    Example:
        kb entities promote "Denise Dresser" --type PERSON --alias Dresser
    """
    from kb.store.entities import promote_candidate

    result = promote_candidate(get_db(ctx), name, type=etype, aliases=aliases,
                               gazetteer_path=ctx.obj.get("gazetteer"))
    click.echo(f"Promoted {result['name']} ({result['type']}) and added it to {result['gazetteer']}; "
               "run `kb reprocess` to find it in articles analysed before.")


@entities.command("ignore")
@click.argument("name")
@click.pass_context
def entities_ignore(ctx: click.Context, name: str) -> None:
    """Stop listing a candidate name and leave it out of story matching.

    \b
    Example:
        kb entities ignore "Media Relations"
    """
    from kb.store.entities import ignore_candidate

    changed = ignore_candidate(get_db(ctx), name)
    click.echo(f"Ignored {name}" if changed else f"{name} was already ignored")


@entities.command("sync")
@click.pass_context
def entities_sync(ctx: click.Context) -> None:
    """Load the gazetteer file into the database (known entities and their aliases).

    \b
    Example:
        kb entities sync
    """
    from kb.store.entities import sync_gazetteer

    count = sync_gazetteer(get_db(ctx), ctx.obj.get("gazetteer"))
    click.echo(f"Synced {count} entities from the gazetteer")


def print_eval_report(report: dict) -> None:
    """The `kb eval` figures as a short table."""

    def row(name: str, figures: dict) -> None:
        click.echo(f"  {name:<22} P {figures['precision']:6.2f}  R {figures['recall']:6.2f}  "
                   f"F1 {figures['f1']:6.2f}  (gold {figures['gold']}, predicted {figures['predicted']})")

    click.echo(f"Sample gold: {report['documents']} articles")
    for kind in ("strict", "lenient", "linked"):
        row(f"entities {kind}", report["entities"][kind])
    tx = report["timexes"]
    for kind in ("relaxed", "value"):
        row(f"timexes {kind}", {"precision": tx[f"{kind}_precision"], "recall": tx[f"{kind}_recall"],
                                "f1": tx[f"{kind}_f1"], "gold": tx["gold"], "predicted": tx["predicted"]})
    row("events", report["events"])
    row("timeline dates", report["timeline_dates"])
    for split, figures in report.get("events_by_split", {}).items():
        row(f"events ({split})", figures["events"])
        row(f"timeline dates ({split})", figures["timeline_dates"])
    for split, figures in (report.get("timebank") or {}).items():
        click.echo(f"  timebank {split:<13} value F1 {figures['value_f1']:6.2f}  "
                   f"relaxed F1 {figures['relaxed_f1']:6.2f}  ({figures['documents']} documents)")


@cli.command(name="eval")
@click.option("--gold", "gold_dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="Directory of gold JSON files (default data/gold/sample).")
@click.option("--floors", "floors_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Floors file (default data/gold/floors.toml).")
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
def eval_command(gold_dir, floors_path, as_json):
    """Score extraction against the gold annotations; fail below the floors.

    Prints precision, recall and F1 for entities, timexes (sample gold and the
    TimeML gold), events (type and sentence) and timeline dates (type,
    sentence and date value). Exits 1 when a figure is below its floor.

    \b
    Example:
        kb eval
        kb eval --json > eval.json
    """
    from kb.jobs.evaluate import check_floors, evaluate

    report = evaluate(gold_dir)
    failures = check_floors(report, floors_path)
    if as_json:
        echo_json({**report, "floor_failures": failures})
    else:
        print_eval_report(report)
    for failure in failures:
        click.echo(f"Below floor: {failure}", err=True)
    if failures:
        sys.exit(EXIT_PARTIAL)
