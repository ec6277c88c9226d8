"""`kb init`, `kb migrate` and `kb backup`: create, upgrade and copy the database."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create the database (or bring it up to date).

    \b
    Example:
        kb --db data/kb.db init
    """
    from kb.store.db import open_db
    from kb.store.entities import sync_gazetteer

    path = Path(ctx.obj["db_path"])
    existed = path.exists()

    db = open_db(path)
    entities = sync_gazetteer(db)
    tables = len(db.table_names())
    click.echo(f"{'Updated' if existed else 'Created'} {path} ({tables} tables, "
               f"{entities} gazetteer entities)")


@click.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Apply pending schema migrations and list them.

    \b
    Example:
        kb migrate
    """
    from kb.store.db import migrate_db, open_db

    db = open_db(ctx.obj["db_path"], migrate=False, create=False)
    applied = migrate_db(db)
    if applied:
        for name in applied:
            click.echo(f"applied {name}")
    else:
        click.echo("database is up to date")


@click.command()
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
    from kb.store.db import existing_database

    existing_database(ctx.obj["db_path"])
    pages = backup_database(ctx.obj["db_path"], path)
    click.echo(f"Backed up {ctx.obj['db_path']} to {path} ({pages} pages)")
