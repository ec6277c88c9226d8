"""docs/track-your-own-topic.md does what it says: its shell blocks, run exactly as written.

The walkthrough's ```sh blocks run in order in one bash session (exports carry over, as in a
reader's terminal), from the checkout with $HOME in a temporary folder and the project's `kb`
first on PATH. The sample corpus is served over loopback by the walkthrough's own
`python3 -m http.server` line, and the sources reach it through `--allow-private`. The one block
that would never end, `kb serve`, is started in the background and its home page fetched. The
storylines the doc shows (```text blocks) must be the ones the real commands print.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "track-your-own-topic.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
MARK = "@@walkthrough block {}@@"
SERVE = re.compile(r"^kb serve --port (\d+)$", re.M)


def doc_blocks() -> list[tuple[str, str]]:
    """(language, text) of every fenced block of the walkthrough, in order."""
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(DOC.read_text(encoding="utf-8"))]


def shell_script(blocks: list[tuple[str, str]]) -> str:
    """The doc's sh blocks as one bash script, each announced by a marker line on stdout; a
    `kb serve` line runs in the background and the script fetches its home page."""
    lines = ["set -euo pipefail", "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT"]
    for number, (lang, text) in enumerate(blocks):
        if lang != "sh":
            continue
        lines.append(f"echo '{MARK.format(number)}'")
        serve = SERVE.search(text)
        if serve:
            port = serve.group(1)
            lines.append(text.replace(serve.group(0), serve.group(0) + " >/dev/null 2>&1 &"))
            lines.append(f"""python3 - "$!" <<'PY'
import os, sys, time, urllib.request
deadline = time.monotonic() + 240  # a loaded machine starts Datasette slowly
while True:
    try:
        print(urllib.request.urlopen("http://127.0.0.1:{port}/", timeout=10).read().decode())
        break
    except OSError:
        try:
            os.kill(int(sys.argv[1]), 0)
        except OSError:
            raise SystemExit("kb serve exited without answering on port {port}")
        if time.monotonic() > deadline:
            raise SystemExit("kb serve did not answer on port {port}")
        time.sleep(0.2)
PY""")
        else:
            lines.append(text)
    return "\n".join(lines) + "\n"


def outputs(stdout: str) -> dict[int, str]:
    """Block number -> what its commands printed."""
    parts = re.split(r"^@@walkthrough block (\d+)@@\n", stdout, flags=re.M)
    return {int(parts[i]): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def table_rows(text: str) -> list[tuple[str, str, str]]:
    """(ID, MENTIONS, TITLE) of each row of a `kb stories list` table."""
    rows = []
    for line in text.splitlines():
        match = re.match(r"^\s*(\d+)\s+\S+\s+\d+%\s+\d+%\s+(\d+)\s+(.+?)\s*$", line)
        if match:
            rows.append(match.groups())
    return rows


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory):
    blocks = doc_blocks()
    ports = [8765, *(int(p) for p in SERVE.findall(DOC.read_text(encoding="utf-8")))]
    busy = [p for p in ports if not port_free(p)]
    if busy:
        pytest.fail(f"the walkthrough's loopback ports {busy} are in use on this machine")
    home = tmp_path_factory.mktemp("home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(HOME=str(home), PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    run = subprocess.run(["bash", "-c", shell_script(blocks)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=600)  # as a terminal shows both
    assert run.returncode == 0, run.stdout[-5000:]
    return blocks, outputs(run.stdout), env, home


def block_after(blocks: list[tuple[str, str]], command: str) -> tuple[int, str]:
    """The sh block running `command`, and the text block the doc shows after it."""
    number = next(i for i, (lang, text) in enumerate(blocks) if lang == "sh" and command in text)
    shown = next(text for lang, text in blocks[number + 1:] if lang == "text")
    return number, shown


def test_the_walkthrough_runs_from_an_empty_folder(walkthrough):
    blocks, out, _, home = walkthrough
    assert (home / "amazon-anthropic" / "kb.db").exists()
    sources = (home / "amazon-anthropic" / "sources.toml").read_text()
    assert sources.count("allow_private = true") == 2  # each source its own permission
    ingest = next(out[i] for i, (lang, text) in enumerate(blocks) if lang == "sh" and "kb ingest" in text)
    assert re.search(r"^run 1 ok: sources 2 ok, 0 failed.*articles 8 new", ingest, re.M), ingest


def test_the_storylines_are_the_ones_the_doc_shows(walkthrough):
    blocks, out, _, _ = walkthrough
    number, shown = block_after(blocks, "kb stories list")
    printed = table_rows(out[number])
    assert printed, out[number]
    assert printed == table_rows(shown)
    for _, _, title in printed:
        assert "Amazon" in title or "Anthropic" in title, title


def test_the_card_is_the_one_the_doc_shows(walkthrough):
    blocks, out, _, _ = walkthrough
    number, shown = block_after(blocks, "kb stories show")
    printed = out[number].splitlines()
    position = 0
    for line in shown.splitlines():
        if line == "[...]":
            continue
        assert line in printed[position:], f"the doc shows {line!r}; kb prints:\n{out[number]}"
        position = printed.index(line, position) + 1
    for sheet in re.findall(r"^Fact sheet: (.+?) and (.+?): ", out[number], re.M):
        assert sheet[0] != sheet[1], sheet  # two sides, not one twice ("Amazon and Amazon")


def test_no_storyline_has_an_empty_card(walkthrough):
    blocks, out, env, _ = walkthrough
    number, _ = block_after(blocks, "kb stories list")
    env = {**env, "KB_DATA_DIR": env["HOME"] + "/amazon-anthropic", "KB_DB": env["HOME"] + "/amazon-anthropic/kb.db"}
    for story_id, _, title in table_rows(out[number]):
        run = subprocess.run(["kb", "stories", "show", story_id, "--json"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        card = json.loads(run.stdout)
        assert card["summary"]["text"].strip(), title
        assert card["fact_sheets"] and card["key_facts"] and card["sources"], title
        for sheet in card["fact_sheets"]:
            assert sheet["fields"], sheet["name"]
        for entry in card["timeline"]:  # each report listed once
            urls = [r["url"] for r in entry["reports"]]
            assert len(urls) == len(set(urls)), entry["summary"]


def test_the_home_page_shows_the_topic_and_its_storylines(walkthrough):
    blocks, out, _, _ = walkthrough
    serve = next(i for i, (lang, text) in enumerate(blocks) if lang == "sh" and SERVE.search(text))
    page = out[serve]
    assert "Amazon and Anthropic" in page
    number, _ = block_after(blocks, "kb stories list")
    for _, _, title in table_rows(out[number]):
        assert title.replace("&", "&amp;") in page, title
