"""`kb entities`: list known entities, review and promote or ignore the names the gazetteer lacks."""

from __future__ import annotations

import click

from kb.cli.shared import echo_json, get_db, read_db


@click.group()
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
@click.option("--type", "etype", default=None, metavar="TYPE",
              help="Only this type (ORG, PERSON, PRODUCT...).")
@click.option("--search", default=None, help="Only names or aliases containing this text.")
@click.option("--status", type=click.Choice(["known", "candidate", "ignored", "all"]), default="known",
              show_default=True, help="Only entities with this status.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def entities_list(ctx: click.Context, etype: str | None, search: str | None, status: str,
                  as_json: bool) -> None:
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
