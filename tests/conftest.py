"""Shared fixtures: a real database file, the real `kb` command and a loopback HTTP server."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli.main import cli
from kb.store.db import open_db
from tests.loopback import LoopbackServer

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "data" / "sample"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "kb.db"


@pytest.fixture
def db(db_path: Path):
    database = open_db(db_path)
    yield database
    database.conn.close()


@pytest.fixture
def run_kb(db_path: Path):
    """Invoke the real `kb` click command against the test database."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(cli, ["--db", str(db_path), *args], input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def loopback():
    """An empty loopback server; tests add routes."""
    with LoopbackServer() as server:
        yield server


@pytest.fixture
def sample_server():
    """A loopback server serving the bundled sample corpus (data/sample)."""
    with LoopbackServer(SAMPLE_DIR) as server:
        yield server


@pytest.fixture(scope="session")
def generated_kb(tmp_path_factory) -> Path:
    """A knowledge base built by bench/generate_db.py (with hostile rows); tests that write undo it."""
    from bench.generate_db import generate

    path = tmp_path_factory.mktemp("generated") / "kb.db"
    generate(path, events=600, articles=150, stories=8, seed=7)
    return path


@pytest.fixture
async def kb_datasette(generated_kb: Path):
    """Datasette serving the generated knowledge base with the project's metadata and plugins."""
    from kb.cli.serving import build_datasette

    ds = build_datasette(generated_kb)
    await ds.invoke_startup()
    return ds
