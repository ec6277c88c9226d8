"""The pipeline's data files: all read from $KB_DATA_DIR, all counted in nlp_version.

Each test runs Python (or the real `kb` command) in a subprocess on a copy of data/, since
the data directory is fixed when kb.core.config is imported.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The files each analysis depends on, relative to the data directory.
PIPELINE_FILES = (
    "nlp.toml", "event_triggers.toml", "event_rules.toml", "gazetteer.jsonl", "candidates.toml", "quantities.toml",
    "temporal/vocab.toml", "temporal/patterns.toml",
)

VERSIONS_AFTER_EDITS = """
import json, os, sys
from pathlib import Path
from kb.nlp.pipeline import nlp_version

data = Path(os.environ["KB_DATA_DIR"])
versions = {"": nlp_version()}
for name in sys.argv[1:]:
    path = data / name  # relative to the data directory, or absolute
    original = path.read_bytes()
    path.write_bytes(original + b"\\n# edited\\n")
    versions[name] = nlp_version()
    path.write_bytes(original)
print(json.dumps(versions))
"""

FILES_OPENED = """
import json, os, sys
from pathlib import Path

data = Path(os.environ["KB_DATA_DIR"]).resolve()
opened = set()

def audit(event, args):
    if event == "open" and isinstance(args[0], (str, Path)):
        path = Path(args[0]).resolve()
        if path.is_relative_to(data) and path.is_file():
            opened.add(str(path.relative_to(data)))

sys.addaudithook(audit)
from kb.nlp.pipeline import analyze, data_files, load_settings, nlp_version

nlp_version()
analyze("Microsoft released MAI-Image-2-Efficient on Tuesday for $5 a month.", "2026-04-15")
listed = sorted(str(p.resolve().relative_to(data)) for p in data_files(load_settings()))
print(json.dumps({"opened": sorted(opened), "listed": listed}))
"""


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(ROOT / "data", copy, ignore=shutil.ignore_patterns("*.db*"))
    return copy


def run_python(script: str, data_dir: Path, *args: str, **env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120,
        env={**os.environ, "KB_DATA_DIR": str(data_dir), **env}, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_editing_any_pipeline_data_file_makes_old_analyses_stale(data_copy):
    versions = run_python(VERSIONS_AFTER_EDITS, data_copy, *PIPELINE_FILES)
    unchanged = [name for name in PIPELINE_FILES if versions[name] == versions[""]]
    assert unchanged == []


def test_the_version_follows_the_gazetteer_named_by_kb_gazetteer(data_copy, tmp_path):
    override = tmp_path / "elsewhere" / "gazetteer.jsonl"
    override.parent.mkdir()
    shutil.copy(data_copy / "gazetteer.jsonl", override)
    versions = run_python(VERSIONS_AFTER_EDITS, data_copy, str(override), "gazetteer.jsonl",
                          KB_GAZETTEER=str(override))
    assert versions[str(override)] != versions[""]
    assert versions["gazetteer.jsonl"] == versions[""]  # the file in data/ is not read


def test_every_file_the_pipeline_reads_is_in_the_version(data_copy):
    found = run_python(FILES_OPENED, data_copy)
    assert set(found["opened"]) <= set(found["listed"])
    assert set(PIPELINE_FILES) <= set(found["opened"])


def test_a_bad_temporal_pattern_is_a_one_line_error_naming_the_rule(data_copy, tmp_path):
    patterns = data_copy / "temporal" / "patterns.toml"
    patterns.write_text(patterns.read_text().replace(
        "pattern = '\\bthe\\s+{month}\\s+quarter\\b'", "pattern = '\\bthe\\s+{moth}\\s+quarter\\b'"))
    kb = Path(sys.executable).with_name("kb")
    result = subprocess.run(
        [str(kb), "--db", str(tmp_path / "kb.db"), "extract", "--published", "2026-04-15"],
        input="It shipped in the March quarter.", capture_output=True, text=True, timeout=120,
        env={**os.environ, "KB_DATA_DIR": str(data_copy)},
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"Error: {patterns}: rule 'month_quarter': unknown part {{moth}}"
    ]
