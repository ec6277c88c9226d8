"""`kb ingest`, `kb add` and `kb runs`: bring articles in and look at the runs that did."""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

import click

from kb.cli.shared import EXIT_PARTIAL, echo_json, read_db, sources_option


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


@click.command()
@sources_option
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Processes for text extraction and analysis (use the number of cores).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Simultaneous fetches.")
@click.option("--per-host", type=click.IntRange(1, 16), default=2, show_default=True,
              help="Simultaneous fetches per host.")
@click.option("--force", is_flag=True, help="Fetch every source now, ignoring intervals and backoff.")
@click.option("--no-analyze", is_flag=True,
              help="Store articles only; skip entity/event extraction and stories.")
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


def check_urls(ctx, param, values: tuple[str, ...]) -> tuple[str, ...]:
    """Every URL must be an http(s) address with a host, before a run is recorded."""
    for value in values:
        parts = urlsplit(value.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise click.BadParameter(f"{value!r} is not an http(s) URL such as https://example.com/news/1",
                                     param_hint="URLS")
    return values


@click.command()
@click.argument("urls", nargs=-1, required=True, callback=check_urls)
@sources_option
@click.option("--no-analyze", is_flag=True, help="Store articles only; skip extraction and stories.")
@click.pass_context
def add(ctx, urls, sources_path, no_analyze):
    """Ingest single article pages by URL (always refetched).

    A URL that is not http(s) is refused before anything runs (exit code 2).
    Exit code 1 when some pages failed (each error is printed once); the run
    is recorded as failed when every page failed.

    \b
    Example:
        kb add https://example.com/2026/04/14/mai-image-2-efficient
    """
    from kb.core.config import DEFAULT_SOURCES
    from kb.jobs.ingest_run import IngestOptions, add_urls

    sources = sources_path or (DEFAULT_SOURCES if DEFAULT_SOURCES.exists() else None)
    # Each error is logged (on stderr) as it happens; the summary follows.
    stats = add_urls(ctx.obj["db_path"], list(urls), sources, IngestOptions(analyze=not no_analyze))
    click.echo(stats.summary(), err=True)
    if stats.status != "ok":
        sys.exit(EXIT_PARTIAL)


@click.command()
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def runs(ctx, limit, as_json):
    """Show the most recent ingest runs: status, start, duration and counts.

    \b
    Example:
        kb runs --limit 5
    """
    db = read_db(ctx)
    rows = list(db.query("select * from ingest_runs order by id desc limit ?", [limit]))
    for row in rows:
        row["duration_seconds"] = run_seconds(row)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No runs yet: `kb ingest` or `kb add` records one.")
        return
    click.echo(f"{'RUN':>5}  {'STATUS':<11}  {'STARTED (UTC)':<19}  {'DURATION':>9}  WHAT IT DID")
    for row in rows:
        started = (row["started_at"] or "").replace("T", " ").rstrip("Z")[:19]
        click.echo(f"{row['id']:>5}  {row['status']:<11}  {started:<19}  "
                   f"{duration_text(row['duration_seconds'], row['status']):>9}  {run_counts(row)}")


def run_seconds(row: dict) -> float | None:
    """How long a run took: its recorded seconds, else finish minus start (None while it runs)."""
    from kb.core.time import parse_timestamp

    if row.get("seconds") is not None:
        return row["seconds"]
    started, finished = parse_timestamp(row.get("started_at")), parse_timestamp(row.get("finished_at"))
    if started is None or finished is None:
        return None
    return max(0.0, (finished - started).total_seconds())


def duration_text(seconds: float | None, status: str) -> str:
    """'1.2s', '3m 05s', '1h 02m'; 'running' or 'unknown' without a finish."""
    if seconds is None:
        return "running" if status == "running" else "unknown"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def run_counts(row: dict) -> str:
    """What the run did, in a line: sources and articles by outcome."""
    return (f"sources {row['sources_ok']} ok, {row['sources_failed']} failed, "
            f"{row['sources_skipped']} not due; "
            f"articles {row['articles_new']} new, {row['articles_updated']} updated, "
            f"{row['articles_duplicate']} duplicate, {row['articles_failed']} failed, "
            f"{row.get('articles_deferred') or 0} deferred")
