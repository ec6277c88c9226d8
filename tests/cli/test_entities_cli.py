"""`kb entities ...` on a real database file, with a temporary copy of the gazetteer."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import spacy

from kb.nlp.gazetteer import load_gazetteer
from kb.store.entities import entity_id, list_candidates, sync_gazetteer

ROOT = Path(__file__).resolve().parents[2]
REAL_GAZETTEER = ROOT / "data" / "gazetteer.jsonl"

ARTICLES = [
    ("https://example.test/a", "2026-04-15T10:00:00Z",
     "OpenAI's chief revenue officer, Denise Dresser, wrote the memo. "
     "Paula Quist, the chief executive of Norbit Labs, said the deal was fair. "
     "Microsoft declined to comment."),
    ("https://example.test/b", "2026-04-16T10:00:00Z",
     "Norbit Labs hired engineers from Microsoft AI. "
     "Analyst Tomas Reyna said Norbit Labs will grow."),
]


@pytest.fixture
def gazetteer_copy(tmp_path: Path, monkeypatch) -> Path:
    """A copy of the real gazetteer, without Denise Dresser, used through $KB_GAZETTEER."""
    path = tmp_path / "gazetteer.jsonl"
    lines = REAL_GAZETTEER.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if '"Denise Dresser"' not in line), encoding="utf-8")
    monkeypatch.setenv("KB_GAZETTEER", str(path))
    return path


@pytest.fixture
def real_gazetteer_digest():
    """The real data file must come out of every test unchanged."""
    before = hashlib.sha256(REAL_GAZETTEER.read_bytes()).hexdigest()
    yield
    assert hashlib.sha256(REAL_GAZETTEER.read_bytes()).hexdigest() == before


def analyse_into(db, gazetteer: Path) -> None:
    """Store articles and their entity mentions the way analysis does: components + entity_id."""
    import kb.nlp.gazetteer  # noqa: F401

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("kb_gazetteer", config={"path": str(gazetteer)})
    nlp.add_pipe("kb_quantities")
    nlp.add_pipe("kb_candidates")
    for url, published, text in ARTICLES:
        article = db["articles"].insert(
            {"url": url, "canonical_url": url, "published_at": published, "text": text, "status": "ok"}
        ).last_pk
        doc = nlp(text)
        for ent in doc.ents:
            if ent.label_ in ("MONEY", "PERCENT", "QUANTITY"):
                continue
            db.execute(
                'INSERT INTO mentions (article_id, entity_id, label, start, "end", text) VALUES (?, ?, ?, ?, ?, ?)',
                [article, entity_id(db, ent.kb_id_ or ent.text, ent.label_), ent.label_,
                 ent.start_char, ent.end_char, ent.text],
            )
    db.conn.commit()


def test_sync_loads_every_entry_and_is_idempotent(run_kb, db, gazetteer_copy, real_gazetteer_digest):
    expected = len(load_gazetteer(gazetteer_copy))
    result = run_kb("entities", "sync")
    assert result.exit_code == 0, result.output
    assert f"Synced {expected} entities" in result.output
    counts = (db["entities"].count, db["entity_aliases"].count)
    assert counts[0] == expected
    assert run_kb("entities", "sync").exit_code == 0
    assert (db["entities"].count, db["entity_aliases"].count) == counts
    row = db.execute(
        "SELECT status, centrality, wikidata_id FROM entities WHERE name = 'Microsoft'"
    ).fetchone()
    assert row == ("known", 1.0, "Q2283")
    aliases = {r[0] for r in db.execute(
        "SELECT alias FROM entity_aliases a JOIN entities e ON e.id = a.entity_id WHERE e.name = 'OpenAI'")}
    assert {"OpenAI", "OpenAI Group PBC"} <= aliases


def test_sync_updates_changed_entries(db, tmp_path: Path):
    path = tmp_path / "g.jsonl"
    path.write_text('{"name": "Acme", "type": "ORG", "aliases": ["Acme Inc."], "topic_weight": 0.3}\n')
    sync_gazetteer(db, path)
    path.write_text('{"name": "Acme", "type": "ORG", "aliases": ["ACME"], "topic_weight": 0.9}\n')
    sync_gazetteer(db, path)
    assert db.execute("SELECT centrality FROM entities WHERE name = 'Acme'").fetchone() == (0.9,)
    assert {r[0] for r in db.execute("SELECT alias FROM entity_aliases")} == {"Acme", "ACME"}


def test_entity_id_finds_known_names_and_creates_candidates(db, gazetteer_copy):
    # Not synced yet: a gazetteer name is still added as known, not as a candidate.
    microsoft = entity_id(db, "Microsoft", "ORG")
    assert db.execute("SELECT status FROM entities WHERE id = ?", [microsoft]).fetchone() == ("known",)
    assert entity_id(db, "Microsoft Corp.", "ORG") == microsoft
    stranger = entity_id(db, "Paula Quist", "PERSON")
    assert db.execute("SELECT status, type FROM entities WHERE id = ?", [stranger]).fetchone() == ("candidate", "PERSON")
    # The same unknown name with another guessed label stays one candidate.
    assert entity_id(db, "Paula Quist", "ORG") == stranger


def test_candidates_lists_unknown_names_with_counts_and_examples(run_kb, db, gazetteer_copy, real_gazetteer_digest):
    analyse_into(db, gazetteer_copy)
    result = run_kb("entities", "candidates", "--json")
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert {"Denise Dresser", "Paula Quist", "Norbit Labs", "Tomas Reyna"} <= set(rows)
    assert "Microsoft" not in rows
    assert rows["Norbit Labs"]["mentions"] == 3
    assert rows["Norbit Labs"]["articles"] == 2
    assert rows["Norbit Labs"]["first_seen"] == "2026-04-15T10:00:00Z"
    assert rows["Denise Dresser"]["type"] == "PERSON"
    assert rows["Denise Dresser"]["example"] == "OpenAI's chief revenue officer, Denise Dresser, wrote the memo."
    frequent = json.loads(run_kb("entities", "candidates", "--min-mentions", "2", "--json").output)
    assert [row["name"] for row in frequent] == ["Norbit Labs"]
    text = run_kb("entities", "candidates").output
    assert "Norbit Labs  [ORG]  3 mentions in 2 articles" in text


def test_promote_writes_the_gazetteer_copy(run_kb, db, gazetteer_copy, real_gazetteer_digest):
    analyse_into(db, gazetteer_copy)
    before = len(load_gazetteer(gazetteer_copy))
    result = run_kb("entities", "--gazetteer", str(gazetteer_copy), "promote", "Denise Dresser",
                    "--type", "PERSON", "--alias", "Dresser")
    assert result.exit_code == 0, result.output
    entries = load_gazetteer(gazetteer_copy)
    assert len(entries) == before + 1
    added = entries[-1]
    assert (added.name, added.type, added.aliases) == ("Denise Dresser", "PERSON", ["Dresser"])
    assert db.execute("SELECT status FROM entities WHERE name = 'Denise Dresser'").fetchone() == ("known",)
    assert "Denise Dresser" not in {row["name"] for row in list_candidates(db)}
    # A pipeline built from the updated file now knows the name and its alias.
    import kb.nlp.gazetteer  # noqa: F401

    nlp = spacy.blank("en")
    nlp.add_pipe("kb_gazetteer", config={"path": str(gazetteer_copy)})
    assert [(e.text, e.kb_id_) for e in nlp("Dresser agreed.").ents] == [("Dresser", "Denise Dresser")]


def test_promote_refuses_alias_clashes_and_bad_types(run_kb, db, gazetteer_copy, real_gazetteer_digest):
    analyse_into(db, gazetteer_copy)
    before = gazetteer_copy.read_bytes()
    clash = run_kb("entities", "promote", "Paula Quist", "--alias", "Microsoft")
    assert clash.exit_code != 0
    assert "alias 'Microsoft' belongs to" in clash.output
    bad_type = run_kb("entities", "promote", "Paula Quist", "--type", "COMPANY")
    assert bad_type.exit_code != 0
    assert "unknown entity type 'COMPANY'" in bad_type.output
    assert gazetteer_copy.read_bytes() == before
    known = run_kb("entities", "promote", "Microsoft")
    assert known.exit_code != 0 and "already a known entity" in known.output


def test_ignore_hides_a_candidate(run_kb, db, gazetteer_copy, real_gazetteer_digest):
    analyse_into(db, gazetteer_copy)
    result = run_kb("entities", "ignore", "Tomas Reyna")
    assert result.exit_code == 0, result.output
    assert "Ignored Tomas Reyna" in result.output
    assert "Tomas Reyna" not in {row["name"] for row in list_candidates(db)}
    assert db.execute("SELECT status FROM entities WHERE name = 'Tomas Reyna'").fetchone() == ("ignored",)
    again = run_kb("entities", "ignore", "Tomas Reyna")
    assert again.exit_code == 0 and "already ignored" in again.output
    # Reprocessing looks the name up again and keeps it ignored.
    assert db.execute("SELECT status FROM entities WHERE id = ?",
                      [entity_id(db, "Tomas Reyna", "PERSON")]).fetchone() == ("ignored",)


@pytest.mark.usefixtures("db")
@pytest.mark.parametrize("command", ["promote", "ignore"])
def test_unknown_name_is_a_clear_error(run_kb, gazetteer_copy, command, real_gazetteer_digest):
    result = run_kb("entities", command, "Nobody Atall")
    assert result.exit_code != 0
    assert "no candidate named 'Nobody Atall'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("db")
def test_broken_gazetteer_file_is_reported_with_its_line(run_kb, tmp_path: Path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"name": "Acme", "type": "ORG"}\nnot json\n', encoding="utf-8")
    result = run_kb("entities", "--gazetteer", str(path), "sync")
    assert result.exit_code == 2
    assert "broken.jsonl line 2: invalid JSON" in result.output


@pytest.mark.usefixtures("db")
def test_list_filters_by_type_and_search(run_kb, gazetteer_copy):
    run_kb("entities", "sync")
    people = json.loads(run_kb("entities", "list", "--type", "person", "--search", "Nadella", "--json").output)
    assert [(p["name"], p["type"]) for p in people] == [("Satya Nadella", "PERSON")]
    text = run_kb("entities", "list", "--search", "PBC").output
    assert "OpenAI" in text and "OpenAI Group PBC" in text


def test_every_entities_command_has_help_with_an_example(run_kb):
    for command in ("list", "candidates", "promote", "ignore", "sync"):
        result = run_kb("entities", command, "--help")
        assert result.exit_code == 0
        assert "Example:" in result.output and "kb entities" in result.output
