"""Peak memory of a real `kb serve` under the worst single requests, against an ordinary page.

Usage: .venv/bin/python bench/bench_serve_memory.py [--db bench/out/serve_memory.db] [--events 20000]

Builds the database with bench/generate_db.py first when it does not exist, starts `kb serve`
on a free loopback port, reads its peak resident memory (VmHWM in /proc/PID/status) after
ordinary pages (the baseline), then sends each hostile request (huge blobs and strings, padding,
recursive CTEs, group_concat over a join, huge _size, streamed CSV, several at once) and prints
the peak after each one, in MB and as a ratio to the baseline. Each request is bounded by a
timeout; the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate_db import generate  # noqa: E402

REQUEST_TIMEOUT = 120
# The bench kills the server past this resident size rather than let it take the machine.
KILL_ABOVE_MB = 6000
ORDINARY_PAGES = ["/", "/{db}/stories", "/{db}/events", "/-/timeline", "/{db}/articles?_size=50",
                  "/{db}.json?sql=" + quote("select id, title from stories order by importance desc")]


def sql_path(sql: str, suffix: str = "") -> str:
    return "/{db}.json?sql=" + quote(sql) + suffix


def columns(expression: str, count: int) -> str:
    return ", ".join(f"{expression} AS c{i}" for i in range(count))


ROWS_1000 = "with recursive n(x) as (select 1 union all select x + 1 from n limit 1000) "
PAD_19MB = "printf('%.*c', 19000000, 'x')"
HEX_PAD_18MB = "replace(hex(zeroblob(4500000)), '0', 'xx')"
HOSTILE_REQUESTS = [
    ("randomblob(999999999)", sql_path("select length(randomblob(999999999))")),
    ("zeroblob(999999999)", sql_path("select zeroblob(999999999)")),
    ("40 columns of randomblob(19 MB)", sql_path(f"select {columns('randomblob(19000000)', 40)}")),
    ("40 columns of zeroblob(19 MB)", sql_path(f"select {columns('zeroblob(19000000)', 40)}")),
    ("40 columns of printf padding (19 MB)", sql_path(f"select {columns(PAD_19MB, 40)}")),
    ("20 columns of replace(hex(zeroblob)) padding (18 MB)", sql_path(f"select {columns(HEX_PAD_18MB, 20)}")),
    ("19 MB of control characters (JSON escapes x6)", sql_path("select printf('%.*c', 19000000, char(1)) as c")),
    ("recursive CTE, 1000 rows of 19 MB", sql_path(ROWS_1000 + f"select x, {PAD_19MB} from n", "&_size=max")),
    ("recursive CTE, 1000 rows of 30 kB", sql_path(ROWS_1000 + "select x, printf('%.*c', 30000, 'x') from n", "&_size=max")),
    ("recursive CTE, group_concat of 10M rows", sql_path(
        "with recursive n(x) as (select 1 union all select x + 1 from n limit 10000000) select length(group_concat(x)) from n")),
    ("group_concat over a join", sql_path(
        "select length(group_concat(a.sentence || b.sentence)) from events a join events b")),
    ("huge _size on a table", "/{db}/articles.json?_size=99999999"),
    ("_size=max on articles", "/{db}/articles.json?_size=max"),
    ("CSV _stream=on of a table", "/{db}/articles.csv?_stream=on"),
    ("CSV _stream=on of 1000 rows of 19 MB", "/{db}.csv?sql=" + quote(ROWS_1000 + f"select x, {PAD_19MB} from n") + "&_stream=on"),
]
CONCURRENT = ("3 at once: 40 columns of printf padding", HOSTILE_REQUESTS[4][1], 3)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_kb(pid: int, field: str) -> int:
    """A memory figure (VmHWM, VmRSS) of a process in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def reset_peak(pid: int) -> bool:
    """Start VmHWM again from the current resident size (Linux 4.0+); False when not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def watch(pid: int, limit_kb: int, stop: threading.Event, tripped: list) -> None:
    """Kill process `pid` when its resident size passes `limit_kb` (polled every 20 ms)."""
    while not stop.wait(0.02):
        try:
            rss = memory_kb(pid, "VmRSS")
        except (OSError, RuntimeError):
            return
        if rss > limit_kb:
            tripped.append(rss)
            os.kill(pid, 9)
            return


class KbServer:
    """`kb serve` on a free loopback port, stopped on exit."""

    def __init__(self, db_path: Path):
        self.db_path = db_path
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> KbServer:
        kb = Path(sys.executable).parent / "kb"
        self.process = subprocess.Popen([str(kb), "--db", str(self.db_path), "serve", "--port", str(self.port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.base + "/-/versions.json", timeout=2):
                    return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.process.kill()
                    raise RuntimeError("kb serve did not start") from None
                time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    @property
    def pid(self) -> int:
        return self.process.pid

    def get(self, path: str) -> tuple[int | str, int]:
        """(status, body bytes) of one GET ({db} is the database); the status is the error's name when there is none."""
        path = path.replace("{db}", self.db_path.stem)
        try:
            with urllib.request.urlopen(self.base + path, timeout=REQUEST_TIMEOUT) as response:
                return response.status, len(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, len(exc.read())
        except OSError as exc:
            return type(exc).__name__, 0


def mb(kb: int) -> float:
    return kb / 1024


def run(db_path: Path, kill_above_mb: int = KILL_ABOVE_MB) -> dict:
    results = {}
    with KbServer(db_path) as server:
        stop, tripped = threading.Event(), []
        watcher = threading.Thread(target=watch, args=(server.pid, kill_above_mb * 1024, stop, tripped), daemon=True)
        watcher.start()
        for path in ORDINARY_PAGES * 3:
            status, _ = server.get(path)
            if status != 200:
                raise RuntimeError(f"ordinary page {path} answered {status}")
        baseline = memory_kb(server.pid, "VmHWM")
        print(f"baseline (ordinary pages): peak {mb(baseline):.0f} MB")
        per_request = reset_peak(server.pid)
        print(f"{'request':50} {'status':>7} {'bytes':>11} {'seconds':>8} {'peak MB':>8} {'x base':>7}")
        worst = baseline
        requests = [(label, path, 1) for label, path in HOSTILE_REQUESTS] + [CONCURRENT]
        for label, path, copies in requests:
            start = time.monotonic()
            answers: list = []
            threads = [threading.Thread(target=lambda p=path, out=answers: out.append(server.get(p)))
                       for _ in range(copies)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            seconds = time.monotonic() - start
            if server.process.poll() is not None:
                why = f"killed past {kill_above_mb} MB" if tripped else f"exit {server.process.returncode}"
                print(f"{label:50} server died ({why})")
                results[label] = None
                break
            peak = memory_kb(server.pid, "VmHWM")
            worst = max(worst, peak)
            status = ",".join(str(a[0]) for a in answers)
            size = max(a[1] for a in answers)
            print(f"{label:50} {status:>7} {size:>11,} {seconds:8.1f} {mb(peak):8.0f} {peak / baseline:7.2f}")
            results[label] = peak
            if per_request:
                reset_peak(server.pid)
        stop.set()
        if server.process.poll() is None:
            ordinary, _ = server.get("/{db}/stories")
            print(f"after the attacks /{db_path.stem}/stories answers {ordinary}")
    print(f"peak over all requests: {mb(worst):.0f} MB against a baseline of {mb(baseline):.0f} MB "
          f"({worst / baseline:.2f}x, +{mb(worst - baseline):.0f} MB)"
          + ("" if per_request else " (peaks are cumulative: clear_refs not allowed)"))
    return {"baseline_kb": baseline, "worst_kb": worst, "per_request_kb": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "bench" / "out" / "serve_memory.db")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--articles", type=int, default=4_000)
    parser.add_argument("--kill-above-mb", type=int, default=KILL_ABOVE_MB,
                        help="Kill the server past this resident size (protects the machine).")
    args = parser.parse_args()
    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        print(f"generating {args.db} ({args.events} events, {args.articles} articles)")
        generate(args.db, events=args.events, articles=args.articles, stories=40, seed=11)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    run(args.db, args.kill_above_mb)


if __name__ == "__main__":
    main()
