"""The docs stay true: generated parts current, SQL examples run, links and paths exist.

The SQL of every ```sql block in README.md and docs/*.md runs against the sample corpus as
the real `kb ingest` builds it; canned queries the docs name exist in data/datasette.yaml.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DOC_FILES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
KB = Path(sys.executable).parent / "kb"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
# Sample values for the named parameters of SQL examples (`:story` is looked up).
SAMPLE_PARAMS = {"as_of": "2026-04-15", "entity": "OpenAI"}
# Repository paths the docs may name that only exist once made (`make demo`, the benchmarks).
MADE_PATHS = ("data/kb.db", "bench/out")
# Paths the docs name because they do not exist (the mistyped --db of an error message).
MISSING_ON_PURPOSE = ("data/kbb.db",)


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def prose(text: str) -> str:
    """The text without its fenced code blocks."""
    return FENCE.sub("", text)


def sql_blocks() -> list[tuple[str, str]]:
    blocks = []
    for path in DOC_FILES:
        text = read(path)
        for match in FENCE.finditer(text):
            if match.group(1) == "sql":
                line = text.count("\n", 0, match.start()) + 1
                blocks.append((f"{path.relative_to(ROOT)}:{line}", match.group(2)))
    return blocks


def statements(sql: str) -> list[str]:
    """The complete statements of an SQL block, in order (a `;` inside a string is kept)."""
    found, current = [], ""
    for line in sql.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            found.append(current)
            current = ""
    if current.strip() and not all(s.strip().startswith("--") for s in current.strip().splitlines()):
        found.append(current)
    return found


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory) -> Path:
    """The sample corpus as the real `kb ingest` builds it (once per test session)."""
    path = tmp_path_factory.mktemp("docs") / "kb.db"
    run = subprocess.run([str(KB), "--db", str(path), "ingest", "--sources", "data/sample/sources.toml"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return path


@pytest.fixture(scope="session")
def sample(sample_db: Path):
    conn = sqlite3.connect(f"file:{sample_db}?mode=ro", uri=True)
    yield conn
    conn.close()


def canned_queries() -> dict[str, dict]:
    return yaml.safe_load(read(ROOT / "data" / "datasette.yaml"))["databases"]["kb"]["queries"]


def test_generated_docs_are_current():
    run = subprocess.run([sys.executable, "docs/gen_docs.py", "--check"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


def test_cli_reference_is_the_real_help():
    """docs/cli.md shows `kb --help` as the installed command prints it, and every command."""
    cli_md = read(DOCS / "cli.md")
    run = subprocess.run([str(KB), "--help"], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "COLUMNS": "80"})
    assert run.returncode == 0, run.stderr
    assert run.stdout.rstrip() in cli_md
    listed = re.findall(r"^  (\S+)  ", run.stdout.split("Commands:")[1], re.M)
    assert listed
    for name in listed:
        assert f"## `kb {name}`" in cli_md, name


@pytest.mark.parametrize("where,sql", sql_blocks(), ids=[where for where, _ in sql_blocks()])
def test_sql_examples_run_on_the_sample_corpus(sample, where, sql):
    params = {**SAMPLE_PARAMS, "story": sample.execute("SELECT min(id) FROM stories").fetchone()[0]}
    found = statements(sql)
    assert found, f"{where}: no SQL statement"
    for statement in found:
        try:
            sample.execute(statement, params).fetchall()
        except sqlite3.Error as exc:
            pytest.fail(f"{where}: {exc}\n{statement}")


def test_canned_queries_named_in_the_docs_exist(sample):
    queries = canned_queries()
    tables = {row[0] for row in sample.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    named: set[str] = set()
    for path in DOC_FILES:
        text = read(path)
        named |= {m for m in re.findall(r"(?<![\w.])/kb/(\w+)\b(?!\.atom)", text) if m not in tables}
        named |= set(re.findall(r"canned quer(?:y|ies) `(\w+)`", text))
    assert named - queries.keys() == set()
    pages = read(DOCS / "pages-and-queries.md")
    assert [name for name in queries if f"/kb/{name}" not in pages] == []


def test_the_as_of_example_holds(sample):
    """ledger-and-scores.md: the Bing Image Creator rumor is unknown, rumored, then denied."""
    sql = canned_queries()["known_as_of"]["sql"]

    def status_on(as_of: str) -> list[str]:
        cursor = sample.execute(sql, {"as_of": as_of})
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        return [row["status_then"] for row in rows if "default image model in Bing Image Creator" in row["summary"]]

    assert [status_on(as_of) for as_of in ("2026-04-08", "2026-04-15", "2026-04-25")] == [[], ["rumored"], ["denied"]]
    # The denial was published at 22:30 UTC on April 20: a timestamp is exact.
    assert [status_on(as_of) for as_of in ("2026-04-20T22:00:00Z", "2026-04-20T23:00:00Z")] == [["rumored"], ["denied"]]


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(h) for h in re.findall(r"^#{1,6} +(.+?) *$", prose(read(path)), re.M)}


def test_relative_links_point_to_existing_files():
    broken = []
    for path in DOC_FILES:
        text = re.sub(r"`[^`\n]*`", "", prose(read(path)))
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            file, _, anchor = target.partition("#")
            linked = (path.parent / file).resolve() if file else path
            if not linked.exists():
                broken.append(f"{path.relative_to(ROOT)}: {target}")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                broken.append(f"{path.relative_to(ROOT)}: {target} (no such heading)")
    assert broken == []


def named_paths(prefixes: tuple[str, ...]) -> list[tuple[str, str]]:
    pattern = re.compile(r"(?<![\w./-])((?:" + "|".join(prefixes) + r")/[\w./-]*[\w/])")
    return [(str(path.relative_to(ROOT)), name) for path in DOC_FILES
            for name in pattern.findall(prose(read(path)))]


def test_data_and_bench_paths_exist():
    missing = [f"{doc}: {name}" for doc, name in named_paths(("data", "bench", "docs"))
               if not name.startswith(MADE_PATHS + MISSING_ON_PURPOSE) and not (ROOT / name).exists()]
    assert missing == []


def test_module_and_test_paths_and_names_exist():
    missing = [f"{doc}: {name}" for doc, name in named_paths(("kb", "ingest", "datasette_plugins", "tests"))
               if not (ROOT / name).exists()]
    for path in DOC_FILES:
        for dotted in re.findall(r"`((?:kb|ingest|datasette_plugins)(?:\.\w+)+)`", read(path)):
            parts = dotted.split(".")
            for cut in range(len(parts), 0, -1):
                module = ROOT.joinpath(*parts[:cut])
                if module.with_suffix(".py").exists() or (module / "__init__.py").exists():
                    break
            source = module.with_suffix(".py") if module.with_suffix(".py").exists() else module / "__init__.py"
            rest = parts[cut:]
            if not source.exists() or (rest and not re.search(rf"^(?:def|class) {rest[0]}\b|^{rest[0]} =",
                                                              read(source), re.M)):
                missing.append(f"{path.relative_to(ROOT)}: {dotted}")
    assert missing == []


def test_no_path_from_a_developers_machine():
    found = [f"{path.relative_to(ROOT)}: {m}" for path in DOC_FILES
             for m in re.findall(r"(?:/work/|/home/|/Users/)\S*", read(path))]
    assert found == []


def test_readme_is_a_front_page():
    assert len(read(ROOT / "README.md").splitlines()) <= 200


# --- the README's screenshots show what the code renders (docs/screenshots.py) ----------------


def screenshots_module():
    """docs/screenshots.py, the one home of how the screenshots are built and their pages rendered."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("screenshots", DOCS / "screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_images_are_the_ones_the_manifest_records():
    recorded = yaml.safe_load(read(DOCS / "images" / "screenshots.json"))["shots"]
    shown = re.findall(r"\]\(docs/images/([\w.-]+\.png)\)", read(ROOT / "README.md"))
    assert shown and set(shown) <= set(recorded)
    for name in recorded:
        assert (DOCS / "images" / name).stat().st_size > 10_000, name


def test_the_screenshots_are_not_stale(tmp_path):
    """The pages of the images, rendered again from a fresh sample build at the recorded clock,
    give the recorded digests: else the images show what the code no longer renders."""
    shots = screenshots_module()
    recorded = json.loads(read(DOCS / "images" / "screenshots.json"))
    assert recorded["now"] == shots.NOW
    db = tmp_path / "kb.db"
    shots.build_sample(db)
    assert shots.manifest(db) == recorded, "docs/images are stale: run `make screenshots` and commit them"
