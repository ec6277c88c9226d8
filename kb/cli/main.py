"""The `kb` command: a thin click layer over the kb and ingest libraries.

This module holds the group, its global options and the error handling (named exceptions become
one-line messages and exit codes); the commands live in the cmd_*.py modules beside it. The CLI
imports the database and the jobs inside the functions that use them, so `kb --help` stays fast.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys

import click

from ingest.exceptions import IngestError, PolicyError
from kb.cli.cmd_database import backup, init, migrate
from kb.cli.cmd_entities import entities
from kb.cli.cmd_extract import eval_command, extract
from kb.cli.cmd_ingest import add, ingest, runs
from kb.cli.cmd_recompute import reprocess, rescore
from kb.cli.cmd_serve import serve
from kb.cli.cmd_sources import sources
from kb.cli.cmd_stories import stories
from kb.cli.shared import EXIT_PARTIAL, EXIT_USAGE
from kb.core.errors import ConfigError, KBError, LockHeld, NoDatabase


class KBGroup(click.Group):
    """A click group that turns library errors into one-line messages, never tracebacks."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (ConfigError, PolicyError, NoDatabase, LockHeld) as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(EXIT_PARTIAL if isinstance(exc, LockHeld) else EXIT_USAGE)
        except (KBError, IngestError) as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(EXIT_PARTIAL)
        except sqlite3.DatabaseError as exc:
            from kb.store.db import default_db_path, is_write_refused, write_problem

            # A full disk, a read-only file or a lock, met in the middle of a command.
            if is_write_refused(exc):
                path = (ctx.obj or {}).get("db_path") or default_db_path()
                click.echo(f"Error: {write_problem(path, exc)}", err=True)
            else:
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
            click.echo(f"Error: unexpected {type(exc).__name__}: {exc} (set KB_DEBUG=1 for details)",
                       err=True)
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
    from kb.store.db import default_db_path

    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    ctx.obj = {"db_path": db_path or default_db_path()}


for _command in (init, migrate, backup, ingest, add, runs, sources, reprocess, rescore, stories, entities,
                 extract, eval_command, serve):
    cli.add_command(_command)
