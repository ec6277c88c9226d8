"""The story card in headless Chromium on a real `kb serve` of the example base (the sample corpus
and tests/fixtures/card): at 1366 and 400 px wide, no horizontal overflow, no console errors, the
card's sections in order. Screenshots go to test-artifacts/ (ignored by git):
story-card-1366.png and story-card-400.png."""

from __future__ import annotations

import pytest

from tests.loopback import kb_served
from tests.stories.test_card_example import example_db, example_story  # noqa: F401 (a fixture)
from tests.web.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason=f"no Chromium at {CHROMIUM} (.ci/run installs it)")
SECTIONS = ["overview", "fact-sheet", "strategic-context", "competitive-implications", "legal-watch",
            "key-facts", "what-changed", "sources"]


@pytest.fixture
def served_example(example_db):  # noqa: F811
    with kb_served(example_db) as base:
        yield base, example_story(example_db)


@pytest.mark.parametrize("width", [1366, 400])
def test_story_card_in_a_browser(served_example, width):
    from playwright.sync_api import sync_playwright

    base, story_id = served_example
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = chromium.new_page(viewport={"width": width, "height": 900})
        problems: list[str] = []
        page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}")
                if msg.type == "error" else None)
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        try:
            response = page.goto(f"{base}/-/story/{story_id}", wait_until="load")
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / f"story-card-{width}.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")
            assert response.status == 200 and problems == []
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{overflow} px of horizontal overflow at {width} px"
            order = page.eval_on_selector_all(
                ".kb-story-card section[data-section]", "els => els.map(e => e.dataset.section)")
            shown = [s for s in dict.fromkeys(order) if s in SECTIONS]
            assert shown == SECTIONS, order
            wide = page.eval_on_selector_all(
                ".kb-story-card *", f"els => els.filter(e => e.getBoundingClientRect().right > {width} + 1)"
                                   ".map(e => e.tagName + ' ' + Math.round(e.getBoundingClientRect().left) + '-' + Math.round(e.getBoundingClientRect().right))")
            assert wide == [], wide
            assert page.inner_text("h1").strip() and "Developing Story" == page.text_content(".kb-card-kicker").strip()
        finally:
            page.close()
            chromium.close()
