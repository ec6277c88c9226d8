"""Canonical URLs, redirect-link unwrapping and feed link resolution."""

from __future__ import annotations

import base64
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.exceptions import FetchError
from ingest.urls import (
    canonicalize_url,
    is_http_url,
    load_url_rules,
    resolve_link,
    same_site,
    unwrap_redirect_link,
)

ROOT = Path(__file__).resolve().parents[2]
RULES = load_url_rules(ROOT / "data" / "url_rules.toml")


@pytest.mark.parametrize(("url", "canonical"), [
    # scheme, host, port, fragment
    ("HTTP://WWW.Example.COM:80/News/Story#comments", "http://www.example.com/News/Story"),
    ("https://example.com:443", "https://example.com/"),
    ("https://example.com:8443/a", "https://example.com:8443/a"),
    ("https://user:pw@example.com./a", "https://example.com/a"),
    ("  https://example.com/a\n", "https://example.com/a"),
    ("https://bücher.example/straße", "https://xn--bcher-kva.example/stra%C3%9Fe"),
    ("https://[2001:DB8::0001]/x", "https://[2001:db8::1]/x"),
    # tracking parameters and query order
    ("https://example.com/a?utm_source=rss&utm_medium=feed&id=7", "https://example.com/a?id=7"),
    ("https://example.com/a?b=2&fbclid=XYZ&a=1&gclid=1&UTM_Campaign=x", "https://example.com/a?a=1&b=2"),
    ("https://example.com/a?ocid=msedgntp&cmpid=x&ref=hn&_ga=1&spm=a.b&guccounter=1", "https://example.com/a"),
    ("https://example.com/a?src=rss&page=2", "https://example.com/a?page=2"),
    ("https://example.com/search?src=typed_query&q=openai", "https://example.com/search?q=openai&src=typed_query"),
    ("https://example.com/a?", "https://example.com/a"),
    ("https://example.com/a?q=x+y&flag", "https://example.com/a?flag&q=x+y"),
    # percent-encoding and path
    ("https://example.com/%7euser/%e2%82%ac?q=%7e%2f", "https://example.com/~user/%E2%82%AC?q=~%2F"),
    ("https://example.com/a b/é", "https://example.com/a%20b/%C3%A9"),
    ("https://example.com/100%", "https://example.com/100%25"),
    ("https://example.com//a///b/./c/../d", "https://example.com/a/b/d"),
    ("https://example.com/Case/Kept", "https://example.com/Case/Kept"),
    ("https://example.com/news/index.html", "https://example.com/news/"),
    ("https://example.com/a;jsessionid=0A1B2C/b", "https://example.com/a/b"),
    # AMP and mobile editions
    ("https://m.example.com/news/1", "https://www.example.com/news/1"),
    ("https://mobile.example.co.uk/news/1", "https://www.example.co.uk/news/1"),
    ("https://amp.example.com/news/1", "https://www.example.com/news/1"),
    ("https://www.example.com/amp/news/1", "https://www.example.com/news/1"),
    ("https://www.example.com/news/1/amp", "https://www.example.com/news/1"),
    ("https://www.example.com/news/1.amp.html", "https://www.example.com/news/1.html"),
    ("https://www.example.com/news/1?amp=1", "https://www.example.com/news/1"),
    ("https://www.example.com/news/1?amp", "https://www.example.com/news/1"),
    ("https://www.example.com/news/1?outputType=amp", "https://www.example.com/news/1"),
    ("https://www-example-com.cdn.ampproject.org/c/s/www.example.com/news/1.amp.html",
     "https://www.example.com/news/1.html"),
    ("https://amp.dev/about", "https://amp.dev/about"),  # a site called amp, not an edition
    ("https://m.co/x", "https://m.co/x"),
    # file URLs only get their escapes normalised
    ("file:///srv/news/%7esite/a b.html#x", "file:///srv/news/~site/a%20b.html"),
])
def test_canonicalize_url(url, canonical):
    assert canonicalize_url(url, RULES) == canonical
    assert canonicalize_url(canonical, RULES) == canonical


def test_canonicalize_relative_against_base():
    assert canonicalize_url("../b/c?utm_term=1", RULES, base="https://Example.com/x/y/z") == "https://example.com/x/b/c"


@pytest.mark.parametrize("bad", ["", "not a url", "mailto:a@example.com", "javascript:alert(1)", "ftp://example.com/",
                                 "//example.com/x", "https:///path", "http://exa mple.com/", "http://[::1/",
                                 "http://example.com:99999/"])
def test_canonicalize_rejects_non_urls_with_value_error(bad):
    with pytest.raises(ValueError):
        canonicalize_url(bad, RULES)


# Arbitrary text, and text shaped like URLs so hypothesis reaches the interesting branches.
url_texts = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda scheme, host, port, path, query, frag: f"{scheme}://{host}{port}{path}{query}{frag}",
        st.sampled_from(["http", "https", "HTTPS", "file", "ftp"]),
        st.one_of(st.from_regex(r"(www\.|m\.|amp\.)?[a-zA-Z0-9-]{1,10}\.(com|co\.uk|de)", fullmatch=True),
                  st.text(max_size=12), st.just("[::1]"), st.just("127.0.0.1")),
        st.sampled_from(["", ":80", ":443", ":8080", ":", ":x"]),
        st.lists(st.one_of(st.sampled_from([".", "..", "", "amp", "index.html", "a.amp.html", "%7e", "%2F", "%"]),
                           st.text(max_size=6)), max_size=5).map(lambda s: "/" + "/".join(s)),
        st.lists(st.tuples(st.sampled_from(["utm_source", "amp", "src", "a", "B", "ref", "q"]),
                           st.text(max_size=5)), max_size=4)
        .map(lambda pairs: ("?" + "&".join(f"{k}={v}" for k, v in pairs)) if pairs else ""),
        st.sampled_from(["", "#frag", "#"]),
    ),
)


@settings(max_examples=400, deadline=None)
@given(url_texts)
def test_canonicalize_never_crashes_and_is_idempotent(url):
    try:
        once = canonicalize_url(url, RULES)
    except ValueError:
        return
    assert canonicalize_url(once, RULES) == once
    assert "#" not in once
    if not once.startswith("file:"):
        assert is_http_url(once)
        # Tracking parameters are gone from the query (a host may of course be named utm_).
        keys = [k.lower() for k, _ in parse_qsl(urlsplit(once).query, keep_blank_values=True)]
        assert not any(k.startswith("utm_") for k in keys)


# --- redirect links ---------------------------------------------------------------------------

TARGET = "https://www.example.com/news/microsoft-openai?id=5"


def google_news_id(payload: bytes) -> str:
    message = b"\x08\x13\x22" + bytes([len(payload)]) + payload + b"\xd2\x01\x00"
    return base64.urlsafe_b64encode(message).decode().rstrip("=")


@pytest.mark.parametrize("link", [
    f"https://www.bing.com/news/apiclick.aspx?ref=FexRss&aid=&tid=abc&url={quote(TARGET, safe='')}&c=1&mkt=en-us",
    "https://www.bing.com/ck/a?!&&p=abc&u=a1" + base64.urlsafe_b64encode(TARGET.encode()).decode().rstrip("=") + "&ntb=1",
    f"https://www.google.com/url?rct=j&sa=t&url={quote(TARGET, safe='')}&ct=ga&usg=x",
    f"https://www.google.co.uk/url?q={quote(TARGET, safe='')}&sa=U",
    f"https://news.google.com/rss/articles/{google_news_id(TARGET.encode())}?oc=5",
    f"https://news.google.com/articles/{google_news_id(TARGET.encode())}",
    f"https://r.search.yahoo.com/_ylt=AwrX;_ylu=Y29s/RV=2/RE=1700000000/RO=10/RU={quote(TARGET, safe='')}/RK=2/RS=x-",
    f"https://l.facebook.com/l.php?u={quote(TARGET, safe='')}&h=AT0",
    f"https://duckduckgo.com/l/?uddg={quote(TARGET, safe='')}&rut=abc",
    # wrapped twice
    "https://www.google.com/url?q=" + quote("https://l.facebook.com/l.php?u=" + quote(TARGET, safe=""), safe=""),
], ids=["bing-apiclick", "bing-ck", "google-url", "google-q", "gnews-rss", "gnews", "yahoo", "facebook",
        "duckduckgo", "nested"])
def test_unwrap_redirect_link(link):
    assert unwrap_redirect_link(link) == TARGET


@pytest.mark.parametrize("link", [
    "https://news.google.com/rss/articles/" + google_news_id(b"AU_yqLOpaqueNewStyleToken") + "?oc=5",
    "https://news.google.com/rss/articles/!!notbase64!!",
    "http://feedproxy.google.com/~r/example/~3/abcdef/story.html",
    "https://feeds.feedburner.com/~r/example/~3/xyz/",
    "https://www.google.com/url?q=javascript:alert(1)",
    "https://www.bing.com/news/apiclick.aspx?url=file:///etc/passwd",
    TARGET,
    "not a url at all",
])
def test_undecodable_links_are_returned_unchanged(link):
    assert unwrap_redirect_link(link) == link


@given(st.text(max_size=120))
def test_unwrap_never_crashes(text):
    assert isinstance(unwrap_redirect_link(text), str)


# --- sites and links --------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b", "same"), [
    ("https://www.example.com/a", "http://example.com/b", True),
    ("https://m.example.com/a", "https://amp.example.com/b", True),
    ("https://example.com/a", "https://example.org/a", False),
    ("https://news.example.com/a", "https://example.com/a", False),
    ("not a url", "not a url", False),
])
def test_same_site(a, b, same):
    assert same_site(a, b, RULES) is same


@pytest.mark.parametrize(("url", "expected"), [
    ("https://example.com/", True), ("HTTP://example.com", True), ("ftp://example.com/", False),
    ("https:///x", False), ("example.com", False), ("http://[::1", False),
])
def test_is_http_url(url, expected):
    assert is_http_url(url) is expected


def test_resolve_link_relative_and_absolute():
    feed = "https://example.com/feeds/rss.xml"
    assert resolve_link("../news/1.html", feed, allow_local_root=None) == "https://example.com/news/1.html"
    assert resolve_link("//cdn.example.net/x", feed, allow_local_root=None) == "https://cdn.example.net/x"
    assert resolve_link(" https://other.example/a ", feed, allow_local_root=None) == "https://other.example/a"


@pytest.mark.parametrize("link", ["file:///etc/passwd", "javascript:alert(1)", "data:text/html,x",
                                  "mailto:x@example.com", "ftp://example.com/a", "", "http:///nohost"])
def test_resolve_link_refuses_odd_schemes_in_web_feeds(link):
    with pytest.raises(FetchError) as info:
        resolve_link(link, "https://example.com/rss.xml", allow_local_root="/")
    assert info.value.status == "blocked"


def test_resolve_link_file_links_only_from_local_feeds_inside_root(tmp_path: Path):
    root = tmp_path / "corpus"
    (root / "site").mkdir(parents=True)
    feed = (root / "site" / "feed.xml").as_uri()
    inside = resolve_link("2025/story.html", feed, allow_local_root=str(root))
    assert inside == (root / "site" / "2025" / "story.html").as_uri()
    (root / "escape").symlink_to(tmp_path)
    for link in ("../../secret.txt", "/etc/passwd", (root / "escape" / "x").as_uri()):
        with pytest.raises(FetchError) as info:
            resolve_link(link, feed, allow_local_root=str(root))
        assert info.value.status == "blocked"
    with pytest.raises(FetchError):
        resolve_link("story.html", feed, allow_local_root=None)


# --- the rules file is the data directory's ($KB_DATA_DIR) --------------------------------------

SAMPLE_PAGE = ROOT / "data/sample/cloudline/2019/07/microsoft-invests-1-billion-in-openai.html"
FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>One</title><link>https://one.example/</link>
<item><title>Story</title><link>story.html</link><guid>story-1</guid></item>
</channel></rss>
"""


@pytest.fixture
def one_story(tmp_path: Path) -> Path:
    """A local feed of one page whose rel=canonical carries a `keepme` query parameter."""
    site = tmp_path / "site"
    site.mkdir()
    page = SAMPLE_PAGE.read_text().replace(
        'href="https://cloudline.example/2019/07/microsoft-invests-1-billion-in-openai"',
        'href="https://one.example/story?keepme=7&amp;utm_source=rss"')
    (site / "story.html").write_text(page)
    (site / "feed.xml").write_text(FEED)
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nname = "One"\nurl = "{site / "feed.xml"}"\n')
    return sources


def data_dir_with_rules(tmp_path: Path, rules: str) -> Path:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("*.db*", "sample", "gold"))
    (data / "url_rules.toml").write_text(rules)
    return data


def kb(data: Path | None, db: Path, *args: str) -> subprocess.CompletedProcess:
    """The real `kb` command, reading its data files from `data` (else the checkout's data/)."""
    env = {k: v for k, v in os.environ.items() if k != "KB_DATA_DIR"}
    if data:
        env["KB_DATA_DIR"] = str(data)
    return subprocess.run([str(Path(sys.executable).with_name("kb")), "--db", str(db), *args],
                          capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)


def canonical_urls(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [row[0] for row in conn.execute("select canonical_url from articles order by id")]
    finally:
        conn.close()


def test_ingest_canonicalises_with_the_data_directorys_url_rules(one_story, tmp_path):
    default = kb(None, tmp_path / "default.db", "ingest", "--no-analyze", "--sources", str(one_story))
    assert default.returncode == 0, default.stderr
    assert canonical_urls(tmp_path / "default.db") == ["https://one.example/story?keepme=7"]
    rules = (ROOT / "data" / "url_rules.toml").read_text()
    rules = rules.replace('"taid", "fromrss",', '"taid", "fromrss", "keepme",')
    data = data_dir_with_rules(tmp_path, rules)
    edited = kb(data, tmp_path / "edited.db", "ingest", "--no-analyze", "--sources", str(one_story))
    assert edited.returncode == 0, edited.stderr
    assert canonical_urls(tmp_path / "edited.db") == ["https://one.example/story"]


@pytest.mark.parametrize(("rules", "message"), [
    ("[tracking\nnames = 1\n", "url_rules.toml: invalid TOML"),
    ("tracking = 3\n", "url_rules.toml: invalid URL rules"),
])
def test_a_bad_url_rules_file_stops_the_run_before_it_starts(one_story, tmp_path, rules, message):
    db = tmp_path / "kb.db"
    data = data_dir_with_rules(tmp_path, rules)
    result = kb(data, db, "ingest", "--no-analyze", "--sources", str(one_story))
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert not db.exists()  # stopped before the run started: nothing written
