"""Examples the docs show, taken from a fresh build of the sample corpus (for docs/gen_docs.py).

The README's `kb ingest`, `kb stories list` and `kb stories show` output and the timeline JSON of
docs/pages-and-queries.md come from the real `kb` on data/sample, so their ids and counts
follow the sample base as extraction, merging and storylines change: `make docs` rewrites
them and tests/test_docs.py fails when they are stale.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KB = Path(sys.executable).parent / "kb"
SAMPLE_SOURCES = "data/sample/sources.toml"
STORIES_COMMAND = ["stories", "list", "--status", "developing", "--limit", "2"]
TIMELINE_QUERY = "type=release&from=2025&min_importance=60&size=2"
# A run's duration differs every time; the example shows where it goes.
SECONDS = re.compile(r"; \d+\.\ds$")
FIRST_EVENT_KEYS = ("id", "type", "status", "date", "date_label", "precision", "sort_date", "importance",
                    "importance_pct", "confidence", "confidence_pct", "mentions", "sources")
NEXT_EVENT_KEYS = ("id", "date", "date_label", "precision")
LINE_WIDTH = 80


def run_kb(db_path: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([str(KB), "--db", str(db_path), *args], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    if result.returncode != 0:
        raise SystemExit(f"kb {' '.join(args)} failed: {result.stderr[-500:]}")
    return result


def readme_commands(db_path: Path, summary: str) -> str:
    """The console block of the README: the sample ingest and the two leading stories."""
    stories = run_kb(db_path, *STORIES_COMMAND).stdout.rstrip()
    return "\n".join([
        "```console",
        f"$ kb --db data/kb.db ingest --sources {SAMPLE_SOURCES}",
        SECONDS.sub("; …s", summary),
        f"$ kb --db data/kb.db {' '.join(STORIES_COMMAND)}",
        stories,
        "```",
    ])


def shortened(text: str | None, limit: int = 48) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " ..."


def compact(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def first_event(event: dict) -> list[str]:
    """The first event, abridged, as the lines of a JSON object."""
    head = {k: event[k] for k in FIRST_EVENT_KEYS}
    head["sentence"] = shortened(event["sentence"])
    lines = ["{"]
    for key, value in head.items():  # a few pairs a line, as a reader would wrap them
        pair = f"{compact(key)}: {compact(value)}, "
        if len(lines[-1]) + len(pair) > LINE_WIDTH:
            lines.append("")
        lines[-1] += pair
    lines = [line.rstrip() for line in lines]
    if event["stories"]:
        story = event["stories"][0]
        lines.append(f'"stories": [{compact({"id": story["id"], "title": shortened(story["title"], 40)})}]'
                     + (", ..." if len(event["stories"]) > 1 else "") + ",")
    if event["entities"]:
        lines.append(f'"entities": [{compact(event["entities"][0])}'
                     + (", ...]" if len(event["entities"]) > 1 else "]") + ",")
    if event["articles"]:
        article = event["articles"][0]
        # Article ids follow the order fetches finish in, which varies from run to run.
        kept = {"title": shortened(article["title"], 32), "url": article["url"],
                "source": article["source"], "first_party": article["first_party"]}
        lines.append(f'"articles": [{compact(kept)}' + (", ...]}" if len(event["articles"]) > 1 else "]}"))
    else:
        lines[-1] = lines[-1].rstrip(",") + "}"
    return lines


async def timeline_json(db_path: Path) -> dict:
    sys.path.insert(0, str(ROOT))
    from kb.cli.serving import build_datasette

    ds = build_datasette(db_path)
    await ds.invoke_startup()
    response = await ds.client.get(f"/-/timeline.json?{TIMELINE_QUERY}")
    return response.json()


def timeline_example(db_path: Path) -> str:
    """The curl example of docs/pages-and-queries.md: the timeline JSON, abridged."""
    data = asyncio.run(timeline_json(db_path))
    lines = [f"curl 'http://127.0.0.1:8001/-/timeline.json?{TIMELINE_QUERY}'",
             "# (on the sample corpus, abridged; its articles are local files, and file: URLs are "
             "never links)",
             f'# {{"ok": {compact(data["ok"])}, "filters": {compact(data["filters"])},',
             f'#  "count": {data["count"]},']
    events = data["events"]
    if events:
        body = first_event(events[0])
        lines.append(f'#  "events": [{body[0]}')
        lines += [f"#              {line}" for line in body[1:]]
        for event in events[1:]:
            lines[-1] += ","
            lines.append(f"#             {compact({k: event[k] for k in NEXT_EVENT_KEYS})[:-1]}, ...}}")
        lines[-1] += "],"
    else:
        lines.append('#  "events": [],')
    next_url = data["next_url"] or ""
    if len(next_url) > 40:
        next_url = next_url.split("?")[0] + "?...&next=" + next_url.rsplit("next=", 1)[-1]
    lines.append(f'#  "next": {compact(data["next"])}, "next_url": {compact(next_url or None)}}}')
    return "```sh\n" + "\n".join(lines) + "\n```"


def story_card_example(db_path: Path) -> str:
    """The README's story card: the leading developing story's `kb stories show`, its heading,
    scores, summary and first fact sheet, then the names of the sections that follow."""
    top = json.loads(run_kb(db_path, "stories", "list", "--status", "developing", "--limit", "1",
                            "--json").stdout)[0]["id"]
    blocks = run_kb(db_path, "stories", "show", str(top)).stdout.rstrip().split("\n\n")
    sheets = [b for b in blocks if b.startswith("Fact sheet:")]
    shown = blocks[:3] + sheets[:1]
    rest = [b.splitlines()[0] for b in blocks[3:] if b not in shown and not b.startswith("Fact sheet:")]
    more = f"{len(sheets) - 1} more fact sheets, " if len(sheets) > 1 else ""
    return "\n".join(["```console", f"$ kb --db data/kb.db stories show {top}", "\n\n".join(shown), "",
                      textwrap.fill(f"[... {more}{', '.join(rest)}]", 88), "```"])


def sample_examples() -> dict[str, str]:
    """Each generated example by its marker name."""
    with tempfile.TemporaryDirectory(prefix="newskb-docs-") as directory:
        db_path = Path(directory) / "kb.db"
        summary = run_kb(db_path, "ingest", "--sources", SAMPLE_SOURCES).stderr.strip().splitlines()[-1]
        return {"sample commands": readme_commands(db_path, summary),
                "timeline example": timeline_example(db_path),
                "story card": story_card_example(db_path)}
