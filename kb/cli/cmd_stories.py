"""`kb stories`: list, show and edit developing stories."""

from __future__ import annotations

import click

from kb.cli.shared import echo_json, get_db, read_db

STORY_STATUSES = ("developing", "ongoing", "dormant")


@click.group()
def stories() -> None:
    """List, show and edit developing stories.

    \b
    Example:
        kb stories list --status developing
    """


@stories.command("list")
@click.option("--status", type=click.Choice(STORY_STATUSES), default=None,
              help="Only stories with this status.")
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
    click.echo(f"{'ID':>5}  {'STATUS':<10}  {'IMPORTANCE':>10}  {'CONFIDENCE':>10}  {'MENTIONS':>8}  TITLE")
    for row in rows:
        importance, confidence = percent(row["importance"]), percent(row["confidence"])
        click.echo(f"{row['id']:>5}  {row['status']:<10}  {importance:>10}  {confidence:>10}  "
                   f"{row['mentions']:>8}  {row['title']}")


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
