"""`kb ingest`, `kb add` and `kb runs`: bring articles in and look at the runs that did."""

from __future__ import annotations

import sys

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


@click.command()
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


@click.command()
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
