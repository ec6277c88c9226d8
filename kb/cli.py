"""The `kb` command: a thin click layer over the kb and ingest libraries."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import sys
from pathlib import Path

import click

from kb.db import default_db_path, migrate_db, open_db
from kb.errors import ConfigError, KBError, LockHeld

log = logging.getLogger("kb")

# Exit codes: 0 ok, 1 some work failed, 2 usage or configuration error.
EXIT_PARTIAL = 1
EXIT_USAGE = 2


class KBGroup(click.Group):
    """A click group that turns library errors into one-line messages, never tracebacks."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (ConfigError, LockHeld) as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(EXIT_USAGE if isinstance(exc, ConfigError) else EXIT_PARTIAL)
        except KBError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(EXIT_PARTIAL)
        except sqlite3.DatabaseError as exc:
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
    """Open (and migrate) the database named by --db."""
    return open_db(ctx.obj["db_path"])


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
    db = get_db(ctx)
    tables = len(db.table_names())
    click.echo(f"{'Updated' if existed else 'Created'} {path} ({tables} tables)")


@cli.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Apply pending schema migrations and list them.

    \b
    Example:
        kb migrate
    """
    db = open_db(ctx.obj["db_path"], migrate=False)
    applied = migrate_db(db)
    if applied:
        for name in applied:
            click.echo(f"applied {name}")
    else:
        click.echo("database is up to date")


def echo_json(obj) -> None:
    """Print an object as JSON on stdout."""
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))
