"""One writer per index directory: an OS file lock held for the whole ingest.

Two ingests into the same index would each build a copy and the later publish would silently
drop the other's documents. The lock lives beside the index (``.<name>.lock``, so the atomic
swap of the directory never replaces it) and is taken with ``fcntl.flock``: the kernel releases
it when its holder dies, however it dies, so a lock left by a killed process is free again at
once. The file records the holder's PID, host and start time for the message to whoever
waits; a record whose PID is gone is named as stale in that message and overwritten.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from anfragen.errors import AnfragenError

DEFAULT_WAIT_S = 5.0
POLL_S = 0.1


class IndexLockedError(AnfragenError):
    """Another process is writing this index; the message names it."""


def lock_path(root: Path) -> Path:
    root = Path(root)
    return root.parent / f".{root.name}.lock"


def read_holder(path: Path) -> dict:
    """The holder record in the lock file; empty when there is none or it is unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def describe(holder: dict) -> str:
    if not holder:
        return "einem anderen Prozess"
    return (f"Prozess {holder.get('pid', '?')} auf {holder.get('host', '?')} "
            f"(gestartet {holder.get('started', '?')}, {holder.get('command', 'ingest')})")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_stale(holder: dict) -> bool:
    """A record of a process on this host that no longer runs (the OS lock is free then)."""
    pid = holder.get("pid")
    return (isinstance(pid, int) and holder.get("host") == socket.gethostname()
            and not pid_alive(pid))


def _try_flock(fd: int) -> bool:
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _write_holder(fd: int, command: str) -> dict:
    holder = {"pid": os.getpid(), "host": socket.gethostname(),
              "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "command": command}
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(holder).encode(), 0)
    os.fsync(fd)
    return holder


@contextmanager
def unless_writing(root: Path) -> Iterator[bool]:
    """True (holding the lock for the block) when no writer runs; False while one does. A
    reader repairing a half-done swap must not race a live writer between its renames."""
    path = lock_path(root)
    if not path.parent.is_dir():
        yield True
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        yield _try_flock(fd)
    finally:
        os.close(fd)


@contextmanager
def writer_lock(root: Path, wait_s: float = DEFAULT_WAIT_S, command: str = "ingest",
                on_stale=None) -> Iterator[dict]:
    """Hold the index's writer lock for the block; wait up to `wait_s` seconds for a running
    writer, then refuse with IndexLockedError naming it. `on_stale(holder)` is told when the
    previous holder died without releasing (its record is taken over)."""
    path = lock_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    held = False
    try:
        deadline = time.monotonic() + wait_s
        while not _try_flock(fd):
            if time.monotonic() >= deadline:
                holder = read_holder(path)
                raise IndexLockedError(
                    f"Index {root} wird gerade von {describe(holder)} geschrieben. "
                    f"Warten, bis dieser Lauf fertig ist, und dann erneut starten "
                    f"(Sperrdatei {path})."
                )
            time.sleep(POLL_S)
        held = True
        previous = read_holder(path)
        if previous and on_stale is not None and is_stale(previous):
            on_stale(previous)
        yield _write_holder(fd, command)
    finally:
        if held:  # a clean release leaves no record that could later be taken for stale
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the descriptor releases the flock
