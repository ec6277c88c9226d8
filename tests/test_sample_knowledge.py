"""The sample corpus builds the knowledge recorded in tests/fixtures/sample_knowledge.json.

The fixture was written before the layout change (issue 12) and the build after it must match it
exactly: events, dates, scores, statuses, entities and stories. When a change means to alter what
the sample builds, regenerate it with `make sample-knowledge` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.knowledge import snapshot
from tests.system.test_kill import run_kb_process

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "sample_knowledge.json"


def test_the_sample_builds_the_recorded_knowledge(tmp_path):
    db_path = tmp_path / "kb.db"
    result = run_kb_process(db_path, "ingest", "--sources", str(ROOT / "data" / "sample" / "sources.toml"))
    assert result.returncode == 0, result.stderr
    built = snapshot(str(db_path))
    recorded = json.loads(FIXTURE.read_text())
    assert len(built["events"]) == len(recorded["events"])
    assert built["events"] == recorded["events"]
    assert built["stories"] == recorded["stories"]
