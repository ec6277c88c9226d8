"""Sources: `kb sources list|add|remove|import-opml`, and sitemap and page sources."""

from __future__ import annotations

import sqlite3
import tomllib

import pytest

from kb.core.config import load_sources
from tests.conftest import SAMPLE_DIR
from tests.loopback import LoopbackServer, respond

BASE = """# my sources
allow_private_addresses = false

# the first one
[[source]]
name = "One"
url = "https://one.example/feed.xml"
reliability = 0.7
tags = ["a"]

# the second one
[[source]]
name = "Two"
url = "https://two.example/feed.xml"
"""


def test_add_appends_and_validates(run_kb, tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text(BASE)
    result = run_kb("sources", "add", "Three", "https://three.example/rss", "--reliability", "0.9",
                    "--tag", "press", "--first-party", "--sources", str(path))
    assert result.exit_code == 0, result.output
    loaded = load_sources(path)
    three = loaded.sources[-1]
    assert (three.name, three.url, three.reliability, three.tags, three.first_party) == (
        "Three", "https://three.example/rss", 0.9, ["press"], True)
    assert path.read_text().startswith(BASE)  # the rest of the file is untouched
    duplicate = run_kb("sources", "add", "One", "https://other.example/", "--sources", str(path))
    assert duplicate.exit_code == 2 and "already has a source named 'One'" in duplicate.output
    same_url = run_kb("sources", "add", "Other", "https://two.example/feed.xml", "--sources", str(path))
    assert same_url.exit_code == 2 and "already lists" in same_url.output
    not_http = run_kb("sources", "add", "Local", "file:///etc/passwd", "--sources", str(path))
    assert not_http.exit_code == 2 and "http(s)" in not_http.output
    assert len(load_sources(path).sources) == 3


@pytest.mark.usefixtures("db")
def test_remove_keeps_the_rest_verbatim(run_kb, tmp_path, db_path):
    path = tmp_path / "sources.toml"
    path.write_text(BASE)
    assert run_kb("sources", "list", "--sources", str(path)).exit_code == 0
    result = run_kb("sources", "remove", "One", "--sources", str(path))
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert "One" not in text and "the first one" not in text
    assert "# the second one" in text and "# my sources" in text
    assert [s.name for s in load_sources(path).sources] == ["Two"]
    missing = run_kb("sources", "remove", "Nope", "--sources", str(path))
    assert missing.exit_code == 1 and "no source named 'Nope'" in missing.output


def test_import_opml_with_folders(run_kb, tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text(BASE)
    opml = tmp_path / "subs.opml"
    opml.write_text("""<?xml version="1.0"?><opml version="2.0"><head><title>subs</title></head><body>
      <outline text="AI"><outline text="Lab blog" type="rss" xmlUrl="https://lab.example/feed"/>
        <outline text="Deep"><outline title="Deeper" xmlUrl="https://deep.example/atom"/></outline></outline>
      <outline text="Dup" xmlUrl="https://one.example/feed.xml"/>
      <outline text="Bad" xmlUrl="javascript:alert(1)"/></body></opml>""")
    result = run_kb("sources", "import-opml", str(opml), "--sources", str(path))
    assert result.exit_code == 0, result.output
    assert "Added 2 sources" in result.output
    assert "already lists" in result.output and "http(s)" in result.output
    by_name = {s.name: s for s in load_sources(path).sources}
    assert by_name["Lab blog"].tags == ["AI"]
    assert by_name["Deeper"].tags == ["AI", "Deep"]
    broken = tmp_path / "broken.opml"
    broken.write_text("<opml><body><outline")
    bad = run_kb("sources", "import-opml", str(broken), "--sources", str(path))
    assert bad.exit_code == 2 and "not a readable OPML file" in bad.output


@pytest.mark.usefixtures("db")
def test_list_shows_fetch_state(run_kb):
    sources = str(SAMPLE_DIR / "sources.toml")
    before = run_kb("sources", "list", "--sources", sources)
    assert before.exit_code == 0 and before.output.count("never fetched") == 4
    assert run_kb("ingest", "--no-analyze", "--sources", sources).exit_code == 0
    after = run_kb("sources", "list", "--json", "--sources", sources)
    import json

    rows = json.loads(after.output)
    assert [r["last_status"] for r in rows] == ["ok"] * 4
    assert all(r["next_fetch_after"] for r in rows)


def test_sitemap_and_page_sources(run_kb, db_path, tmp_path):
    pages = sorted((SAMPLE_DIR / "cloudline").rglob("*.html"))[:3]
    server = LoopbackServer(SAMPLE_DIR)
    locs = "".join(f"<url><loc>{server.url(str(p.relative_to(SAMPLE_DIR)))}</loc><lastmod>2026-04-15</lastmod></url>"
                   for p in pages[:2])
    server.route("/sitemap.xml")(lambda h: respond(
        h, 200, f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>',
        "application/xml"))
    server.route("/index.xml")(lambda h: respond(
        h, 200, '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f'<sitemap><loc>{server.url("/sitemap.xml")}</loc></sitemap></sitemapindex>', "application/xml"))
    with server:
        sources = tmp_path / "s.toml"
        sources.write_text(
            "allow_private_addresses = true\n"
            f'[[source]]\nname = "map"\nurl = "{server.url("/sitemap.xml")}"\nkind = "sitemap"\n'
            f'[[source]]\nname = "page"\nurl = "{server.url(str(pages[2].relative_to(SAMPLE_DIR)))}"\nkind = "page"\n'
            f'[[source]]\nname = "index"\nurl = "{server.url("/index.xml")}"\nkind = "sitemap"\n')
        result = run_kb("ingest", "--no-analyze", "--sources", str(sources))
    assert result.exit_code == 1  # the sitemap index is refused with a clear message
    conn = sqlite3.connect(db_path)
    per_source = dict(conn.execute(
        "select s.name, count(a.id) from sources s left join articles a on a.source_id = s.id "
        "and a.status = 'ok' group by s.name").fetchall())
    errors = dict(conn.execute("select name, last_error from sources").fetchall())
    conn.close()
    assert per_source == {"map": 2, "page": 1, "index": 0}
    assert "sitemap index" in errors["index"]


def test_real_sources_file_is_valid():
    real = load_sources()
    assert len(real.sources) >= 12
    assert not real.allow_private_addresses
    assert all(s.url.startswith("https://") for s in real.sources)
    assert any(s.first_party for s in real.sources)
    assert {"feed"} <= {s.kind for s in real.sources}
    with open(real.path, "rb") as fh:
        assert "source" in tomllib.load(fh)
