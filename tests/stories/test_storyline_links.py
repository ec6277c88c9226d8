"""Storylines that link on evidence: two lines whose reports are mostly the same articles, naming
one entity, become one story (the other id redirects); under the threshold they stay apart; hand
edits win over evidence after rescoring; arrival order does not change the result."""

from __future__ import annotations

import json

import pytest
from datasette.app import Datasette

from kb.jobs.integrate import integrate_articles
from kb.stories.storylines import resolve_story_id
from tests.ledger.ledger_data import Corpus

RELEASE = "maker|Microsoft AI"
HIRES = "org|Microsoft AI"


def release(c: Corpus, article: int, n: int) -> int:
    return c.mention(article, "release", f"Microsoft AI released MAI-Image-1 in {n} more regions.",
                     [("Microsoft AI", "agent"), ("MAI-Image-1", "product")], f"2025-10-{10 + n:02d}")


def hire(c: Corpus, article: int, n: int) -> int:
    return c.mention(article, "personnel", f"Mustafa Suleyman named {n} new leaders at Microsoft AI.",
                     [("Mustafa Suleyman", "agent"), ("Microsoft AI", "object")], f"2025-11-{10 + n:02d}")


def corpus(db, both: int, releases_only: int = 2, hires_only: int = 2) -> list[int]:
    """Articles reporting only the release line, only the hires line, then `both` reporting both."""
    c = Corpus(db)
    c.source("Cloudline Daily", 0.8)
    articles = []
    for n in range(releases_only):
        a = c.article("Cloudline Daily", f"2025-10-{10 + n:02d}T09:00:00Z", f"release-{n}")
        release(c, a, n)
        articles.append(a)
    for n in range(hires_only):
        a = c.article("Cloudline Daily", f"2025-11-{10 + n:02d}T09:00:00Z", f"hires-{n}")
        hire(c, a, n)
        articles.append(a)
    for n in range(both):
        a = c.article("Cloudline Daily", f"2025-12-{10 + n:02d}T09:00:00Z", f"both-{n}")
        release(c, a, 10 + n)
        hire(c, a, 10 + n)
        articles.append(a)
    db.conn.commit()
    return articles


def integrate_each(db, articles: list[int]) -> None:
    for article_id in articles:
        integrate_articles(db, [article_id])


def key_story(db, key: str) -> int | None:
    row = db.execute("SELECT story_id FROM storyline_keys WHERE key = ?", [key]).fetchone()
    return resolve_story_id(db, row[0]) if row else None


def stories(db) -> dict[int, set[str]]:
    """Each live story -> the keys of its events."""
    out: dict[int, set[str]] = {}
    for story_id, key in db.execute("""SELECT se.story_id, sl.key FROM story_events se
                                       JOIN storyline_events sl ON sl.event_id = se.event_id
                                       JOIN stories s ON s.id = se.story_id WHERE s.status != 'merged'"""):
        out.setdefault(story_id, set()).add(key)
    return out


def test_two_lines_reported_by_the_same_articles_become_one_story_and_the_old_id_redirects(db):
    articles = corpus(db, both=4)
    integrate_each(db, articles[:4])
    release_story, hires_story = key_story(db, RELEASE), key_story(db, HIRES)
    assert release_story and hires_story and release_story != hires_story  # two lines so far
    integrate_each(db, articles[4:])
    kept = key_story(db, RELEASE)
    assert key_story(db, HIRES) == kept
    assert sorted(stories(db).values(), key=sorted) == [{RELEASE, HIRES}]
    gone = ({release_story, hires_story} - {kept}).pop()
    assert db.execute("SELECT status, merged_into FROM stories WHERE id = ?", [gone]).fetchone() == ("merged", kept)
    row = dict(next(db.query("SELECT * FROM storyline_link_evidence")))
    assert (row["key_a"], row["key_b"], row["kind"], row["entity"]) == (RELEASE, HIRES, "auto", "Microsoft AI")
    assert (row["shared"], row["articles_a"], row["articles_b"]) == (4, 6, 6)
    assert json.loads(row["article_ids"]) == articles[4:]
    assert "both 0" in row["shared_articles"]


async def test_the_merged_story_page_redirects_to_the_story_it_joined(db, db_path):
    articles = corpus(db, both=4)
    integrate_each(db, articles[:4])
    before = {key_story(db, RELEASE), key_story(db, HIRES)}
    integrate_each(db, articles[4:])
    kept = key_story(db, RELEASE)
    gone = (before - {kept}).pop()
    db.conn.commit()
    ds = Datasette([str(db_path)])
    response = await ds.client.get(f"/-/story/{gone}")
    assert response.status_code == 302
    assert response.headers["location"].endswith(f"/-/story/{kept}")
    page = await ds.client.get(f"/-/story/{kept}.json")
    assert page.status_code == 200


def test_lines_sharing_under_half_of_one_line_stay_apart(db):
    # 3 shared articles: all of one line's, but 3 of 8 of the other's.
    articles = corpus(db, both=3, releases_only=5, hires_only=0)
    integrate_each(db, articles)
    assert key_story(db, RELEASE) != key_story(db, HIRES)
    assert db.execute("SELECT count(*) FROM storyline_links").fetchone()[0] == 0


def test_one_shared_article_is_not_evidence(db):
    articles = corpus(db, both=1, releases_only=1, hires_only=1)
    integrate_each(db, articles)
    assert db.execute("SELECT count(*) FROM storyline_links").fetchone()[0] == 0
    assert key_story(db, RELEASE) != key_story(db, HIRES)


def test_naming_a_tracked_party_in_both_lines_is_no_evidence(db):
    """Lines whose shared articles have in common only Microsoft (a tracked party at the top,
    named in nearly every line) stay apart; the same articles naming Microsoft AI link them."""
    c = Corpus(db)
    c.source("Cloudline Daily", 0.8)
    articles = []
    for n, (launch, hire_line) in enumerate([(True, False), (True, False), (False, True), (False, True),
                                             (True, True), (True, True), (True, True), (True, True)]):
        a = c.article("Cloudline Daily", f"2025-12-{10 + n:02d}T09:00:00Z", f"party-{n}")
        if launch:
            c.mention(a, "release", f"Microsoft released MAI-Image-1 in {n} more regions.",
                      [("Microsoft", "agent"), ("MAI-Image-1", "product")], f"2025-10-{10 + n:02d}")
        if hire_line:
            c.mention(a, "personnel", f"Mustafa Suleyman named {n} new leaders at Microsoft.",
                      [("Mustafa Suleyman", "agent"), ("Microsoft", "object")], f"2025-11-{10 + n:02d}")
        articles.append(a)
    db.conn.commit()
    integrate_each(db, articles)
    assert db.execute("SELECT count(*) FROM storyline_links WHERE kind = 'auto'").fetchone()[0] == 0
    assert len(stories(db)) == 2


@pytest.mark.parametrize("order", ["forward", "reverse", "together"])
def test_links_do_not_depend_on_arrival_order(db, order):
    articles = corpus(db, both=4)
    if order == "together":
        integrate_articles(db, articles)
    else:
        integrate_each(db, articles if order == "forward" else articles[::-1])
    assert sorted(stories(db).values(), key=sorted) == [{RELEASE, HIRES}]
    assert db.execute("SELECT key_a, key_b, kind, shared FROM storyline_links").fetchall() == [
        (RELEASE, HIRES, "auto", 4)]


def test_a_hand_split_wins_over_evidence_after_rescore_and_later_reports(db, run_kb):
    articles = corpus(db, both=4)
    integrate_each(db, articles)
    kept = key_story(db, RELEASE)
    hires = [r[0] for r in db.execute(
        """SELECT se.event_id FROM story_events se JOIN storyline_events sl ON sl.event_id = se.event_id
           WHERE se.story_id = ? AND sl.key = ? ORDER BY se.event_id""", [kept, HIRES])]
    db.conn.commit()
    result = run_kb("stories", "split", str(kept), *map(str, hires))
    assert result.exit_code == 0, result.output
    split_off = int(result.output.split()[-1])
    assert db.execute("SELECT kind FROM storyline_links").fetchall() == [("split",)]
    result = run_kb("rescore")
    assert result.exit_code == 0, result.output
    assert set(stories(db)) == {kept, split_off}
    assert stories(db)[split_off] == {HIRES}
    # A later article reporting both lines: each report joins its own line's story.
    c = Corpus(db)
    c._entities.update((name, entity_id) for entity_id, name in db.execute("SELECT id, name FROM entities"))
    c._sources["Cloudline Daily"] = db.execute("SELECT id FROM sources").fetchone()[0]
    a = c.article("Cloudline Daily", "2026-01-20T09:00:00Z", "both-again")
    release(c, a, 20)
    hire(c, a, 20)
    db.conn.commit()
    integrate_articles(db, [a])
    assert stories(db) == {kept: {RELEASE}, split_off: {HIRES}}


def test_a_hand_merge_and_a_rename_win_over_evidence(db, run_kb):
    articles = corpus(db, both=1, releases_only=2, hires_only=2)
    integrate_each(db, articles)
    release_story, hires_story = key_story(db, RELEASE), key_story(db, HIRES)
    assert release_story != hires_story  # one shared article: no evidence
    db.conn.commit()
    assert run_kb("stories", "rename", str(hires_story), "Suleyman's team").exit_code == 0
    result = run_kb("stories", "merge", str(hires_story), str(release_story))
    assert result.exit_code == 0, result.output
    assert db.execute("SELECT kind FROM storyline_links").fetchall() == [("merge",)]
    assert run_kb("rescore").exit_code == 0
    assert key_story(db, RELEASE) == key_story(db, HIRES) == hires_story
    assert db.execute("SELECT title FROM stories WHERE id = ?", [hires_story]).fetchone()[0] == "Suleyman's team"


def test_an_automatic_merge_keeps_the_story_edited_by_hand(db, run_kb):
    articles = corpus(db, both=4)
    integrate_each(db, articles[:4])
    release_story, hires_story = key_story(db, RELEASE), key_story(db, HIRES)
    db.conn.commit()
    assert run_kb("stories", "rename", str(release_story), "Image launches").exit_code == 0
    integrate_each(db, articles[4:])
    assert key_story(db, HIRES) == key_story(db, RELEASE) == release_story
    assert db.execute("SELECT status, merged_into FROM stories WHERE id = ?", [hires_story]).fetchone() == (
        "merged", release_story)
    assert db.execute("SELECT title FROM stories WHERE id = ?", [release_story]).fetchone()[0] == "Image launches"
