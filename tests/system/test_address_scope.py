"""`allow_private` and `allow_networks` belong to the sources that declare them: a link in
another feed that leads to the same intranet host is refused, with the reason.

Real `kb ingest` runs: an "intranet" source served on loopback (so only a permission lets it
through), and a public feed (a local file, which needs no address permission) listing a link
to a page on that loopback host.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.loopback import LoopbackServer, respond
from tests.system.test_kill import rows
from tests.system.test_pending import article_html

PERMISSIONS = {
    "file allow_private_addresses": ("allow_private_addresses = true", ""),
    "source allow_private": ("", "allow_private = true"),
    "source allow_networks": ("", 'allow_networks = ["127.0.0.1/32"]'),
    "file allow_networks": ('allow_networks = ["127.0.0.1/32"]', ""),
}


def rss(*links: str) -> str:
    items = "".join(f"<item><title>{link}</title><link>{link}</link></item>" for link in links)
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>{items}</channel></rss>"


def intranet(server: LoopbackServer, *links: str) -> None:
    """A feed on the loopback host listing its own page and `links`; /secret.html is what no other feed may reach."""
    server.routes["/feed.xml"] = lambda h: respond(h, 200, rss(server.url("/story.html"), *links), "application/rss+xml")
    server.routes["/story.html"] = lambda h: respond(h, 200, article_html(1))
    server.routes["/secret.html"] = lambda h: respond(h, 200, article_html(2))


def write_sources(tmp_path: Path, server: LoopbackServer, top: str, on_source: str, public_links: list[str]) -> Path:
    public = tmp_path / "public"
    public.mkdir()
    (public / "feed.xml").write_text(rss(*public_links))
    path = tmp_path / "sources.toml"
    path.write_text(f'{top}\n\n[[source]]\nname = "intranet"\nurl = "{server.url("/feed.xml")}"\n{on_source}\n\n'
                    '[[source]]\nname = "public"\nurl = "public/feed.xml"\n')
    return path


def articles(db_path: Path) -> dict[str, tuple[str, str | None]]:
    return {url: (status, reason) for url, status, reason in rows(db_path, "select url, status, status_reason from articles")}


@pytest.mark.parametrize("permission", list(PERMISSIONS))
def test_a_permission_covers_its_own_source_and_not_links_in_other_feeds(run_kb, db_path, tmp_path, permission):
    top, on_source = PERMISSIONS[permission]
    with LoopbackServer() as server:
        intranet(server)
        secret = server.url("/secret.html")
        sources = write_sources(tmp_path, server, top, on_source, [secret])
        result = run_kb("ingest", "--no-analyze", "--sources", str(sources))
        assert "/secret.html" not in server.paths_requested()  # refused before connecting
    assert result.exit_code == 1  # the refused link is a failure of the run
    found = articles(db_path)
    assert found[server.url("/story.html")] == ("ok", None)  # the allowed source's own page
    status, reason = found[secret]
    assert status == "blocked"
    assert reason == ("loopback address 127.0.0.1 refused: source 'public' is not allowed private addresses "
                      "on 127.0.0.1 (allow_private, allow_networks)")
    assert rows(db_path, "select name, last_status from sources order by name") == [("intranet", "ok"), ("public", "ok")]


def test_an_allowed_source_reaches_private_addresses_only_on_its_feeds_host(run_kb, db_path, tmp_path):
    with LoopbackServer() as server:
        elsewhere = f"http://localhost:{server.port}/secret.html"  # the same machine under another host name
        intranet(server, elsewhere)
        sources = write_sources(tmp_path, server, "", "allow_private = true", [])
        result = run_kb("ingest", "--no-analyze", "--sources", str(sources))
        assert "/secret.html" not in server.paths_requested()
    assert result.exit_code == 1
    found = articles(db_path)
    assert found[server.url("/story.html")] == ("ok", None)
    status, reason = found[elsewhere]
    assert status == "blocked"
    assert "address" in reason and "(localhost) refused" in reason
    assert reason.endswith("source 'intranet' may fetch private addresses only on its feed's host 127.0.0.1, "
                           "not localhost")


@pytest.mark.parametrize("line, message", [
    ('allow_private = "yes"', "source 'intranet': allow_private must be true or false"),
    ('allow_networks = "10.0.0.0/8"', "source 'intranet': allow_networks must be a list of networks"),
    ('allow_networks = ["10.0.0.300/8"]', "source 'intranet': allow_networks must be a list of networks"),
])
def test_bad_source_permissions_are_usage_errors(run_kb, tmp_path, line, message):
    with LoopbackServer() as server:
        sources = write_sources(tmp_path, server, "", line, [])
        result = run_kb("ingest", "--no-analyze", "--sources", str(sources))
        assert server.requests == []
    assert result.exit_code == 2
    assert message in result.output
