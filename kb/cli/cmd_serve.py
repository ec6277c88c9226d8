"""`kb serve`: serve the knowledge base read-only with Datasette (the server itself: kb/cli/serving.py)."""

from __future__ import annotations

import click

from kb.cli.shared import read_db


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Serve the knowledge base read-only with Datasette and the project's pages.

    The database is migrated first when it is writable and out of date, then
    opened by Datasette in WAL mode, so `kb ingest` from cron can keep writing
    while it serves.

    \b
    Example:
        kb --db data/kb.db serve --port 8001
    """
    from kb.cli.serving import serve as serve_datasette

    db = read_db(ctx)
    db.conn.close()
    click.echo(f"Serving {ctx.obj['db_path']} on http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    serve_datasette(ctx.obj["db_path"], host=host, port=port)
