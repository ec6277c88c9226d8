"""The claim ledger: one event per fact, merged from many reports, with status and history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlite_utils

from kb.dates.spans import date_span, more_precise
from kb.ledger.combine import AnnouncementCombine
from kb.ledger.fit import SPECIFIC_LABELS, report_match_span
from kb.ledger.fold import RUMOR_KEY, keys_for, known_date, months
from kb.ledger.reports import Report, ignored_entity_ids
from kb.ledger.scoring import load_weights
from kb.ledger.similarity import content_word_set, jaccard, overlap_coefficient
from kb.ledger.sql_helpers import chunks, marks
from kb.ledger.state import INSERT_KEY_SQL


class Ledger(AnnouncementCombine):
    """Merges reports into events and keeps each event's fields, status and history current.

    One instance serves one batch: event rows, entity sets and reports read from the
    database are kept in memory, events are updated in memory as reports join them (each
    event's fields folded report by report, see EventFold), and every touched event is
    written once at the end (its lookup keys at once, so later reports of the batch find
    it; mention links in one statement before the events are written). integrate() returns
    the events touched; `story_changes` and `story_before` say which changed in what story
    matching reads (kb.jobs.integrate hands them to the stories).
    """

    # -- matching a report to an event ------------------------------------------------------

    def ranked_candidate_ids(self, entity_ids: Iterable[int], types: Iterable[str],
                             buckets: list[str]) -> list[int]:
        """Events keyed under any of the entities, types and buckets (by index, no scan): at
        most `max_candidates`, those sharing the most of the entities first, then the newest
        (highest id). Ranked and capped in SQL, so a report meets a bounded number of events
        however dense the base is."""
        entities, kinds, buckets = sorted(set(entity_ids)), sorted(set(types)), sorted(set(buckets))
        if not entities or not buckets:
            return []
        cap = int(self.weights["matching"].get("max_candidates", 0))
        if len(buckets) <= 200:
            # One query ranks and caps by itself.
            limit = "LIMIT ?" if cap else ""
            return [row[0] for row in self.db.execute(
                f"""SELECT event_id FROM event_keys
                    WHERE entity_id IN ({marks(entities)}) AND type IN ({marks(kinds)})
                    AND bucket IN ({marks(buckets)}) GROUP BY event_id
                    ORDER BY count(DISTINCT entity_id) DESC, event_id DESC {limit}""",
                [*entities, *kinds, *buckets] + ([cap] if cap else []))]
        shared: dict[int, set[int]] = {}
        for part in chunks(buckets, 200):
            for event_id, found in self.db.execute(
                    f"""SELECT event_id, group_concat(DISTINCT entity_id) FROM event_keys
                        WHERE entity_id IN ({marks(entities)}) AND type IN ({marks(kinds)})
                        AND bucket IN ({marks(part)}) GROUP BY event_id""", [*entities, *kinds, *part]):
                shared.setdefault(event_id, set()).update(int(e) for e in found.split(","))
        ranked = sorted(shared, key=lambda e: (-len(shared[e]), -e))
        return ranked[:cap] if cap else ranked

    def match_score(self, report: Report, event_id: int, min_overlap: float) -> float | None:
        """How well a report fits an event, or None when it cannot be the same fact."""
        event = self.event_row(event_id)
        if event is None:
            return None
        across = False
        if report.denial:
            overlap = overlap_coefficient(report.match_ids, self.event_entity_ids(event_id))
            if overlap < min_overlap or (event["known_at"] or "") > (report.known_at or "9999"):
                return None  # a denial answers a claim already made
            fit = None
        else:
            across = self.type_fit(report, event_id, event["type"])
            if across is None:
                return None
            fit = self.date_fit(report, event)
            if across and (fit != "day" or not self.announced_together(report, event_id)):
                return None  # another type of one announcement: told of the same day, naming its parties
            if fit is None or (fit == "window" and report.type != event["type"]
                               and report.type in self.weights["matching"].get("own_day_types", [])):
                return None  # a price known only weeks after the launch is no report of the launch
            found = self.entities_fit(report, event_id, min_overlap, fit)
            if found is None or not self.same_move(report, event_id, fit):
                return None
            overlap = found
        text = jaccard(content_word_set(report.sentence), content_word_set(event["sentence"]))
        bonus = 0.0
        if report.denial and event["status"] == "rumored":
            bonus = 0.5  # denials usually answer rumors
        elif report.date and report.date == event["date"]:
            bonus = 0.1
        if across:
            bonus -= 1.0  # an event of the report's own type group that fits comes first
        if fit == "conflict":
            bonus -= 4.0  # an event whose date agrees comes first
        elif fit in ("day", "dated"):
            bonus += 0.3  # an event dated as the report is beats one only known at about that time
        return overlap + 0.5 * text + bonus

    def find_event(self, report: Report) -> int | None:
        """The existing event this report is about, or None."""
        if not report.match_ids:
            return None
        matching = self.weights["matching"]
        if report.denial:
            denial = matching["denial"]
            known = known_date(report.known_at)
            if known is None:
                return None
            buckets = ["k" + m for m in months(known - dt.timedelta(days=int(denial["window_days"])), known)]
            candidates = self.ranked_candidate_ids(report.match_ids, ["*"], buckets)
            min_overlap = float(denial["min_entity_overlap"])
        else:
            kinds, buckets = self.joinable_types(report.type), self.lookup_buckets(report)
            candidates = self.ranked_candidate_ids(self.family_lookup_ids(report.match_ids), kinds, buckets)
            # Events sharing the report's products and people rank among their own: under the cap,
            # events that share only hub companies ("Microsoft", "OpenAI") do not crowd them out.
            self.load_entity_types(report.match_ids)
            specific = {e for e in report.match_ids if self.entity_types.get(e) in SPECIFIC_LABELS}
            if specific and specific != report.match_ids:
                candidates = sorted({*candidates, *self.ranked_candidate_ids(specific, kinds, buckets)})
            min_overlap = float(matching["min_entity_overlap"])
        self.load_events(candidates)
        best: tuple[float, int] | None = None
        for event_id in sorted(candidates):
            score = self.match_score(report, event_id, min_overlap)
            if score is not None and (best is None or score > best[0]):
                best = (score, event_id)
        return best[1] if best else None

    def lookup_buckets(self, report: Report) -> list[str]:
        """Key buckets where a compatible event of the report's type would be filed."""
        # Many reports share a type and a date (or a day known): their buckets are worked out once.
        span = report_match_span(report)
        key = (report.type, span, None if span else known_date(report.known_at))
        found = self.buckets.get(key)
        if found is None:
            found = self.buckets[key] = self.buckets_for(report)
        return found

    def buckets_for(self, report: Report) -> list[str]:
        matching = self.weights["matching"]
        windows = matching["undated_window_days"]
        window = dt.timedelta(days=int(windows.get(report.type, windows["default"])))
        slack = dt.timedelta(days=int(matching["day_tolerance_days"]))
        span = report_match_span(report)
        if span is not None:
            reach = slack
            if report.type in self.conflict_types or report.type in self.person_conflict_types:
                reach = max(slack, dt.timedelta(days=self.conflict_reach(report.type)))
            dated = months(span.start - reach, span.end + reach)
            undated = ["u" + m for m in months(span.start - slack, span.end + window)]
            return dated + undated
        known = known_date(report.known_at)
        if known is None:
            return []
        dated = months(known - window, known + slack)
        undated = ["u" + m for m in months(known - window, known + window)]
        return dated + undated

    # -- superseding -----------------------------------------------------------------------

    def still_supersedes(self, event_id: int, rumor_id: int) -> bool:
        """Whether an event still replaces a rumor it superseded, as it stands now: the same type,
        known later, about the same things (its entities may have changed since), more precise."""
        event, rumor = self.event_row(event_id), self.event_row(rumor_id)
        if event is None or rumor is None or event["type"] != rumor["type"]:
            return False
        if event["status"] not in ("reported", "confirmed"):
            return False
        if (rumor["known_at"] or "") >= (event["known_at"] or ""):
            return False
        overlap = overlap_coefficient(self.event_entity_ids(event_id), self.event_entity_ids(rumor_id))
        if overlap < float(self.weights["supersede"]["min_entity_overlap"]):
            return False
        span = date_span(event["date"], event["date_mod"])
        rumor_span = date_span(rumor["date"], rumor["date_mod"])
        return span is not None and (rumor_span is None or more_precise(span, rumor_span))

    def lift_stale_supersession(self, event_ids: list[int]) -> set[int]:
        """Rumors superseded by one of these events that no longer qualifies (a report joined it
        since and it is about more than the rumor) stand rumored again, so a later event may
        replace them: supersession follows the events as they are, not the moment a merge looked."""
        lifted: set[int] = set()
        for part in chunks(event_ids):
            sql = f"SELECT id, superseded_by FROM events WHERE superseded_by IN ({marks(part)})"
            rows = self.db.execute(sql, part).fetchall()
            self.load_events([r[0] for r in rows])
            for rumor_id, event_id in rows:
                if not self.still_supersedes(event_id, rumor_id):
                    self.db.execute("UPDATE events SET superseded_by = NULL WHERE id = ?", [rumor_id])
                    self.refresh_event(rumor_id)
                    lifted.add(rumor_id)
        return lifted

    def apply_supersession(self, event_ids: Iterable[int]) -> set[int]:
        """Mark rumored events replaced by later, more precise events; return those changed."""
        cfg = self.weights["supersede"]
        window = int(cfg["window_days"])
        ids = sorted(set(event_ids))
        self.load_events(ids)
        changed: set[int] = self.lift_stale_supersession(ids)
        for event_id in ids:
            event = self.event_row(event_id)
            if event is None or event["status"] not in ("reported", "confirmed"):
                continue
            span = date_span(event["date"], event["date_mod"])
            known = known_date(event["known_at"])
            entity_ids = self.event_entity_ids(event_id)
            if span is None or known is None or not entity_ids:
                continue
            buckets = ["k" + m for m in months(known - dt.timedelta(days=window), known)]
            # Only rumors can be superseded: they have keys of their own, so hub entities
            # ("Microsoft") do not bring every event of the last months in as candidates.
            # Ranked and capped as report candidates are (matching.max_candidates).
            rumors = self.ranked_candidate_ids(entity_ids, [RUMOR_KEY + event["type"]], buckets)
            others = sorted(o for o in rumors if o != event_id)
            self.load_events(others)
            for other_id in others:
                other = self.event_row(other_id)
                if (other is None or other["type"] != event["type"] or other["status"] != "rumored"
                        or (other["known_at"] or "") >= (event["known_at"] or "")):
                    continue
                overlap = overlap_coefficient(entity_ids, self.event_entity_ids(other_id))
                if overlap < float(cfg["min_entity_overlap"]):
                    continue
                other_span = date_span(other["date"], other["date_mod"])
                if other_span is not None and not more_precise(span, other_span):
                    continue
                self.db.execute("UPDATE events SET superseded_by = ? WHERE id = ?", [event_id, other_id])
                self.refresh_event(other_id)
                changed.add(other_id)
        return changed

    # -- the entry point -----------------------------------------------------------------

    def integrate(self, article_ids: list[int]) -> set[int]:
        """Attach the articles' reports to events; return the ids of events touched."""
        article_ids = sorted(set(article_ids))
        links: dict[tuple[int, str], int] = {}
        for part in chunks(article_ids):
            for article_id, key, event_id in self.db.execute(
                    "SELECT article_id, mention_key, event_id FROM event_links "
                    f"WHERE article_id IN ({marks(part)})", part):
                links[(article_id, key)] = event_id
        touched = set(links.values())
        # Reports these articles had before may have been deleted since (reanalysis): their
        # events are read afresh (a no-op unless state is kept from an earlier merge).
        self.forget_events(touched)
        self.track(touched)
        reports = self.reports_of_articles(article_ids)
        self.load_events({r.event_id for r in reports if r.event_id is not None})
        self.absorbed_into = {}
        for report in reports:
            event_id = None
            if report.event_id is not None and self.event_row(self.surviving(report.event_id)) is not None:
                event_id = self.surviving(report.event_id)
            else:
                event_id = self.linked_event(report, links.get((report.article_id, report.key)))
                if event_id is None:
                    event_id = self.find_event(report) or self.create_event(report)
            self.attach(report, event_id)
            touched.add(event_id)
            touched.add(self.combine_announcement(event_id))
        touched |= set(self.absorbed_into)
        current_keys = {(r.article_id, r.key) for r in reports}
        self.write_links()
        stale = [[article_id, key] for (article_id, key) in sorted(links)
                 if (article_id, key) not in current_keys]
        self.db.conn.executemany("DELETE FROM event_links WHERE article_id = ? AND mention_key = ?", stale)
        alive = self.refresh_events(touched)
        alive |= self.apply_supersession(alive)
        return alive

    def linked_event(self, report: Report, event_id: int | None) -> int | None:
        """The event this article's report went to before (reprocessing keeps event ids)."""
        if event_id is None:
            return None
        event_id = self.surviving(event_id)
        row = self.event_row(event_id)
        if row and (report.denial or self.type_fit(report, event_id, row["type"]) is not None):
            return event_id
        return None


def rebuild_event_keys(db: sqlite_utils.Database, weights: dict[str, Any] | None = None) -> int:
    """File every event under its lookup keys from its stored date and entities; return rows.

    For databases whose events were written without the ledger (bench/generate_db.py);
    the ledger keeps the keys current by itself. The caller commits.
    """
    weights = weights if weights is not None else load_weights()
    matching = weights["matching"]
    ignored = ignored_entity_ids(db, list(matching.get("outlet_entities", [])))
    ignored_types = sorted(matching.get("ignore_entity_types", []))
    count = 0
    db.execute("DELETE FROM event_keys")
    last = 0
    while True:
        rows = db.execute("SELECT id, type, status, date, date_mod, known_at, date_source FROM events "
                          "WHERE id > ? ORDER BY id LIMIT ?", [last, 5000]).fetchall()
        if not rows:
            break
        first, last = rows[0][0], rows[-1][0]
        entities: dict[int, set[int]] = {}
        for event_id, entity_id in db.execute(
                f"""SELECT ee.event_id, ee.entity_id FROM event_entities ee
                    JOIN entities en ON en.id = ee.entity_id
                    WHERE ee.event_id BETWEEN ? AND ? AND en.type NOT IN ({marks(ignored_types)})""",
                [first, last, *ignored_types]):
            if entity_id not in ignored:
                entities.setdefault(event_id, set()).add(entity_id)
        keys = [[*key, event_id] for event_id, event_type, status, date, date_mod, known_at, source in rows
                for key in sorted(keys_for(event_type, status, date, date_mod, known_at,
                                           entities.get(event_id, ()), source))]
        db.conn.executemany(INSERT_KEY_SQL, keys)
        count += len(keys)
    return count


def ledger_linked_events(db: sqlite_utils.Database, article_ids: list[int]) -> set[int]:
    """Events the articles' reports are linked to."""
    found: set[int] = set()
    for part in chunks(sorted(set(article_ids))):
        found.update(r[0] for r in db.execute(
            f"SELECT DISTINCT event_id FROM event_links WHERE article_id IN ({marks(part)})",
            part).fetchall())
    return found
