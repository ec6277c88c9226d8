"""Storing analyses of articles in a real database; re-running never duplicates rows."""

from __future__ import annotations

import json

from kb.jobs.analyse import analyze_articles, reprocess
from kb.nlp.pipeline import nlp_version

LAUNCH = (
    "REDMOND, Wash. — Microsoft on Tuesday released MAI-Image-2-Efficient, priced at $19.50 per "
    "million output tokens. The model is available now in Microsoft Foundry, and Sam Altman's "
    "OpenAI signed a deal with Amazon Web Services last week."
)
GERMAN = (
    "Die Bundesregierung hat am Dienstag neue Regeln für künstliche Intelligenz beschlossen. "
    "Unternehmen müssen künftig offenlegen, welche Daten sie für das Training verwenden, und "
    "Behörden sollen die Einhaltung der Vorschriften regelmäßig überprüfen."
)


def add_article(db, slug: str, text: str, **extra) -> int:
    row = {"url": f"https://news.example/{slug}", "canonical_url": f"https://news.example/{slug}",
           "title": slug, "text": text, "status": "ok", "published_at": "2026-04-15T08:00:00-07:00",
           **extra}
    return db["articles"].insert(row).last_pk


def counts(db, article_id: int) -> tuple[int, int, int]:
    return tuple(
        db.execute(f"select count(*) from {table} where article_id = ?", [article_id]).fetchone()[0]
        for table in ("mentions", "timexes", "event_mentions")
    )


def test_analysis_stores_mentions_timexes_and_events(db):
    article = add_article(db, "launch", LAUNCH)
    summary = analyze_articles(db)
    assert summary.articles == 1
    mentions, timexes, events = counts(db, article)
    assert (mentions, timexes, events) == (summary.mentions, summary.timexes, summary.events)
    assert mentions >= 6 and timexes >= 2 and events >= 2
    row = db["articles"].get(article)
    assert row["processed_at"] and row["nlp_version"] == nlp_version()

    release = db.execute(
        "select type, date, date_source, entities, sentence_index from event_mentions "
        "where article_id = ? order by id", [article]).fetchone()
    assert release[:3] == ("release", "2026-04-14", "relative")
    assert release[4] == 0
    stored = json.loads(release[3])
    by_name = {e["name"]: e for e in stored}
    assert by_name["Microsoft"]["role"] == "agent" and by_name["Microsoft"]["label"] == "ORG"
    assert by_name["MAI-Image-2-Efficient"]["role"] == "product"
    for entity in stored:
        name = db.execute("select name from entities where id = ?", [entity["entity_id"]]).fetchone()[0]
        assert name == entity["name"]

    for start, end, text in db.execute('select start, "end", text from mentions where article_id = ?',
                                       [article]):
        assert LAUNCH[start:end] == text
    amounts = db.execute("select entity_id from mentions where article_id = ? and label = 'MONEY'",
                         [article]).fetchall()
    assert amounts == [(None,)]


def test_rerunning_does_not_duplicate_rows(db):
    article = add_article(db, "launch", LAUNCH)
    analyze_articles(db)
    first = counts(db, article)
    again = analyze_articles(db)
    assert again.articles == 0  # already analysed by this pipeline version
    forced = analyze_articles(db, [article], force=True)
    assert forced.articles == 1
    assert counts(db, article) == first
    reprocess(db, all=True)
    assert counts(db, article) == first
    assert db.execute("select count(*) from entities where name = 'Microsoft'").fetchone()[0] == 1


def test_stale_nlp_version_is_reprocessed(db):
    article = add_article(db, "launch", LAUNCH)
    analyze_articles(db)
    db.execute("update articles set nlp_version = 'old' where id = ?", [article])
    db.conn.commit()
    summary = reprocess(db)
    assert summary.articles == 1
    assert db["articles"].get(article)["nlp_version"] == nlp_version()


def test_non_english_article_gets_a_status(db):
    article = add_article(db, "german", GERMAN)
    summary = analyze_articles(db)
    assert summary.not_english == 1 and summary.articles == 0
    row = db["articles"].get(article)
    assert row["status"] == "not_english"
    assert "English" in row["status_reason"]
    assert counts(db, article) == (0, 0, 0)


def test_duplicates_and_failed_articles_are_skipped(db):
    original = add_article(db, "original", LAUNCH)
    copy = add_article(db, "copy", LAUNCH, duplicate_of=original)
    failed = add_article(db, "failed", None, status="http_error")
    analyze_articles(db)
    assert counts(db, original)[2] > 0
    assert counts(db, copy) == (0, 0, 0) and counts(db, failed) == (0, 0, 0)


def test_article_that_became_a_duplicate_loses_its_rows(db):
    first = add_article(db, "first", LAUNCH)
    second = add_article(db, "second", LAUNCH)
    analyze_articles(db)
    assert counts(db, second)[2] > 0
    db.execute("update articles set duplicate_of = ? where id = ?", [first, second])
    db.conn.commit()
    summary = reprocess(db)
    assert summary.cleared == 1
    assert counts(db, second) == (0, 0, 0)
    assert counts(db, first)[2] > 0


def test_analysis_feeds_the_claim_ledger(db):
    add_article(db, "launch", LAUNCH)
    summary = analyze_articles(db)
    assert summary.integrated
    linked = db.execute("select count(*) from event_mentions where event_id is not null").fetchone()[0]
    assert db.execute("select count(*) from events").fetchone()[0] >= 1
    assert linked >= 1


def test_kb_reprocess_command(run_kb, db):
    article = add_article(db, "launch", LAUNCH)
    result = run_kb("reprocess")
    assert result.exit_code == 0, result.output
    assert "1 articles analysed" in result.output
    result = run_kb("reprocess", "--article", str(article))
    assert result.exit_code == 0 and "1 articles analysed" in result.output
    result = run_kb("reprocess", "--all")
    assert result.exit_code == 0 and "1 articles analysed" in result.output
    assert counts(db, article)[2] > 0


def test_kb_reprocess_unknown_article_is_a_clear_error(run_kb, db):
    result = run_kb("reprocess", "--article", "999")
    assert result.exit_code == 1
    assert "no article with id 999" in result.output
    assert "Traceback" not in result.output


def _ledger_dump(db) -> list:
    """What the claim ledger and story placement built, in a comparable form."""
    return [
        db.execute("select id, type, status, date, date_mod, importance, confidence from events "
                   "order by id").fetchall(),
        db.execute("select article_id, sentence_index, start, event_id from event_mentions "
                   "order by article_id, sentence_index, start").fetchall(),
        db.execute("select story_id, event_id from story_events order by story_id, event_id").fetchall(),
        db.execute("select id, title from stories order by id").fetchall(),
    ]


def test_workers_build_the_same_ledger_as_one_process(tmp_path, run_kb):
    """Merges take the same runs of articles whatever the number of workers, so timing
    cannot change which reports merge into which events."""
    from kb.store.db import open_db
    from kb.store.entities import sync_gazetteer

    sources = "data/sample/sources.toml"
    base = tmp_path / "base.db"
    result = run_kb("--db", str(base), "ingest", "--sources", sources, "--no-analyze")
    assert result.exit_code == 0, result.output
    dumps = []
    for workers in (1, 2):
        path = tmp_path / f"w{workers}.db"
        path.write_bytes(base.read_bytes())
        db = open_db(path)
        sync_gazetteer(db)
        summary = analyze_articles(db, workers=workers, batch_size=4, merge_every=12)
        assert summary.articles >= 45 and summary.integrated
        dumps.append(_ledger_dump(db))
        db.conn.close()
    assert dumps[0][0] and dumps[0][2]  # events and stories were built
    assert dumps[0] == dumps[1]


def test_a_recap_is_stored_as_a_recap_with_the_facts_own_date(db):
    article = add_article(db, "recap", (
        "REDMOND, Wash. — Microsoft on Tuesday released MAI-Image-2-Efficient. The $1 billion Microsoft "
        "poured into OpenAI in 2019 gave it an exclusive license to the lab's models."))
    analyze_articles(db)
    rows = db.execute("select type, date, recap from event_mentions where article_id = ? order by start",
                      [article]).fetchall()
    assert rows == [("release", "2026-04-14", 0), ("investment", "2019", 1)]


def test_clauses_that_state_no_fact_are_stored_as_context_not_events(db):
    article = add_article(db, "plan", (
        "Microsoft plans to release a frontier model of its own next year. Should the talks collapse, "
        "OpenAI could sue Microsoft for anticompetitive behavior."))
    analyze_articles(db)
    assert counts(db, article)[2] == 0
    rows = db.execute("select kind, type, sentence_index, entities from context_clauses where article_id = ? "
                      "order by start", [article]).fetchall()
    assert [row[:3] for row in rows] == [("plan", "release", 0), ("legal_forward", "legal", 1)]
    assert [e["name"] for e in json.loads(rows[0][3])] == ["Microsoft"]
    reprocess(db, all=True)
    assert db.execute("select count(*) from context_clauses where article_id = ?", [article]).fetchone()[0] == 2
