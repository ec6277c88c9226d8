"""An exclusive, crash-safe lock so that overlapping cron runs never both write."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
from pathlib import Path

from kb.db import utcnow
from kb.errors import DatabaseError, LockHeld

log = logging.getLogger(__name__)


def lock_path_for(db_path: str | Path) -> Path:
    """The lock file that guards writes to `db_path`."""
    return Path(f"{db_path}.lock")


class IngestLock:
    """flock(2)-based lock on `<db>.lock`; the kernel frees it when its holder dies.

    The file also records who holds it, so a second run can say which run is in the way,
    and a record left by a killed run is recognised as stale and taken over.
    """

    def __init__(self, db_path: str | Path):
        self.path = lock_path_for(db_path)
        self.fh = None
        self.previous_holder: dict | None = None

    def read_holder(self) -> dict | None:
        try:
            return json.loads(self.path.read_text() or "null")
        except (OSError, ValueError):
            return None

    def acquire(self, **info) -> None:
        """Take the lock or raise LockHeld naming the holder."""
        try:
            self.fh = open(self.path, "a+")  # noqa: SIM115 - held for the lock's lifetime
        except OSError as exc:
            raise DatabaseError(f"cannot open the lock file {self.path}: {exc.strerror or exc} "
                                "(the database's directory must be writable)") from None
        try:
            fcntl.flock(self.fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self.read_holder() or {}
            self.fh.close()
            self.fh = None
            who = ", ".join(f"{k} {v}" for k, v in holder.items() if k in ("run", "pid", "host", "started_at"))
            raise LockHeld(
                f"another ingest run holds {self.path} ({who or 'holder unknown'}); "
                "it will release the lock when it finishes"
            ) from None
        stale = self.read_holder()
        if stale and stale.get("pid"):
            self.previous_holder = stale
            log.warning("taking over a stale lock left by pid %s (run %s)", stale.get("pid"), stale.get("run"))
        self.write_holder(**info)

    def write_holder(self, **info) -> None:
        record = {"pid": os.getpid(), "host": socket.gethostname(), "started_at": utcnow(), **info}
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(json.dumps(record))
        self.fh.flush()

    def release(self) -> None:
        if self.fh is None:
            return
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.flush()
        fcntl.flock(self.fh.fileno(), fcntl.LOCK_UN)
        self.fh.close()
        self.fh = None

    def __enter__(self) -> IngestLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
