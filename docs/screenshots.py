"""Take the README's screenshots: the home page and a story page of the sample knowledge base.

    python docs/screenshots.py        # what `make screenshots` runs

Builds the sample base with the real `kb ingest`, serves it with `kb serve` on a free
loopback port, and saves 1280-pixel-wide PNGs into docs/images/ with headless Chromium
(/usr/bin/chromium) driven by playwright. Nothing is fetched from the internet.

The clock is fixed ($KB_NOW = NOW) for the build and the server, so the pages are the same on
every run. docs/images/screenshots.json records, per image, the page's path and a digest of
its HTML and of the stylesheets; tests/test_docs.py renders the pages again through Datasette's
test client and fails when a digest differs: the images are then stale, and `make screenshots`
renews them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
MANIFEST = IMAGES / "screenshots.json"
STATIC = ROOT / "datasette_plugins" / "static"
KB = Path(sys.executable).parent / "kb"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 860}
# The time the screenshots are taken at: a few days after the sample corpus's last article.
NOW = "2026-04-30T12:00:00Z"


def fixed_clock_env() -> dict[str, str]:
    """The environment of the build and the server: the fixed clock, the checkout's data."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    return {**env, "KB_NOW": NOW}


def build_sample(db: Path) -> None:
    """The sample corpus as the real `kb ingest` builds it at NOW."""
    subprocess.run([str(KB), "--db", str(db), "ingest", "--sources", "data/sample/sources.toml"],
                   cwd=ROOT, check=True, env=fixed_clock_env(), stdout=subprocess.DEVNULL)


def shots(db: Path) -> dict[str, str]:
    """Image name -> the page it shows: the home page and the most important developing story."""
    with sqlite3.connect(db) as conn:
        (story,) = conn.execute("SELECT id FROM stories WHERE status = 'developing' "
                                "ORDER BY importance DESC, id LIMIT 1").fetchone()
    return {"home.png": "/", "story.png": f"/-/story/{story}"}


def static_digest() -> str:
    """One digest of the stylesheets and scripts the pages load."""
    digest = hashlib.sha256()
    for path in sorted(p for p in STATIC.rglob("*") if p.is_file()):
        digest.update(path.relative_to(STATIC).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


async def render_pages(db: Path, paths: dict[str, str]) -> dict[str, str]:
    """Image name -> sha256 of the HTML the page renders, through Datasette's test client
    (with $KB_NOW = NOW in this process)."""
    from kb.cli.serving import build_datasette

    ds = build_datasette(db)
    await ds.invoke_startup()
    digests = {}
    for name, path in paths.items():
        response = await ds.client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
        digests[name] = hashlib.sha256(response.content).hexdigest()
    return digests


def manifest(db: Path) -> dict:
    """What docs/images/screenshots.json records for the base `db` built at NOW."""
    paths = shots(db)
    previous = os.environ.get("KB_NOW")
    os.environ["KB_NOW"] = NOW
    try:
        digests = asyncio.run(render_pages(db, paths))
    finally:
        if previous is None:
            del os.environ["KB_NOW"]
        else:
            os.environ["KB_NOW"] = previous
    return {"now": NOW, "static_sha256": static_digest(),
            "shots": {name: {"path": path, "html_sha256": digests[name]} for name, path in paths.items()}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/-/versions.json", timeout=2):
                return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("kb serve did not start") from None
            time.sleep(0.2)


def take_screenshots(db: Path, paths: dict[str, str]) -> None:
    from playwright.sync_api import sync_playwright

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(KB), "--db", str(db), "serve", "--port", str(port)], cwd=ROOT,
                              env=fixed_clock_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(base, server)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for name, path in paths.items():
                page = browser.new_page(viewport=VIEWPORT)
                page.goto(base + path, wait_until="load")
                page.screenshot(path=str(IMAGES / name), full_page=False)
                page.close()
                print(f"docs/images/{name}: {path} ({(IMAGES / name).stat().st_size // 1024} KB)")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> int:
    if not CHROMIUM.exists():
        print(f"no Chromium at {CHROMIUM}", file=sys.stderr)
        return 1
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "kb.db"
        build_sample(db)
        record = manifest(db)
        take_screenshots(db, {name: shot["path"] for name, shot in record["shots"].items()})
    MANIFEST.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"docs/images/screenshots.json: {', '.join(record['shots'])} at {NOW}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
