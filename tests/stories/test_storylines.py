"""Storylines on the sample corpus: the lines an analyst recognises, headline titles, briefs, and the
same storylines whatever the merge size or the number of runs the articles arrive in."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli.main import cli
from kb.core.relations import default_relations
from kb.jobs.analyse import analyze_articles
from kb.store.db import open_db
from kb.stories.storylines import resolve_story_id

SAMPLE_SOURCES = Path(__file__).resolve().parents[2] / "data" / "sample" / "sources.toml"
MAI_MODELS = ("MAI-Voice-1", "MAI-1-preview", "MAI-Image-1", "MAI-Image-2", "MAI-Image-2-Efficient")
HEADLINE = re.compile(r"^[^–:]+ – [^–:]+ \((\d{4})(–\d{4})?\)$")


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> Path:
    """The sample corpus fetched and stored, not analysed (copied by each build)."""
    path = tmp_path_factory.mktemp("storylines") / "stored.db"
    result = CliRunner().invoke(cli, ["--db", str(path), "ingest", "--no-analyze", "--sources",
                                      str(SAMPLE_SOURCES)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return path


def build(stored: Path, tmp: Path, name: str, runs: list[slice] | None = None,
          merge_every: int | None = None) -> Path:
    """Analyse a copy of the stored corpus: in one run, or in runs over slices of its articles."""
    path = tmp / f"{name}.db"
    shutil.copy(stored, path)
    db = open_db(path)
    try:
        ids = [r[0] for r in db.execute("SELECT id FROM articles ORDER BY id")]
        for part in runs or [slice(None)]:
            analyze_articles(db, ids[part], merge_every=merge_every)
    finally:
        db.conn.close()
    return path


@pytest.fixture(scope="module")
def sample(stored, tmp_path_factory) -> Path:
    return build(stored, tmp_path_factory.mktemp("one-run"), "kb")


def storylines(path: Path) -> dict[frozenset, str]:
    """Each storyline's members (as content: type, date, sentence) -> its title; ids left out."""
    conn = sqlite3.connect(path)
    try:
        lines = {}
        for story_id, title in conn.execute("SELECT id, title FROM stories WHERE status != 'merged'"):
            members = frozenset(conn.execute(
                """SELECT e.type, e.sort_date, e.sentence FROM story_events se JOIN events e ON e.id = se.event_id
                   WHERE se.story_id = ?""", [story_id]).fetchall())
            lines[members] = title
        return lines
    finally:
        conn.close()


def story_with(conn: sqlite3.Connection, sentence_like: str) -> int | None:
    """The story of the event reported by a sentence like this: the event's own sentence or one of
    its mentions' (a fact reported in several sentences is one event, kb/ledger)."""
    row = conn.execute("""SELECT se.story_id FROM events e JOIN story_events se ON se.event_id = e.id
                          WHERE e.sentence LIKE ?1 OR e.id IN (SELECT event_id FROM event_mentions
                                                               WHERE sentence LIKE ?1)
                          ORDER BY e.id LIMIT 1""", [sentence_like]).fetchone()
    return row[0] if row else None


def test_sample_yields_the_storylines_an_analyst_recognises(sample):
    conn = sqlite3.connect(sample)
    title = {sid: t for sid, t in conn.execute("SELECT id, title FROM stories WHERE status != 'merged'")}
    marks = ", ".join("?" for _ in MAI_MODELS)
    # Microsoft's in-house MAI models: every launch in one storyline.
    mai = {r[0] for r in conn.execute(
        f"""SELECT DISTINCT se.story_id FROM story_events se JOIN events e ON e.id = se.event_id
            JOIN event_entities ee ON ee.event_id = e.id JOIN entities en ON en.id = ee.entity_id
            WHERE e.type = 'release' AND en.name IN ({marks}) AND e.status != 'denied'""", MAI_MODELS)}
    assert len(mai) == 1
    assert title[next(iter(mai))].startswith("Microsoft AI – MAI models")
    # The partnership's renegotiation: the memorandum of understanding, the new agreement.
    partnership = {story_with(conn, p) for p in ("%non-binding memorandum of understanding%",
                                                   "%Microsoft holds an investment in OpenAI Group PBC%")}
    assert len(partnership) == 1 and None not in partnership
    assert title[next(iter(partnership))].startswith("Microsoft and OpenAI – partnership renegotiation")
    # The early investments (2019, 2023) are a line of their own, not the renegotiation's.
    early = {story_with(conn, p) for p in ("%when Microsoft invested $1 billion in OpenAI%",
                                            "%extended the relationship in January 2023%")}
    assert len(early) == 1 and None not in early and not early & partnership
    assert title[next(iter(early))].startswith("Microsoft and OpenAI – partnership terms and investment")
    # The November 2023 board crisis: one line, titled by what its events are about.
    board = {story_with(conn, p) for p in ("%Mira Murati is interim CEO%", "%brings Altman back%")}
    assert len(board) == 1 and None not in board and not board & (partnership | early)
    assert "board" in title[next(iter(board))] and "compute" not in title[next(iter(board))]
    # Each court case is its own line: Musk's suit is not the newspaper's copyright suit.
    musk = conn.execute("""SELECT DISTINCT sl.key FROM storyline_events sl JOIN event_mentions em
                           ON em.event_id = sl.event_id
                           WHERE em.sentence LIKE '%Elon Musk has sued OpenAI%'""").fetchone()
    assert musk == ("case|Musk v. OpenAI",)
    suits = [story_with(conn, p) for p in ("%Elon Musk has sued OpenAI%", "%articles were copied to train%")]
    assert suits[0] is None or suits[0] != suits[1]
    # A handful of lines, none of a single report; the rest are briefs.
    articles = conn.execute("SELECT count(*) FROM articles WHERE duplicate_of IS NULL").fetchone()[0]
    assert len(title) <= articles // 3
    single = [sid for sid in title if conn.execute(
        """SELECT count(DISTINCT em.article_id) FROM story_events se JOIN event_mentions em
           ON em.event_id = se.event_id WHERE se.story_id = ?""", [sid]).fetchone()[0] < 2]
    assert len(single) <= len(title) // 4
    briefs = conn.execute("SELECT count(*) FROM briefs").fetchone()[0]
    placed = conn.execute("SELECT count(*) FROM story_events").fetchone()[0]
    assert 0 < briefs < placed
    conn.close()


@pytest.mark.xfail(strict=True, reason="'In March OpenAI signed a five-year contract with CoreWeave ... and took an "
                                       "equity stake' is now dated March 2025 (the tagger reads 'In March' before a "
                                       "name), so it is no longer folded into the article's publication-dated "
                                       "partnership: it stands alone as an investment and joins the Microsoft-OpenAI "
                                       "partnership-terms line instead of the compute deals")
def test_openai_compute_deals_are_one_line(sample):
    conn = sqlite3.connect(sample)
    title = {sid: t for sid, t in conn.execute("SELECT id, title FROM stories WHERE status != 'merged'")}
    partnership = {story_with(conn, p) for p in ("%non-binding memorandum of understanding%",
                                                   "%Microsoft holds an investment in OpenAI Group PBC%")}
    # OpenAI's compute deals beyond Azure: Oracle, CoreWeave, AWS.
    compute = {story_with(conn, p) for p in ("%contract with CoreWeave%", "%$38 billion agreement%",
                                              "%capacity with Oracle, CoreWeave and Google Cloud%")}
    conn.close()
    assert len(compute) == 1 and None not in compute
    assert title[next(iter(compute))].startswith("OpenAI – compute deals")
    assert not compute & partnership


def test_titles_are_headlines_that_never_get_the_maker_wrong(sample):
    conn = sqlite3.connect(sample)
    titles = [r[0] for r in conn.execute("SELECT title FROM stories WHERE status != 'merged'")]
    conn.close()
    rel = default_relations()
    for title in titles:
        assert HEADLINE.match(title), title  # "Party – headline (years)": no fragment, no "A, B and C:"
        party, headline = title.split(" – ", 1)
        assert " releases " not in title
        assert party.count(",") == 0 and party.count(" and ") <= 1, title
        for product in rel.makers:  # a product in a line's headline is the party's (or its owners')
            if re.search(rf"\b{re.escape(product)}\b", headline) and party in rel.makers.values():
                assert rel.can_release(party, product), title


def test_storylines_do_not_depend_on_merge_size_or_runs(stored, sample, tmp_path):
    expected = storylines(sample)
    assert len(expected) >= 5
    small_merges = build(stored, tmp_path, "merge-every-3", merge_every=3)
    assert storylines(small_merges) == expected
    two_runs = build(stored, tmp_path, "two-runs", runs=[slice(0, None, 2), slice(1, None, 2)])
    assert storylines(two_runs) == expected


def test_rescore_recomputes_the_same_storylines(sample, tmp_path):
    path = tmp_path / "kb.db"
    shutil.copy(sample, path)
    before = storylines(path)
    result = CliRunner().invoke(cli, ["--db", str(path), "rescore"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert storylines(path) == before


def test_a_merged_id_keeps_redirecting_and_later_events_follow(sample, tmp_path):
    path = tmp_path / "kb.db"
    shutil.copy(sample, path)
    conn = sqlite3.connect(path)
    compute = story_with(conn, "%contract with CoreWeave%")
    partnership = story_with(conn, "%non-binding memorandum of understanding%")
    conn.close()
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", str(path), "stories", "merge", str(partnership), str(compute)])
    assert result.exit_code == 0, result.output
    db = open_db(path)
    assert resolve_story_id(db, compute) == partnership
    assert resolve_story_id(db, partnership) == partnership
    assert resolve_story_id(db, 987654) is None
    db.conn.close()
    for command in (["reprocess", "--all"], ["rescore"]):
        result = runner.invoke(cli, ["--db", str(path), *command], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        conn = sqlite3.connect(path)
        assert story_with(conn, "%contract with CoreWeave%") == partnership
        assert story_with(conn, "%non-binding memorandum of understanding%") == partnership
        assert conn.execute("SELECT status, merged_into FROM stories WHERE id = ?", [compute]).fetchone() == (
            "merged", partnership)
        conn.close()
