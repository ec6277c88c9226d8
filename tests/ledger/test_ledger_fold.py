"""The ledger's incremental bookkeeping: folded event fields, deferred event rows, batched links."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.dates.labels import format_timex
from kb.dates.spans import PRECISION_RANK, date_span, spans_compatible
from kb.jobs.integrate import integrate_articles
from kb.ledger.fold import ROLES, EventFold, keys_for, summarize
from kb.ledger.merge import Ledger
from kb.ledger.reports import Report, SourceInfo
from kb.ledger.scoring import ScoringContext, load_weights
from kb.store.db import open_db
from tests.ledger.ledger_data import Corpus, mai_and_partnership_corpus

WEIGHTS = load_weights()
IGNORED = frozenset({99})
SOURCES = [SourceInfo("source:1", 1, "Wire", 0.9, True), SourceInfo("source:2", 2, "Daily", 0.8, False),
           SourceInfo("source:3", 3, "Review", 0.75, False), SourceInfo("source:4", 4, "Blog", 0.4, False),
           SourceInfo("article:7", None, None, 0.5, False)]
DATES = [None, "2026-04-14", "2026-04-15", "2026-04", "2026-Q2", "2026", "2026-W16", "2026-H1", "202"]
TIMES = [None, "2026-04-14T09:00:00Z", "2026-04-14T15:00:00Z", "2026-04-15T08:00:00Z", "2026-04-20T12:00:00Z"]


def attribution_kind(report: Report) -> str:
    if report.source.first_party:
        return "named"
    text = (report.attributed_to or "").lower()
    return "none" if not text else "anonymous" if "familiar" in text else "named"


# -- the fields of an event computed from scratch, by the rules the fold must follow ----------

def reference_fields(reports: list[Report], current: dict) -> tuple[dict, list]:
    """Every field and the status history of an event, recomputed from all its reports."""
    reports = sorted(reports, key=lambda r: r.order)
    claims = [r for r in reports if not r.denial] or reports

    def evidence(r: Report) -> tuple:
        precision = PRECISION_RANK.get(r.span.precision, 9) if r.span else 9
        return (not r.supports, not (r.source.first_party and not r.hedged), r.hedged,
                -r.source.reliability, precision, r.order)

    lead = min(claims, key=evidence)
    dated = None
    for r in claims:  # a date from the text; most precise; explicit over relative; first on ties
        if r.span is None:
            continue
        rank = {"explicit": 0, "relative": 1, "published": 2}.get(r.date_source, 3)
        future = r.known_at is not None and r.span.start.isoformat() > r.known_at[:10]  # a scheduled date
        key = (future, r.date_source == "published", PRECISION_RANK[r.span.precision], r.span.days, rank)
        if dated is None or key < dated[0]:
            dated = (key, r)
    best = dated[1] if dated else None
    span = best.span if best else None
    # The earliest report dated by its publication day makes a coarser date from the text precise.
    days = [r for r in claims if r.date_source == "published" and r.span is not None and r.span.precision == "day"]
    day = days[0] if days else None
    date = (best.date, best.date_mod, best.date_text, best.date_source, span) if best else None
    if (best is not None and day is not None and best.date_source != "published" and span.precision != "day"
            and span.start <= day.span.start <= span.end):
        date = (day.date, None, best.date_text, best.date_source, day.span)
    changes, status, reliable = [], None, set()
    conflicts = best is not None and [r for r in claims if r.span is not None and r.date_source != "published"
                                      and not spans_compatible(r.span, span, 1)]
    for r in reports:
        who = r.source.name or f"article {r.article_id}"
        new, reason = status, ""
        if r.denial:
            new, reason = "denied", f"denied{' by ' + r.attributed_to if r.attributed_to else ''} ({who})"
        elif r.negated:
            if status is None:
                new, reason = "reported", f"first reported, in the negative, by {who}"
        elif r.hedged or attribution_kind(r) == "anonymous":
            if status is None:
                new, reason = "rumored", f"first reported, hedged or anonymously sourced, by {who}"
        elif r.source.first_party:
            new, reason = "confirmed", f"stated by first-party source {who}"
        else:
            if r.source.reliability >= float(WEIGHTS["status"]["confirm_min_reliability"]):
                reliable.add(r.source.key)
            if len(reliable) >= int(WEIGHTS["status"]["confirm_min_sources"]) and status != "denied":
                new, reason = "confirmed", f"reported by {len(reliable)} independent reliable sources"
            elif status in (None, "rumored"):
                first = "first reported" if status is None else "reported without hedging"
                new, reason = "reported", f"{first} by {who}"
        if new is not None and new != status:
            changes.append((r.known_at or "", status, new, reason, r.article_id))
            status = new
        if conflicts and any(r is c for c in conflicts):  # a date from the text that disagrees: kept, shown in the history
            then = status or changes[0][2]
            changes.append((r.known_at or "", then, then, f"date conflict: {who} "
                            f"dates it {format_timex(r.date, r.date_mod)}; the event keeps "
                            f"{format_timex(best.date, best.date_mod)}", r.article_id))
    status_now = changes[-1][2] if changes else "reported"
    # A release whose price some reports give is a release; else the type most claims give.
    types = [r.type for r in claims]
    kind = "release" if "release" in types else max(sorted(set(types)), key=types.count)
    supporting = [r for r in reports if r.supports]
    first = reports[0]
    fields = {
        "type": kind if not lead.denial else current["type"], "article_id": lead.article_id,
        "date": date[0] if date else None, "date_mod": date[1] if date else None,
        "date_text": date[2] if date else None, "date_source": date[3] if date else "none",
        "date_precision": date[4].precision if date else None,
        "date_start": date[4].start.isoformat() if date else None,
        "date_end": date[4].end.isoformat() if date else None,
        "sort_date": date[4].start.isoformat() if date else (first.known_at or "")[:10] or None,
        "sentence": lead.sentence, "start": lead.start, "end": lead.end,
        "hedged": int(bool(supporting) and all(r.hedged for r in supporting)),
        "negated": int(all(r.negated for r in reports)), "attributed_to": lead.attributed_to,
        "status": status_now, "superseded_by": None,
        "summary": summarize(lead.sentence), "mentions": len({r.original_article_id for r in reports}),
        "sources": len({r.source.key for r in reports}), "first_reported_at": first.known_at,
        "first_reported_by": first.source.source_id, "known_at": first.known_at,
        "updated_at": max((r.known_at or "" for r in reports), default=None) or None,
    }
    return fields, changes


def reference_evidence(reports: list[Report]) -> tuple[list, int, float]:
    """Each source's best supporting evidence (by source key), independent mentions, highest authority."""
    best: dict[str, tuple] = {}
    for r in sorted(reports, key=lambda r: r.order):
        if r.denial or r.negated:
            continue
        evidence = (r.source.reliability, r.source.first_party, r.hedged, attribution_kind(r),
                    float(r.confidence if r.confidence is not None else 0.5))
        rank = (not evidence[2], evidence[3] == "named", evidence[4])
        if r.source.key not in best or rank > best[r.source.key][0]:
            best[r.source.key] = (rank, evidence)
    floor = float(WEIGHTS["importance"]["first_party_authority"])
    authority = max(max(r.source.reliability, floor if r.source.first_party else 0.0) for r in reports)
    return [best[k][1] for k in sorted(best)], len({r.original_article_id for r in reports}), authority


def reference_entities(reports: list[Report]) -> tuple[set, set]:
    """(entity, role) pairs and match ids of the claims (all reports when all are denials)."""
    claims = [r for r in reports if not r.denial] or reports
    roles = {(e["entity_id"], e["role"] if e.get("role") in ROLES else "participant")
             for r in claims for e in r.entities if isinstance(e.get("entity_id"), int) and e["entity_id"] not in IGNORED}
    return roles, {i for r in claims for i in r.match_ids}


@st.composite
def reports(draw) -> list[Report]:
    count = draw(st.integers(1, 9))
    out = []
    for mention_id in range(1, count + 1):
        article_id = draw(st.integers(1, 6))
        entities = [{"entity_id": draw(st.sampled_from([1, 2, 3, 99])),
                     "role": draw(st.sampled_from(["agent", "product", "object", "bogus"]))}
                    for _ in range(draw(st.integers(0, 3)))]
        date = draw(st.sampled_from(DATES))
        report = Report(
            mention_id=mention_id, article_id=article_id, event_id=None,
            type=draw(st.sampled_from(["release", "release", "pricing"])), date=date,
            date_mod=draw(st.sampled_from([None, None, "EARLY", "LATE", "APPROX"])) if date else None,
            date_text=date, date_source=draw(st.sampled_from(["explicit", "relative", "published", "none"])),
            sentence=f"Sentence {draw(st.integers(0, 3))} of the report.", sentence_index=0,
            start=draw(st.integers(0, 50)), end=60, hedged=draw(st.booleans()), negated=draw(st.booleans()),
            denial=draw(st.sampled_from([False, False, False, True])),
            attributed_to=draw(st.sampled_from([None, "a spokesperson", "people familiar with it"])),
            confidence=draw(st.sampled_from([0.8, 0.6, None])), entities=entities, known_at=draw(st.sampled_from(TIMES)),
            original_article_id=article_id if article_id != 6 else 5, source=draw(st.sampled_from(SOURCES)),
        )
        report.match_ids = frozenset(e["entity_id"] for e in entities if e["entity_id"] not in IGNORED)
        out.append(report)
    return out


@settings(max_examples=300, deadline=None)
@given(reports(), st.randoms(use_true_random=False))
def test_fold_in_any_arrival_order_equals_recomputing_from_all_reports(all_reports, rnd):
    current = {"id": 1, "type": "statement", "superseded_by": None}
    fold = EventFold(WEIGHTS, attribution_kind, IGNORED)
    arrival = list(all_reports)
    rnd.shuffle(arrival)
    for count, report in enumerate(arrival, 1):
        fold.add(report)
        seen = arrival[:count]
        fields, changes = fold.fields(current, None)
        assert (fields, changes) == reference_fields(seen, current)
        assert (fold.entity_roles(), fold.match_ids()) == reference_entities(seen)
        evidence = [(e.reliability, e.first_party, e.hedged, e.attribution, e.extraction)
                    for e in fold.best_evidence()]
        assert (evidence, fold.mentions(), fold.highest_authority()) == reference_evidence(seen)
        matching = fold.matching_fields(current, None)
        assert matching == {k: fields[k] for k in matching}
        assert [r.mention_id for r in fold.ordered] == [r.mention_id for r in sorted(seen, key=lambda r: r.order)]


@settings(max_examples=100, deadline=None)
@given(reports(), st.integers(0, 8))
def test_a_report_read_again_or_changed_replaces_the_old_one(all_reports, which):
    current = {"id": 1, "type": "release", "superseded_by": None}
    fold = EventFold(WEIGHTS, attribution_kind, IGNORED)
    fold.extend(all_reports)
    old = all_reports[which % len(all_reports)]
    # The same mention read by an event query has no key: nothing changes.
    again = replace(old, key="")
    fold.add(again)
    assert fold.fields(current, None) == reference_fields(all_reports, current)
    # Reprocessed with other content: the fold follows the new content.
    changed = replace(old, hedged=not old.hedged, date="2026-05-01", date_mod=None)
    fold.add(changed)
    now = [changed if r.mention_id == old.mention_id else r for r in all_reports]
    assert fold.fields(current, None) == reference_fields(now, current)
    assert len(fold) == len(all_reports)


def test_superseding_event_shows_in_fields_and_history():
    fold = EventFold(WEIGHTS, attribution_kind, IGNORED)
    report = Report(1, 10, None, "release", "2026-05", None, "May", "explicit", "Contoso may ship Widget-3 in May.",
                    0, 0, 30, True, False, False, "people familiar with it", 0.7, [], "2026-01-10T10:00:00Z", 10,
                    SOURCES[3])
    fold.add(report)
    later = {"id": 8, "known_at": "2026-05-12T09:00:00Z", "article_id": 12}
    fields, changes = fold.fields({"id": 3, "type": "release", "superseded_by": 8}, later)
    assert fields["status"] == "superseded" and fields["superseded_by"] == 8
    assert changes[-1] == ("2026-05-12T09:00:00Z", "rumored", "superseded", "superseded by event 8", 12)
    assert fold.matching_fields({"id": 3, "type": "release"}, later)["status"] == "superseded"


def test_keys_follow_date_status_and_entities():
    keys = keys_for("release", "rumored", "2026-04-14", None, "2026-04-09T18:00:00Z", [5, 2])
    assert keys == {(e, t, b) for e in (2, 5) for t, b in
                    [("release", "2026-04"), ("*", "k2026-04"), ("rumor:release", "k2026-04")]}
    assert date_span("2026-04-14").precision == "day"


# -- deferred event rows and batched links -------------------------------------------------

def ledger_tables(db) -> dict[str, list]:
    tables = {"events": "SELECT * FROM events ORDER BY id",
              "event_history": "SELECT * FROM event_history ORDER BY id",
              "event_entities": "SELECT * FROM event_entities ORDER BY 1, 2, 3",
              "event_links": "SELECT * FROM event_links ORDER BY 1, 2",
              "event_keys": "SELECT * FROM event_keys ORDER BY 4, 1, 2, 3",
              "event_mentions": "SELECT id, event_id FROM event_mentions ORDER BY id",
              "events_fts": "SELECT rowid, sentence, summary FROM events_fts ORDER BY rowid"}
    return {name: db.execute(sql).fetchall() for name, sql in tables.items()}


def test_new_events_get_the_ids_sqlite_would_give_and_nothing_dangles(db):
    mai_and_partnership_corpus(db)
    db["events"].insert({"id": 40, "type": "release", "status": "reported"})  # ids continue after it
    db.conn.commit()
    ids = [r[0] for r in db.execute("SELECT id FROM articles ORDER BY published_at, id")]
    integrate_articles(db, ids[:6])
    integrate_articles(db, ids[6:])
    event_ids = [r[0] for r in db.execute("SELECT id FROM events WHERE id > 40 ORDER BY id")]
    assert event_ids == list(range(41, 41 + len(event_ids)))
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    # Every event has its row, full-text entry and scores; every mention points at a real event.
    assert db.execute("SELECT count(*) FROM events WHERE id > 40 AND (importance IS NULL OR sentence IS NULL)"
                      ).fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM events_fts WHERE rowid > 40").fetchone()[0] == len(event_ids)
    assert db.execute("""SELECT count(*) FROM event_mentions m LEFT JOIN events e ON e.id = m.event_id
                         WHERE e.id IS NULL""").fetchone()[0] == 0


def test_ledger_outside_a_transaction_builds_the_same_events(tmp_path):
    built = []
    for name in ("inside", "outside"):
        db = open_db(tmp_path / f"{name}.db")
        mai_and_partnership_corpus(db)
        ids = [r[0] for r in db.execute("SELECT id FROM articles ORDER BY published_at, id")]
        if name == "inside":
            with db.conn:
                Ledger(db, ScoringContext(db)).integrate(ids)
        else:
            assert not db.conn.in_transaction
            Ledger(db, ScoringContext(db)).integrate(ids)
            db.conn.commit()
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        built.append(ledger_tables(db))
        db.conn.close()
    assert built[0] == built[1]
    assert len(built[0]["events"]) > 5


def test_batches_of_any_size_build_the_same_ledger(tmp_path):
    """Links, keys and rows written per batch give what one article at a time gives."""
    built = []
    for size in (1, 3, 100):
        db = open_db(tmp_path / f"batch-{size}.db")
        mai_and_partnership_corpus(db)
        c = Corpus(db)
        c._entities = {name: entity_id for name, entity_id in db.execute("SELECT name, id FROM entities")}
        c.source("Late Wire", 0.9)
        # An article published before the others but ingested last: its report lands before
        # the event's other reports, so the status replay starts again from it.
        late = c.article("Late Wire", "2026-04-14T08:00:00Z", "early-efficient")
        c.mention(late, "release", "Microsoft AI launched MAI-Image-2-Efficient today.",
                  [("Microsoft AI", "agent"), ("MAI-Image-2-Efficient", "product")], "2026-04-14")
        db.conn.commit()
        ids = [r[0] for r in db.execute("SELECT id FROM articles ORDER BY id")]
        for start in range(0, len(ids), size):
            integrate_articles(db, ids[start:start + size])
        events = db.execute("SELECT * FROM events ORDER BY id").fetchall()
        # Event ids depend on the batches; what the events hold does not.
        built.append(sorted((row[1:17] + row[18:] for row in events), key=repr))
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        db.conn.close()
    assert built[0] == built[1] == built[2]


def dated_report(mention_id: int, date: str, source: str, known_at: str, text: str | None = None) -> Report:
    return Report(
        mention_id=mention_id, article_id=mention_id, event_id=None, type="investment", date=date,
        date_mod=None, date_text=text or date, date_source=source, sentence=f"Report {mention_id}.",
        sentence_index=0, start=0, end=10, hedged=False, negated=False, denial=False, attributed_to=None,
        confidence=0.8, entities=[], known_at=known_at, original_article_id=mention_id, source=SOURCES[1],
    )


def fold_of(*reports: Report) -> dict:
    fold = EventFold(WEIGHTS, attribution_kind, IGNORED)
    fold.extend(reports)
    return fold.fields({"type": "investment"}, None)[0]


def test_a_month_from_the_text_is_made_precise_by_the_earliest_report_of_the_news():
    # The day's report (dated by its publication), a reprint a day later, a recap "in July 2019".
    fields = fold_of(dated_report(1, "2019-07-22", "published", "2019-07-22T12:00:00Z"),
                     dated_report(2, "2019-07-23", "published", "2019-07-23T12:00:00Z"),
                     dated_report(3, "2019-07", "explicit", "2023-01-23T12:00:00Z", "July 2019"))
    assert (fields["date"], fields["date_precision"], fields["date_source"]) == ("2019-07-22", "day", "explicit")
    # A publication day outside the text's month does not date the event.
    fields = fold_of(dated_report(1, "2019-08-02", "published", "2019-08-02T12:00:00Z"),
                     dated_report(3, "2019-07", "explicit", "2023-01-23T12:00:00Z", "July 2019"))
    assert (fields["date"], fields["date_precision"]) == ("2019-07", "month")


def test_a_date_scheduled_after_its_report_does_not_date_a_fact_that_has_happened():
    # "The case is set for trial on April 27, 2026" reported in January, and the ruling's report.
    fields = fold_of(dated_report(1, "2026-04-27", "explicit", "2026-01-08T12:00:00Z", "April 27, 2026"),
                     dated_report(2, "2026-01-07", "relative", "2026-01-08T13:00:00Z", "Wednesday"))
    assert fields["date"] == "2026-01-07"
