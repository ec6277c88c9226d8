"""`kb ingest` over a few hundred pages of varied real-world shape: no run stops.

The corpus (bench/varied_corpus.py, bench/page_shapes.py) holds WordPress, JSON-LD news,
AMP, Medium-like, press-release, paywall, liveblog, syndicated, link-list, FAQ,
navigation-heavy, non-English and tiny pages, with dates in many formats (zero dates, the
epoch, far-future dates, RFC 822, unix epochs, empty values), charsets that lie, broken
markup, entity-heavy text, duplicates, very long pages and HTTP failures, listed by RSS 2.0,
Atom and JSON feeds with odd dates and links. The real `kb` runs it twice on loopback, with
analysis: once with one worker and once with `--workers 2` into a second database.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from bench.varied_corpus import ARTICLE_SHAPES, FAULTS, build_corpus
from tests.knowledge import snapshot
from tests.loopback import LoopbackServer
from tests.system.test_kill import assert_consistent, rows, run_kb_process

PAGES = 300
SEED = 11
# Where each HTTP-level fault must end: (status of its row).
FAULT_STATUS = {"http-404": "http_error", "http-410": "http_error", "http-500": "http_error", "pdf": "not_html",
                "json": "not_html", "text-plain": "not_html", "empty-200": "extract_failed",
                "robots-disallowed": "blocked", "redirect": "ok", "redirect-chain": "ok"}


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """The corpus served on loopback and ingested into two databases (1 and 2 workers)."""
    workdir = tmp_path_factory.mktemp("varied")
    with LoopbackServer() as server:
        corpus = build_corpus(PAGES, server.base_url, seed=SEED)
        corpus.install(server.routes)
        sources = corpus.write_sources(workdir / "sources.toml")
        runs = {}
        for workers in (1, 2):
            db_path = workdir / f"kb-{workers}.db"
            started = time.monotonic()
            result = run_kb_process(db_path, "ingest", "--workers", str(workers), "--sources", str(sources))
            runs[workers] = (db_path, result)
            print(f"--workers {workers}: {time.monotonic() - started:.1f}s, {result.stderr.strip().splitlines()[-1]}")
    return corpus, runs


def entry_rows(db_path: Path) -> dict[str, tuple]:
    """(status, status_reason) of the row each feed entry (by its guid) ended in."""
    found = {}
    for guid, status, reason in rows(db_path, "select feed_guid, status, status_reason from articles "
                                              "where feed_guid is not null"):
        found[guid] = (status, reason)
    for guid, status, reason in rows(db_path, "select s.guid, a.status, a.status_reason from article_sightings s "
                                              "join articles a on a.id = s.article_id where s.guid is not null"):
        found.setdefault(guid, (status, reason))
    return found


def with_shared_rows(found: dict[str, tuple], planned: list) -> dict[str, tuple]:
    """An article keeps one sighting per source: when a feed lists a page and its exact copy
    (/copy/<n>/<path>), both entries end in one article, recorded with one of their guids."""
    def story(item) -> tuple[str, str]:
        return item.guid.rsplit(":", 1)[0], re.sub(r"^/copy/\d+", "", item.target)

    shared = {story(i): found[i.guid] for i in planned if i.target and i.guid in found}
    return {**{i.guid: shared[story(i)] for i in planned if i.target and story(i) in shared}, **found}


@pytest.mark.parametrize("workers", [1, 2])
def test_the_run_finishes_ok_or_partial_without_a_traceback(ingested, workers):
    _, runs = ingested
    db_path, result = runs[workers]
    assert result.returncode in (0, 1), result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "unexpected" not in result.stderr.lower(), result.stderr[-3000:]
    assert "not analysed" not in result.stderr, result.stderr[-3000:]
    assert rows(db_path, "select status from ingest_runs") == [("partial" if result.returncode else "ok",)]
    assert_consistent(db_path)


@pytest.mark.parametrize("workers", [1, 2])
def test_every_planned_entry_ends_with_a_row(ingested, workers):
    corpus, runs = ingested
    db_path, _ = runs[workers]
    assert rows(db_path, "select count(*) from pending_entries") == [(0,)]
    planned = corpus.planned()
    found = with_shared_rows(entry_rows(db_path), planned)
    missing = [(item.guid, item.link) for item in planned if item.guid not in found]
    assert not missing, missing[:5]
    for item in planned:
        status, reason = found[item.guid]
        assert status == "ok" or reason, (item.guid, status)
    # HTTP failures end as failed rows with their status; redirects as the page they lead to.
    for item in planned:
        page = corpus.pages.get(item.target or "")
        if page and page.shape in FAULTS:
            assert found[item.guid][0] == FAULT_STATUS[page.shape], (item.link, found[item.guid])
    # Pages of the ordinary article shapes are stored (whatever their charset, date or markup).
    stored = Counter(found[i.guid][0] == "ok" for i in planned
                     if i.target and corpus.pages[i.target].shape in ARTICLE_SHAPES)
    assert stored[False] <= 0.05 * (stored[True] + stored[False]), stored


def test_outcomes_by_shape(ingested):
    """Not an invariant: the counts, printed for the record (pytest -s)."""
    corpus, runs = ingested
    found = with_shared_rows(entry_rows(runs[1][0]), corpus.planned())
    outcomes: dict[str, Counter] = defaultdict(Counter)
    for item in corpus.planned():
        shape = corpus.pages[item.target].shape if item.target else f"entry:{item.link_style}"
        outcomes[shape][found[item.guid][0]] += 1
    for shape, counts in sorted(outcomes.items()):
        print(f"{shape:24} {dict(counts)}")
    print("articles by status:", rows(runs[1][0], "select status, count(*) from articles group by status"))
    print("published from:", rows(runs[1][0], "select published_source, count(*) from articles group by 1"))
    assert outcomes["non-english"]["not_english"] >= 1 and outcomes["tiny"]["extract_failed"] >= 1


@pytest.mark.parametrize("workers", [1, 2])
def test_no_publication_date_before_1990_or_after_tomorrow(ingested, workers):
    _, runs = ingested
    db_path, _ = runs[workers]
    dated = rows(db_path, "select url, published_at, fetched_at from articles where published_at is not null")
    assert len(dated) > PAGES * 0.8
    for url, published, fetched in dated:
        moment = dt.datetime.fromisoformat(published.replace("Z", "+00:00"))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        fetched_at = dt.datetime.fromisoformat(fetched.replace("Z", "+00:00"))
        assert dt.datetime(1990, 1, 1, tzinfo=dt.UTC) <= moment <= fetched_at + dt.timedelta(days=1), (url, published)


@pytest.mark.parametrize("workers", [1, 2])
def test_every_stored_relevant_article_has_an_analysis_status(ingested, workers):
    """Duplicates are never analysed (their original is), so they are left out."""
    _, runs = ingested
    db_path, _ = runs[workers]
    assert rows(db_path, "select id, url from articles where status = 'ok' and relevant = 1 "
                         "and duplicate_of is null and analysis_status is null") == []
    assert rows(db_path, "select count(*) from articles where analysis_status = 'ok'")[0][0] > PAGES * 0.7


def event_key(event: dict) -> tuple:
    return event["type"], event["sentence"], event["article"]


def events_and_reports(db_path: Path) -> tuple[dict[tuple, list[dict]], dict[tuple, tuple]]:
    """The snapshot's events by (type, sentence, article), and for each event mention (article URL,
    span, type) the key of its event and whether an article dated by its fetch time reported it."""
    events: dict[tuple, list[dict]] = defaultdict(list)
    for event in snapshot(str(db_path))["events"]:
        events[event_key(event)].append(event)
    touched = {event_id for (event_id,) in rows(
        db_path, "select distinct m.event_id from event_mentions m join articles a on a.id = m.article_id "
                 "where a.published_source = 'fetched'")}
    reports = {}
    for url, start, end, kind, event_id, event_type, sentence, first in rows(
            db_path, 'select a.canonical_url, m.start, m."end", m.type, e.id, e.type, e.sentence, f.canonical_url '
                     "from event_mentions m join articles a on a.id = m.article_id join events e on e.id = m.event_id "
                     "left join articles f on f.id = e.article_id"):
        reports[(url, start, end, kind)] = ((event_type, sentence, first), event_id in touched)
    return events, reports


def test_one_worker_and_two_workers_build_the_same_events(ingested):
    """The same events, except where articles dated by their fetch time come in.

    Such an article is ordered by the moment its fetch finished (README, "Order of analysis"),
    which differs between runs, so the events its reports join (and which report an event shows)
    may too. So every report that went, in both databases, to an event no fetch-dated article
    reported went to the same event, equal in every field of the snapshot."""
    _, runs = ingested
    (one, reports_one), (two, reports_two) = (events_and_reports(runs[w][0]) for w in (1, 2))
    assert reports_one.keys() == reports_two.keys()  # the same articles analysed alike
    compared = set()
    for report, (key, touched) in reports_one.items():
        other_key, other_touched = reports_two[report]
        if not (touched or other_touched):
            assert key == other_key, report
            compared.add(key)
    assert len(compared) > 0.7 * len(one), (len(compared), len(one))
    differing = [key for key in compared if one[key] != two[key]]
    assert not differing, [(one[key], two[key]) for key in differing[:2]]
