"""What the `kb` command modules share: exit codes, the database of --db, JSON output, --sources."""

from __future__ import annotations

import json

import click

# Exit codes: 0 ok, 1 some work failed, 2 usage or configuration error.
EXIT_PARTIAL = 1
EXIT_USAGE = 2


def get_db(ctx: click.Context):
    """Open (and migrate) the existing database named by --db (only init, ingest and add create one)."""
    from kb.store.db import open_db

    return open_db(ctx.obj["db_path"], create=False)


def read_db(ctx: click.Context):
    """Open the database named by --db for a command that only reads (works on a read-only file)."""
    from kb.store.db import open_for_reading

    return open_for_reading(ctx.obj["db_path"])


def echo_json(obj) -> None:
    """Print an object as JSON on stdout."""
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def sources_option(fn):
    """--sources FILE, shared by the commands that read a sources file."""
    return click.option(
        "--sources", "sources_path", type=click.Path(dir_okay=False), default=None, envvar="KB_SOURCES",
        help="Sources file (default data/sources.toml, or $KB_SOURCES).",
    )(fn)
