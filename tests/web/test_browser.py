"""A real browser (headless Chromium) on a real `kb serve`: pages show their events, no console errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bench.generate_db import HOSTILE_STORY, HOSTILE_TITLE
from tests.loopback import kb_served

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason=f"no Chromium at {CHROMIUM} (.ci/run installs it)")


@pytest.fixture(scope="module")
def served(generated_kb: Path):
    """`kb serve` in a subprocess on a free loopback port; yields the base URL."""
    with kb_served(generated_kb) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def visit(browser, url: str, shot: str):
    """Open `url`; return the page text, console errors and dialogs seen, and save a screenshot."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}")
            if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    response = page.goto(url, wait_until="load")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / shot), full_page=False)
    text = page.inner_text("body")
    status = response.status if response else None
    page.close()
    return status, text, problems


def sentence_of(db_path: Path, sql: str) -> str:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


NEWEST = """SELECT coalesce(sentence, summary) FROM events
            WHERE status != 'superseded' AND sort_date IS NOT NULL
            {extra} ORDER BY sort_date DESC, id DESC LIMIT 1"""


def test_home_in_a_browser(browser, served, generated_kb):
    status, text, problems = visit(browser, served + "/", "home.png")
    assert status == 200 and problems == []
    top_story = sentence_of(generated_kb, "SELECT title FROM stories "
                                          "WHERE status IN ('developing', 'ongoing') "
                                          "ORDER BY importance DESC, id DESC LIMIT 1")
    assert top_story in text
    assert sentence_of(generated_kb, NEWEST.format(extra="AND importance >= 0.7")) in text


def test_timeline_in_a_browser(browser, served, generated_kb):
    status, text, problems = visit(browser, served + "/-/timeline?size=500", "timeline.png")
    assert status == 200 and problems == []
    assert sentence_of(generated_kb, NEWEST.format(extra="")) in text
    # The hostile evidence sentence is on this page and shows as text, without running.
    assert "<img src=x onerror=alert(1)>" in text


def test_story_page_in_a_browser(browser, served, generated_kb):
    status, text, problems = visit(browser, served + "/-/story/1", "story.png")
    assert status == 200 and problems == []
    assert sentence_of(generated_kb, "SELECT title FROM stories WHERE id = 1") in text
    assert sentence_of(generated_kb, NEWEST.format(
        extra="AND id IN (SELECT event_id FROM story_events WHERE story_id = 1)")) in text
    assert "Key facts" in text and "Importance" in text


def test_hostile_pages_run_no_script(browser, served, generated_kb):
    hostile_story = sentence_of(generated_kb, f"SELECT id FROM stories WHERE title = '{HOSTILE_STORY}'")
    for path, shot, shown in [("/-/article/2", "article-hostile.png", HOSTILE_TITLE),
                              ("/-/search?q=script", "search.png", "Search"),
                              (f"/-/story/{hostile_story}", "story-hostile.png", HOSTILE_STORY)]:
        status, text, problems = visit(browser, served + path, shot)
        assert status == 200 and problems == [], path
        assert shown in text, path


def test_datasette_table_pages_in_a_browser(browser, served):
    """/kb/timeline opens on its rows, not on a tall facet block; internal columns stay out; /kb has the
    site's navigation."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(served + "/kb/timeline", wait_until="load")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "datasette-timeline.png"), full_page=False)
        assert page.inner_text("h1").strip() == "Timeline (view)"
        facets = page.eval_on_selector(".facet-results", "e => e.getBoundingClientRect().height")
        assert facets < 400, f"the facet block is {facets:.0f} px tall"
        rows_top = page.eval_on_selector("table.rows-and-columns", "e => e.getBoundingClientRect().top")
        assert rows_top < 900, f"the rows start {rows_top:.0f} px down, below the first screen"
        headers = page.eval_on_selector_all("table.rows-and-columns th", "els => els.map(e => e.dataset.column)")
        assert "event_id" in headers and not {"entity_ids", "article_url"} & set(headers)
        page.goto(served + "/kb", wait_until="load")
        nav = page.eval_on_selector_all(".kb-nav a", "els => els.map(e => e.textContent)")
        assert nav[:6] == ["Home", "Timeline", "Changes", "Watch", "Charts", "Search"]
        tables = page.inner_text("body")
        assert "event_keys" not in tables, tables[max(0, tables.find("event_keys") - 300):][:400]
        assert "story_events" in tables and "timeline" in tables
    finally:
        page.close()


OVERLAPS_JS = """sel => {
  const boxes = [...document.querySelectorAll(sel)].flatMap(form =>
    [...form.querySelectorAll('input:not([type=hidden]), select, button, a')].map(e => {
      const r = e.getBoundingClientRect();
      return {name: e.outerHTML.slice(0, 60), l: r.left, r: r.right, t: r.top, b: r.bottom};
    }));
  const found = [];
  boxes.forEach((a, i) => boxes.slice(i + 1).forEach(b => {
    if (a.l < b.r - 1 && b.l < a.r - 1 && a.t < b.b - 1 && b.t < a.b - 1) found.push(a.name + ' / ' + b.name);
  }));
  return found;
}"""
LAYOUT_PAGES = [("/", "home"), ("/-/timeline?size=50", "timeline"), ("/-/search?q=model", "search"),
                ("/-/charts", "charts"), ("/-/story/1", "story"), ("/-/changes?since=2000-01-01", "changes"),
                ("/-/watch", "watch"), ("/-/entity/1", "entity"), ("/-/event/1", "event"),
                ("/-/scores", "scores"), ("/kb", "database")]


@pytest.mark.parametrize("width", [1366, 400])
def test_pages_lay_out_at_desktop_and_phone_width(browser, served, width):
    """No control of a filter bar or search form covers another, nothing runs off the right edge,
    no '≡' menu beside the full navigation, no console errors; screenshots are saved as artifacts."""
    ARTIFACTS.mkdir(exist_ok=True)
    failures = []
    for path, name in LAYOUT_PAGES:
        page = browser.new_page(viewport={"width": width, "height": 900})
        problems: list[str] = []
        page.on("console", lambda msg, p=problems: p.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc, p=problems: p.append(str(exc)))
        try:
            response = page.goto(served + path, wait_until="load")
            # Score explanations open: their text must fit the page too.
            page.evaluate("document.querySelectorAll('details.kb-why').forEach(d => d.open = true)")
            page.screenshot(path=str(ARTIFACTS / f"layout-{name}-{width}.png"), full_page=True)
            if response is None or response.status != 200:
                failures.append(f"{path}: status {response.status if response else None}")
            overlaps = page.evaluate(OVERLAPS_JS, ".kb-filters")
            if overlaps:
                failures.append(f"{path} at {width}px: overlapping controls {overlaps}")
            scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if scroll > inner:
                failures.append(f"{path} at {width}px: {scroll - inner}px of horizontal overflow")
            if page.evaluate("!!document.querySelector('details.nav-menu')"):
                failures.append(f"{path}: a menu icon shows beside the navigation")
            if problems:
                failures.append(f"{path}: console errors {problems}")
            if name in ("home", "timeline", "story", "entity", "event") and not page.evaluate(
                    "[...document.querySelectorAll('details.kb-why li')].some(li => li.offsetHeight > 0)"):
                failures.append(f"{path}: no score explanation shows when opened")
        finally:
            page.close()
    assert failures == []
