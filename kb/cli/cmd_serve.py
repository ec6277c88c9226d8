"""`kb serve`: serve the knowledge base read-only with Datasette (the server itself: kb/cli/serving.py)."""

from __future__ import annotations

import click

from kb.cli.shared import read_db


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on.")
@click.option("--base-url", envvar="KB_BASE_URL", default=None, metavar="URL",
              help="The site's public address (https://news.example.com), for the feeds' absolute links "
                   "[default: the address each request came to, or $KB_BASE_URL].")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, base_url: str | None) -> None:
    """Serve the knowledge base read-only with Datasette and the project's pages.

    The database is migrated first when it is writable and out of date, then
    opened by Datasette in WAL mode, so `kb ingest` from cron can keep writing
    while it serves.

    \b
    Example:
        kb --db data/kb.db serve --port 8001
        kb --db data/kb.db serve --base-url https://news.example.com
    """
    from kb.cli.serving import check_base_url
    from kb.cli.serving import serve as serve_datasette
    from kb.core.errors import ConfigError

    if base_url is not None:
        try:
            base_url = check_base_url(base_url)
        except ConfigError as exc:
            raise click.BadParameter(str(exc), param_hint="--base-url") from None
    db = read_db(ctx)
    db.conn.close()
    click.echo(f"Serving {ctx.obj['db_path']} on http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    serve_datasette(ctx.obj["db_path"], host=host, port=port, base_url=base_url)
