"""A user's own data folder ($KB_DATA_DIR, file by file over the packaged data/), the fixed clock
($KB_NOW), and a source allowed loopback addresses on its own (`kb sources add --allow-private`).

The data directory is fixed when kb.core.config is imported, so those tests run the real `kb`
command or Python in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kb.core.config import load_sources
from kb.core.time import current_time, utcnow

ROOT = Path(__file__).resolve().parents[2]
KB = Path(sys.executable).with_name("kb")
WHERE_FILES_COME_FROM = """
import json
from kb.core import config
from kb.core.relations import RELATIONS_PATH
from kb.nlp.gazetteer import default_gazetteer_path
print(json.dumps({"topics": str(config.DEFAULT_TOPICS), "nlp": str(config.NLP_SETTINGS),
                  "sources": str(config.DEFAULT_SOURCES), "relations": str(RELATIONS_PATH),
                  "gazetteer": str(default_gazetteer_path())}))
"""


def clean_env(**extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("KB_")}, **extra}


def test_a_users_folder_is_read_first_and_the_packaged_data_fills_in(tmp_path):
    (tmp_path / "topics.toml").write_text('[[topic]]\nname = "mine"\nkeywords = ["Anthropic"]\n')
    (tmp_path / "relations.toml").write_text('[makers]\n"Claude" = "Anthropic"\n')
    run = subprocess.run([sys.executable, "-c", WHERE_FILES_COME_FROM], capture_output=True, text=True,
                         env=clean_env(KB_DATA_DIR=str(tmp_path)), cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    assert found["topics"] == str(tmp_path / "topics.toml")
    assert found["relations"] == str(tmp_path / "relations.toml")
    assert found["nlp"] == str(ROOT / "data" / "nlp.toml")
    assert found["gazetteer"] == str(ROOT / "data" / "gazetteer.jsonl")
    assert found["sources"] == str(tmp_path / "sources.toml")  # never the packaged sources


def test_kb_sources_add_writes_to_the_users_folder_with_a_permission_for_that_source(tmp_path):
    folder = tmp_path / "topic"
    env = clean_env(KB_DATA_DIR=str(folder))
    for args in (["Local", "http://127.0.0.1:8765/feed.xml", "--allow-private"],
                 ["Public", "https://news.example/feed.xml"]):
        run = subprocess.run([str(KB), "sources", "add", *args], capture_output=True, text=True, env=env,
                             timeout=120)
        assert run.returncode == 0, run.stderr
    sources = {s.name: s for s in load_sources(folder / "sources.toml").sources}
    assert sources["Local"].allow_private is True
    assert sources["Public"].allow_private is False
    assert load_sources(folder / "sources.toml").allow_private_addresses is False


def test_kb_now_fixes_the_clock(monkeypatch):
    monkeypatch.setenv("KB_NOW", "2026-04-30T14:00:00+02:00")
    assert utcnow() == "2026-04-30T12:00:00Z"
    assert current_time().isoformat() == "2026-04-30T12:00:00+00:00"
    monkeypatch.delenv("KB_NOW")
    assert utcnow() > "2026-04-30T12:00:00Z"


def test_a_bad_kb_now_is_a_one_line_error(tmp_path):
    run = subprocess.run([str(KB), "--db", str(tmp_path / "kb.db"), "ingest", "--sources",
                          "data/sample/sources.toml"], capture_output=True, text=True, cwd=ROOT,
                         env=clean_env(KB_NOW="yesterday"), timeout=300)
    assert run.returncode != 0
    assert run.stderr.strip().splitlines()[-1].startswith("Error: KB_NOW='yesterday' is not a timestamp")
    assert "Traceback" not in run.stderr


def test_a_new_folder_without_sources_says_how_to_add_one(tmp_path):
    run = subprocess.run([str(KB), "--db", str(tmp_path / "kb.db"), "ingest"], capture_output=True, text=True,
                         env=clean_env(KB_DATA_DIR=str(tmp_path)), cwd=ROOT, timeout=120)
    assert run.returncode != 0
    assert run.stderr.strip() == (f"Error: {tmp_path / 'sources.toml'}: file not found: add a source with "
                                  "`kb sources add NAME URL`, or name a sources file with --sources")
