"""`kb stories`: list, show and edit developing stories."""

from __future__ import annotations

import os

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
@click.option("--format", "fmt", type=click.Choice(("text", "json", "markdown")), default="text",
              help="text for a terminal, json (the same as the page's .json) or markdown.")
@click.option("--json", "as_json", is_flag=True, help="Print the card as JSON (same as --format json).")
@click.pass_context
def stories_show(ctx: click.Context, story_id: int, fmt: str, as_json: bool) -> None:
    """Show a story card: summary, overview, fact sheets, context, implications, legal watch,
    key facts, changes and sources.

    \b
    Example:
        kb stories show 3 --format markdown
    """
    from kb.stories.card_text import render_card, render_markdown
    from kb.stories.cards import story_card

    card = story_card(read_db(ctx), story_id)
    if as_json or fmt == "json":
        echo_json(card)
    elif fmt == "markdown":
        click.echo(render_markdown(card), nl=False)
    else:
        click.echo(render_card(card))


@stories.command("write")
@click.argument("story_id", type=int, required=False)
@click.option("--model", "model_id", default=None,
              help="An llm model id (`llm models`); default: the model set with `llm models default`.")
@click.option("--force", is_flag=True, help="Ask the model again even when this story version is cached.")
@click.pass_context
def stories_write(ctx: click.Context, story_id: int | None, model_id: str | None, force: bool) -> None:
    """Rewrite a story's summary and overview as fluent prose with a language model you chose.

    Optional: needs the llm library and a model configured for it (a local model through a
    plugin such as llm-ollama, or a provider key). The model gets only the card's facts and
    sources and must cite them; sentences without a citation are dropped. The result is cached
    per story version and shown on the card as model-written. Without STORY_ID, every
    developing story.

    \b
    Example:
        kb stories write 3 --model llama3.2
    """
    db = get_db(ctx)  # a missing database is the first thing to say
    try:
        import llm
    except ImportError:
        raise click.ClickException(
            "`kb stories write` needs the llm library: pip install llm (and a model plugin such as "
            "llm-ollama, or a provider key); nothing else needs it") from None
    from kb.stories.card_prose import write_prose
    from kb.stories.cards import list_stories, story_card

    chosen = model_id or _configured_model(llm)
    if chosen is None:
        raise click.ClickException("no language model configured: pass --model ID (see `llm models`) or set "
                                   "one with `llm models default ID`")
    try:
        model = llm.get_model(chosen)
    except llm.UnknownModelError:
        raise click.ClickException(f"unknown model {chosen!r}: see `llm models` for the installed ones") \
            from None

    def ask(prompt: str) -> str:
        try:
            return model.prompt(prompt).text()
        except Exception as exc:  # a provider's or plugin's error: one line, nothing written
            raise click.ClickException(f"model {chosen} failed: {type(exc).__name__}: {exc}") from None

    ids = [story_id] if story_id is not None else [r["id"] for r in list_stories(db, status="developing")]
    for sid in ids:
        card = story_card(db, sid)
        with db.conn:
            prose = write_prose(db, card, model.model_id, ask, force=force)
        state = "cached" if prose["cached"] else f"written, {prose['dropped']} uncited sentences dropped"
        click.echo(f"story {sid}: model-written summary and overview by {model.model_id} ({state})")


def _configured_model(llm_module) -> str | None:
    """The model the user set with `llm models default`, or None when they set none."""
    path = llm_module.user_dir() / "default_model.txt"
    if os.environ.get("LLM_MODEL"):
        return os.environ["LLM_MODEL"]
    return path.read_text().strip() or None if path.exists() else None


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
