"""An exclusive, crash-safe lock so that overlapping cron runs never both write."""

from __future__ import annotations

import ctypes
import fcntl
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
import weakref
from pathlib import Path

from kb.core.errors import DatabaseError, LockHeld
from kb.core.time import utcnow

log = logging.getLogger(__name__)

# Locks held by this process; a forked child (a worker of a process pool) closes its copies.
_held: weakref.WeakSet[IngestLock] = weakref.WeakSet()


def lock_path_for(db_path: str | Path) -> Path:
    """The lock file that guards writes to `db_path`: next to the real file, whatever path names it.

    Two paths to one database (a symlink, `..`, a relative path) give one lock file.
    """
    return Path(f"{os.path.realpath(db_path)}.lock")


class IngestLock:
    """flock(2)-based lock on `<db>.lock`; the kernel frees it when its holder dies.

    The file also records who holds it, so a second run can say which run is in the way,
    and a record left by a killed run is recognised as stale and taken over.

    A flock belongs to the open file, which a fork shares: processes forked while the lock is
    held (process-pool workers) close their copy at once (see `_close_in_child`), or they
    would keep the lock after this process is killed.
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
            raise LockHeld(self.held_message(holder)) from None
        _held.add(self)
        # flock succeeded, so no process holds the lock: a record left in the file is stale.
        stale = self.read_holder()
        if stale and stale.get("pid"):
            self.previous_holder = stale
            log.warning("taking over a stale lock left by pid %s (run %s)", stale.get("pid"),
                        stale.get("run"))
        self.write_holder(**info)

    def held_message(self, holder: dict) -> str:
        """Why the lock cannot be taken: the run holding it, or the leftover process of a dead run."""
        who = ", ".join(f"{k} {v}" for k, v in holder.items() if k in ("run", "pid", "host", "started_at"))
        pid = holder.get("pid")
        if isinstance(pid, int) and holder.get("host", socket.gethostname()) == socket.gethostname() \
                and not pid_running(pid):
            others = sorted(open_by(self.path) - {os.getpid()})
            named = (f"process {', '.join(map(str, others))} still has it open (a leftover of that run, "
                     f"such as an orphaned worker): stop it (kill {' '.join(map(str, others))}) and run again"
                     if others else
                     "another process still has it open (`fuser` names it): stop that process and run again")
            return f"{self.path} is locked, but the run that took it ({who}) is no longer running; {named}"
        return (f"another ingest run holds {self.path} ({who or 'holder unknown'}); "
                "it will release the lock when it finishes")

    def write_holder(self, **info) -> None:
        record = {"pid": os.getpid(), "host": socket.gethostname(), "started_at": utcnow(), **info}
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(json.dumps(record))
        self.fh.flush()

    def release(self) -> None:
        if self.fh is None:
            return
        _held.discard(self)
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


def _close_in_child() -> None:
    """After a fork: close this process's copies of the held locks' files, without unlocking them.

    (LOCK_UN here would release the parent's lock too; closing one copy of the file does not.)
    """
    for lock in list(_held):
        if lock.fh is not None:
            try:
                lock.fh.close()  # its buffer is empty: write_holder flushes
            except OSError:
                pass
            lock.fh = None
    _held.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_in_child)


def pid_running(pid: int) -> bool:
    """Whether a process with this pid runs on this host (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] not in "ZX"


def open_by(path: Path) -> set[int]:
    """Pids of the processes (of this user, on Linux) that have `path` open."""
    target = os.path.realpath(path)
    pids = set()
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return pids
    for entry in entries:
        try:
            fds = os.listdir(f"/proc/{entry}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{entry}/fd/{fd}") == target:
                    pids.add(int(entry))
                    break
            except OSError:
                continue
    return pids


def die_with_parent(parent_pid: int | None) -> None:
    """Process-pool initializer: end this worker when the process that started it dies.

    A worker killed with its run cannot go on holding files of the run (or the CPU). On Linux
    the kernel sends SIGKILL when the parent exits (prctl PR_SET_PDEATHSIG); elsewhere a thread
    watches the parent pid. `parent_pid` is the expected parent (None for fork-server workers,
    whose parent is the fork server): a parent already gone before this ran ends the worker too.
    """
    watched = os.getppid()
    if not _set_parent_death_signal():
        threading.Thread(target=_watch_parent, args=(watched,), daemon=True, name="newskb-parent").start()
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)


def _set_parent_death_signal() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(1, int(signal.SIGKILL), 0, 0, 0) == 0  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)
