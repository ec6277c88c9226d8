"""One list of event types (kb/core/event_types.py), which the schema and data files agree with."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from kb.core.event_types import EVENT_TYPES

DATA = Path(__file__).resolve().parents[2] / "data"


def test_the_schema_check_allows_exactly_the_event_types(db):
    # m003's CHECK is kept as it was written; it must name the same types.
    sql = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'").fetchone()[0]
    check = re.search(r"CHECK \(type IN \(([^)]*)\)\)", sql)
    assert check is not None
    assert tuple(re.findall(r"'(\w+)'", check.group(1))) == EVENT_TYPES


def test_the_trigger_lexicon_describes_every_event_type():
    types = tomllib.loads((DATA / "event_triggers.toml").read_text())["types"]
    assert sorted(types) == sorted(EVENT_TYPES)


def test_the_canned_queries_describe_the_event_types():
    config = yaml.safe_load((DATA / "datasette.yaml").read_text())
    described = config["databases"]["kb"]["tables"]["events"]["columns"]["type"]
    assert described == "Event type: " + ", ".join(EVENT_TYPES)
