"""Take the README's screenshots: the home page and a story page of the sample knowledge base.

    python docs/screenshots.py        # what `make screenshots` runs

Builds the sample base with the real `kb ingest`, serves it with `kb serve` on a free
loopback port, and saves 1280-pixel-wide PNGs into docs/images/ with headless Chromium
(/usr/bin/chromium) driven by playwright. Nothing is fetched from the internet.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
KB = Path(sys.executable).parent / "kb"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 860}


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


def main() -> int:
    if not CHROMIUM.exists():
        print(f"no Chromium at {CHROMIUM}", file=sys.stderr)
        return 1
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "kb.db"
        subprocess.run([str(KB), "--db", str(db), "ingest", "--sources", "data/sample/sources.toml"],
                       cwd=ROOT, check=True)
        with sqlite3.connect(db) as conn:  # the most important developing story
            (story,) = conn.execute("SELECT id FROM stories WHERE status = 'developing' "
                                    "ORDER BY importance DESC, id LIMIT 1").fetchone()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([str(KB), "--db", str(db), "serve", "--port", str(port)], cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_up(base, server)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                for name, path in (("home.png", "/"), ("story.png", f"/-/story/{story}")):
                    page = browser.new_page(viewport=VIEWPORT)
                    page.goto(base + path, wait_until="load")
                    page.screenshot(path=str(IMAGES / name), full_page=False)
                    page.close()
                    print(f"docs/images/{name}: {path} ({(IMAGES / name).stat().st_size // 1024} KB)")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
