"""A mistyped --db creates nothing, and `kb extract` given text instead of a file says what to do.

Every command runs as the real `kb` in a subprocess.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import pytest

from kb.cli.main import cli
from tests.conftest import ROOT, SAMPLE_DIR
from tests.system.test_kill import run_kb_process

# Commands that create the database when it is missing; the others must refuse.
CREATE = {"init", "ingest", "add"}
# Commands that never open the database.
NO_DATABASE = {"extract", "eval", "sources add", "sources import-opml"}


def commands_needing_a_database(tmp_path: Path) -> dict[str, list[str]]:
    """Each command that opens an existing database, with arguments that would otherwise succeed or change files."""
    sources = tmp_path / "sources.toml"
    shutil.copy(SAMPLE_DIR / "sources.toml", sources)
    gazetteer = tmp_path / "gazetteer.jsonl"
    shutil.copy(ROOT / "data" / "gazetteer.jsonl", gazetteer)
    first_source = next(line.split('"')[1] for line in sources.read_text().splitlines() if line.startswith("name"))
    return {
        "migrate": ["migrate"],
        "runs": ["runs"],
        "backup": ["backup", str(tmp_path / "copy.db")],
        "reprocess": ["reprocess"],
        "rescore": ["rescore"],
        "serve": ["serve", "--port", "0"],
        "sources list": ["sources", "list", "--sources", str(sources)],
        "sources remove": ["sources", "remove", first_source, "--sources", str(sources)],
        "stories list": ["stories", "list"],
        "stories show": ["stories", "show", "1"],
        "stories merge": ["stories", "merge", "1", "2"],
        "stories split": ["stories", "split", "1", "2"],
        "stories rename": ["stories", "rename", "1", "A title"],
        "stories set-overview": ["stories", "set-overview", "1", "An overview"],
        "stories write": ["stories", "write", "1"],
        "entities list": ["entities", "list"],
        "entities candidates": ["entities", "candidates"],
        "entities promote": ["entities", "--gazetteer", str(gazetteer), "promote", "Denise Dresser", "--type", "PERSON"],
        "entities ignore": ["entities", "ignore", "Media Relations"],
        "entities sync": ["entities", "--gazetteer", str(gazetteer), "sync"],
    }


def leaf_commands(group: click.Group, prefix: str = "") -> set[str]:
    names = set()
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        names |= leaf_commands(command, f"{full} ") if isinstance(command, click.Group) else {full}
    return names


def test_every_command_of_kb_help_is_covered(tmp_path):
    covered = set(commands_needing_a_database(tmp_path)) | CREATE | NO_DATABASE
    assert leaf_commands(cli) == covered


def test_a_missing_database_is_not_created_by_commands_that_need_one(tmp_path):
    """`kb --db data/kbb.db stories list` (a typo) used to create a 393 KB database and say "No stories yet"."""
    missing = tmp_path / "kbb.db"
    commands = commands_needing_a_database(tmp_path)
    files_before = {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    failures = []
    for name, args in commands.items():
        result = run_kb_process(missing, *args, timeout=20)
        message = result.stderr.strip()
        if not (result.returncode == 2 and f"database {missing} does not exist" in message
                and "kb init" in message and "kb ingest" in message and len(message.splitlines()) == 1):
            failures.append(f"{name}: exit {result.returncode}: {message[-300:]!r}")
        for suffix in ("", "-wal", "-shm", ".lock"):
            if Path(f"{missing}{suffix}").exists():
                failures.append(f"{name} created {missing.name}{suffix}")
                Path(f"{missing}{suffix}").unlink()
    assert not failures, "\n".join(failures)
    # Nothing else was written either: the sources and gazetteer files are unchanged, no backup made.
    assert {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == files_before


def test_a_missing_directory_is_named_the_same_way(tmp_path):
    result = run_kb_process(tmp_path / "nowhere" / "kb.db", "stories", "list")
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "kb init" in result.stderr


@pytest.mark.parametrize("command", [["init"], ["add", "http://127.0.0.1:9/x"]])
def test_init_and_add_still_create_the_database(tmp_path, command):
    db_path = tmp_path / "kb.db"
    run_kb_process(db_path, *command)
    assert db_path.exists()
    assert run_kb_process(db_path, "stories", "list").returncode == 0


def test_extract_given_text_instead_of_a_file_says_how_to_pass_text(tmp_path):
    text = "Microsoft released MAI-Image-2-Efficient on Tuesday, the company said in a statement. " * 4
    for argument in (text, "Microsoft released it."):  # too long for a file name, and a short one
        result = run_kb_process(tmp_path / "kb.db", "extract", argument)
        assert result.returncode == 2
        assert "File name too long" not in result.stderr and "Traceback" not in result.stderr
        assert "--text" in result.stderr and "standard input" in result.stderr
    assert not (tmp_path / "kb.db").exists()


def test_extract_text_option(tmp_path):
    result = run_kb_process(tmp_path / "kb.db", "extract", "--published", "2026-04-15",
                            "--text", "Microsoft released MAI-Image-2-Efficient on Tuesday.")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert {e["text"] for e in found["entities"]} >= {"Microsoft", "MAI-Image-2-Efficient"}
    assert [t["value"] for t in found["timexes"]] == ["2026-04-14"]
    # The same text through a file gives the same result.
    path = tmp_path / "article.txt"
    path.write_text("Microsoft released MAI-Image-2-Efficient on Tuesday.")
    assert json.loads(run_kb_process(tmp_path / "kb.db", "extract", "--published", "2026-04-15",
                                     str(path)).stdout) == found


def test_extract_refuses_text_and_a_file_together(tmp_path):
    path = tmp_path / "article.txt"
    path.write_text("Microsoft released it.")
    for args in (["--text", "Microsoft released it.", str(path)], ["--text", "x", "--jsonl"]):
        result = run_kb_process(tmp_path / "kb.db", "extract", *args)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr and "No such option" not in result.stderr
        assert "--text" in result.stderr
