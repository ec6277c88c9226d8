"""`kb sources`: list and edit the sources file."""

from __future__ import annotations

from pathlib import Path

import click

from kb.cli.shared import echo_json, get_db, read_db, sources_option


@click.group()
def sources():
    """List and edit the sources file.

    \b
    Example:
        kb sources list
    """


def sources_file_path(sources_path: str | None) -> Path:
    """The sources file of --sources, else data/sources.toml."""
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
                     "last_fetched_at": row.get("last_fetched_at"),
                     "error_count": row.get("error_count", 0),
                     "next_fetch_after": row.get("next_fetch_after")})
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        status = r["last_status"] or "never fetched"
        errors = f", {r['error_count']} errors" if r["error_count"] else ""
        click.echo(f"{r['name']}  [{r['kind']}, reliability {r['reliability']:.2f}]  {status}{errors}\n"
                   f"    {r['url']}")


@sources.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--kind", type=click.Choice(["feed", "sitemap", "page"]), default="feed", show_default=True)
@click.option("--reliability", type=click.FloatRange(0, 1), default=0.5, show_default=True)
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--first-party", is_flag=True,
              help="The source speaks for the companies it covers (a company blog).")
@click.option("--allow-private", is_flag=True,
              help="This source only may be at a loopback or private address (local testing, intranet).")
@sources_option
def sources_add(name, url, kind, reliability, tags, first_party, allow_private, sources_path):
    """Add a source to the sources file.

    \b
    Example:
        kb sources add "Microsoft AI blog" https://microsoft.ai/feed/ --reliability 0.95 --first-party
    """
    from kb.store.sources import add_source_to_file

    path = sources_file_path(sources_path)
    add_source_to_file(path, name=name, url=url, kind=kind, reliability=reliability, tags=list(tags),
                       first_party=first_party, allow_private=allow_private)
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
