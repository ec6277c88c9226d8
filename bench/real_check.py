"""Development check on a private folder of real articles: ingest it with the real `kb` command into a
fresh temporary database and score the events and stories against an analyst's key facts.

Usage: python bench/real_check.py FOLDER [--keep DB] [--top N]

The folder (kept OUTSIDE any repository: it holds the text of real articles) contains:
  sources.toml       an ingest sources file; its feed url is relative to the folder (e.g. "feed.xml")
  feed.xml           RSS 2.0 whose <link>s are relative (pages/NNN.html) and carry <pubDate>s
  pages/NNN.html     one article page each: <title>, <meta property="article:published_time">, <p> text
  facts.toml         [[fact]] id, type, dates (ISO day, YYYY-MM or YYYY; any listed one is accepted),
                     entities (canonical gazetteer names), pages (reporting page numbers), note,
                     optional also_types (types also accepted) and mai_launch = true
  storylines.toml    [[storyline]] key, name, pages: the analyst's grouping of the pages
  index.tsv          optional: page, date, date_kind, outlet, storyline, url (to map canonical URLs back)

Match rule: an event matches a fact when its type is the fact's type or one of the fact's also_types,
it shares at least one of the fact's entities (event_entities joined to entities.name), and its date is
compatible with one of the fact's dates: the same day for a day, inside the month for YYYY-MM, inside
the year for YYYY. An event without a date never matches. Counts are not exclusive: an event that fits
two facts counts for both.

Only columns that have existed since the first schema are read (events, event_entities, entities,
event_mentions, articles, stories, story_events), so added tables and columns do not break it.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

KB = Path(sys.executable).with_name("kb")
PAGE_RE = re.compile(r"pages/(\d{3})\.html")


def ingest(folder: Path, db: Path) -> None:
    """Run the real `kb ingest` on the folder's sources file into `db`."""
    kb = str(KB) if KB.exists() else "kb"
    proc = subprocess.run([kb, "--db", str(db), "ingest", "--sources", str(folder / "sources.toml")],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"kb ingest failed ({proc.returncode}): {proc.stderr.strip()[-800:]}")


def date_ok(event_date: str | None, fact_dates: list[str]) -> bool:
    """Whether the calendar spans overlap, as `kb eval` counts them: an event inside the fact's
    month or year, or an event of coarser precision (a month) that contains the fact's day."""
    if not event_date or not event_date[:4].isdigit():
        return False
    event = event_date[:10]
    return any(event[:len(d)] == d or (len(event) < len(d) and d[:len(event)] == event)
               for d in fact_dates)


def page_of(url: str, canonical: str, by_url: dict[str, int]) -> int | None:
    for u in (url, canonical):
        m = PAGE_RE.search(u or "")
        if m:
            return int(m.group(1))
        if u in by_url:
            return by_url[u]
    return None


def load(db: Path):
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    events = {r["id"]: dict(r) for r in con.execute(
        "SELECT id, type, date, sentence, importance, article_id FROM events")}
    ents = defaultdict(set)
    for r in con.execute("SELECT ee.event_id, e.name FROM event_entities ee JOIN entities e ON e.id = ee.entity_id"):
        ents[r[0]].add(r[1])
    reports = defaultdict(set)          # event -> articles reporting it
    for r in con.execute("SELECT event_id, article_id FROM event_mentions WHERE event_id IS NOT NULL"):
        reports[r[0]].add(r[1])
    for eid, ev in events.items():
        if ev["article_id"] is not None:
            reports[eid].add(ev["article_id"])
    # How each article reports each event, for the page -> story rule: (own report, first sentence).
    columns = {r[1] for r in con.execute("PRAGMA table_info(event_mentions)")}
    recap = "coalesce(recap, 0)" if "recap" in columns else "0"
    where = "coalesce(sentence_index, 1000000)" if "sentence_index" in columns else "1000000"
    told: dict[tuple[int, int], tuple[bool, int]] = {}
    for event_id, article_id, was_recap, index in con.execute(
            f"SELECT event_id, article_id, {recap}, {where} FROM event_mentions WHERE event_id IS NOT NULL"):
        own, first = told.get((article_id, event_id), (False, 1000000))
        told[(article_id, event_id)] = (own or not was_recap, min(first, index))
    articles = {r["id"]: dict(r) for r in con.execute("SELECT id, url, canonical_url, title FROM articles")}
    stories = {r["id"]: dict(r) for r in con.execute("SELECT id, title, status FROM stories")}
    members = defaultdict(set)
    for r in con.execute("SELECT story_id, event_id FROM story_events"):
        members[r[0]].add(r[1])
    con.close()
    live = {sid for sid, s in stories.items() if s["status"] != "merged" and members.get(sid)}
    return events, ents, reports, told, articles, stories, members, live


def page_story(votes: dict[int, list[tuple[int, bool, int]]]) -> int:
    """The story a page belongs to: the one holding most of the events it reports; ties go to the
    story holding more of the events it reports as news (not as a recap), then to the story of its
    earliest reported event (its lead), then to the lowest story id. None of it reads the analyst's
    grouping, and none of it depends on the order stories are listed in."""
    def rank(sid: int) -> tuple[int, int, int, int]:
        items = votes[sid]
        return (-len(items), -sum(own for _, own, _ in items), min(i for _, _, i in items), sid)
    return min(votes, key=rank)


def pairwise(gold: dict[int, str], pred: dict[int, int]) -> tuple[float, float]:
    """Pair precision and recall over the analyst's pages: each unordered pair of pages once; a
    pair is together in the prediction when both pages are assigned to one story."""
    pages = sorted(gold)
    tp = fp = fn = 0
    for a, b in combinations(pages, 2):
        same_gold = gold[a] == gold[b]
        same_pred = a in pred and b in pred and pred[a] == pred[b]
        tp += same_gold and same_pred
        fp += same_pred and not same_gold
        fn += same_gold and not same_pred
    return (tp / (tp + fp) if tp + fp else 0.0), (tp / (tp + fn) if tp + fn else 0.0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--keep", type=Path, help="ingest into this database file and keep it")
    ap.add_argument("--db", type=Path, help="score an existing database instead of ingesting")
    ap.add_argument("--top", type=int, default=30)
    args = ap.parse_args(argv)
    folder = args.folder.resolve()
    for name in ("sources.toml", "facts.toml", "storylines.toml"):
        if not (folder / name).exists():
            sys.exit(f"{folder / name} is missing (see the folder format in this script's docstring)")
    facts = tomllib.loads((folder / "facts.toml").read_text())["fact"]
    lines = tomllib.loads((folder / "storylines.toml").read_text())["storyline"]
    by_url = {}
    if (folder / "index.tsv").exists():
        for row in (folder / "index.tsv").read_text().splitlines()[1:]:
            cols = row.split("\t")
            by_url[cols[-1]] = int(cols[0])

    with tempfile.TemporaryDirectory(prefix="realcheck-") as tmp:
        db = args.db or args.keep or Path(tmp) / "kb.db"
        if not args.db:
            if db.exists():
                db.unlink()
            ingest(folder, db)
        events, ents, reports, told, articles, stories, members, live = load(db)

    # --- facts -------------------------------------------------------------------------------
    matches = {}
    for f in facts:
        types = {f["type"], *f.get("also_types", [])}
        keys = set(f["entities"])
        matches[f["id"]] = [eid for eid, ev in events.items()
                            if ev["type"] in types and ents[eid] & keys and date_ok(ev["date"], f["dates"])]
    fact_of_event = defaultdict(list)
    for fid, eids in matches.items():
        for eid in eids:
            fact_of_event[eid].append(fid)
    found = [fid for fid, eids in matches.items() if eids]
    per_found = sum(len(matches[f]) for f in found) / len(found) if found else 0.0
    worst = max(((len(v), k) for k, v in matches.items()), default=(0, "-"))

    print(f"folder: {folder}")
    print(f"articles {len(articles)}  events {len(events)}  stories {len(live)} "
          f"(of {len(stories)} rows, merged/empty left out)")
    print(f"fact recall            {len(found)}/{len(facts)} = {len(found) / len(facts):.2f}   (target >= 0.9)")
    print(f"events per found fact  {per_found:.2f}   (target <= 1.1)")
    print(f"max events per fact    {worst[0]} ({worst[1]})   (target <= 2)")
    over = sorted(((len(v), k) for k, v in matches.items() if len(v) > 2), reverse=True)
    if over:
        print("  facts with more than 2 events: " + ", ".join(f"{k} {n}" for n, k in over))

    ranked = sorted(events.values(), key=lambda e: (-(e["importance"] or 0), e["id"]))[:args.top]
    real = [e for e in ranked if fact_of_event.get(e["id"])]
    print(f"\ntop {args.top} by importance that match a key fact: {len(real)}/{len(ranked)}   (target >= 27)")
    for e in ranked:
        if not fact_of_event.get(e["id"]):
            who = ", ".join(sorted(ents[e["id"]]))[:70]
            print(f"  NOT A FACT #{e['id']} {e['type']:<11} {e['date'] or '-':<10} imp={e['importance'] or 0:.2f} "
                  f"[{who}] {(e['sentence'] or '')[:150]!r}")

    print("\nkey facts with no event:")
    for f in facts:
        if not matches[f["id"]]:
            print(f"  {f['id']:<24} {f['type']:<11} {'/'.join(f['dates']):<22} {f['note']}")

    # --- storylines ----------------------------------------------------------------------------
    def articles_of(sid):
        return set().union(*(reports.get(e, set()) for e in members[sid])) if members[sid] else set()
    single = [sid for sid in live if len(articles_of(sid)) <= 1]
    print(f"\nstorylines {len(live)}   (target <= 20 for ~62 articles)")
    print(f"single-report storylines {len(single)}/{len(live)} = {len(single) / max(len(live), 1):.2f}   "
          f"(target <= 0.25)")
    mai = [f for f in facts if f.get("mai_launch")]
    spread = set()
    for f in mai:
        sids = sorted({sid for sid in live for eid in matches[f["id"]] if eid in members[sid]})
        spread.update(sids)
        print(f"  MAI launch {f['id']:<14} events {len(matches[f['id']])} in stories {sids}")
    print(f"MAI launches spread over {len(spread)} storylines   (target 1)")

    gold = {p: ln["key"] for ln in lines for p in ln["pages"]}
    art_page = {aid: page_of(a["url"], a["canonical_url"], by_url) for aid, a in articles.items()}
    votes: dict[int, dict[int, list[tuple[int, bool, int]]]] = defaultdict(lambda: defaultdict(list))
    for sid in sorted(live):
        for eid in sorted(members[sid]):
            for aid in sorted(reports.get(eid, ())):
                if art_page.get(aid):
                    own, first = told.get((aid, eid), (True, 1000000))
                    votes[art_page[aid]][sid].append((eid, own, first))
    pred = {p: page_story(v) for p, v in votes.items()}
    prec, rec = pairwise(gold, pred)
    print(f"storyline pairs vs storylines.toml: precision {prec:.2f} recall {rec:.2f} "
          f"({len(pred)}/{len(gold)} pages in some story)")
    biggest = max((len(articles_of(s)) for s in live), default=0)
    print(f"biggest storyline {biggest} articles of {len(articles)}")
    print("\nstories (id, articles, events, title):")
    for sid in sorted(live, key=lambda s: -len(articles_of(s))):
        pages = sorted(art_page.get(a) or 0 for a in articles_of(sid))
        lines_hit = Counter(gold.get(p, "?") for p in pages)
        print(f"  #{sid:<4} {len(pages):>3} art {len(members[sid]):>3} ev  {stories[sid]['title'][:60]!r} "
              f"{dict(lines_hit)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
