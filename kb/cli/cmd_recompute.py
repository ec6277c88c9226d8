"""`kb reprocess` and `kb rescore`: recompute what is stored after the rules, lexicon or weights changed."""

from __future__ import annotations

import sys

import click

from kb.cli.shared import EXIT_PARTIAL, get_db


@click.command()
@click.option("--all", "all_articles", is_flag=True, help="Re-analyse every article, not only stale ones.")
@click.option("--article", "article_ids", type=int, multiple=True,
              help="Re-analyse this article id (repeatable).")
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
            raise NotFound(f"no article with id {', '.join(map(str, missing))}: "
                           "see `kb runs` or the articles table")
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
    parts = [f"{len(relevance_changed)} articles changed relevance", f"{summary.articles} articles analysed",
             f"{summary.mentions} mentions", f"{summary.timexes} dates", f"{summary.events} event mentions"]
    if summary.not_english:
        parts.append(f"{summary.not_english} not English")
    if summary.cleared:
        parts.append(f"{summary.cleared} cleared (duplicates or failed)")
    if summary.failed:
        parts.append(f"{len(summary.failed)} failed (see articles.analysis_error)")
    click.echo(", ".join(parts))
    if summary.failed:
        sys.exit(EXIT_PARTIAL)


@click.command()
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
