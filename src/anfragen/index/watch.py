"""Notice, cheaply, that another index was published into a directory a reader has open.

An ingest swaps a whole new directory in; a reader that keeps its old connection goes on
answering from the replaced index (old counts, new documents not found) and its writes fail
on the deleted file. `ManifestWatch.changed()` stats the manifest at most once per
`interval_s` and reads it only when its inode, size or mtime moved; it reports a change when
the manifest's generation (set at every publish, see directory.finish_work_dir) differs.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from anfragen.errors import AnfragenError

from .health import load_manifest

INTERVAL_S = 1.0


def _signature(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def generation_of(manifest: dict) -> str:
    """The publish generation; an older manifest without one is told apart by its time."""
    return str(manifest.get("generation") or manifest.get("updated") or "")


@dataclass
class ManifestWatch:
    path: Path
    generation: str
    interval_s: float = INTERVAL_S
    _sig: tuple | None = None
    _checked: float = field(default_factory=time.monotonic)

    @classmethod
    def start(cls, path: Path, manifest: dict, interval_s: float = INTERVAL_S) -> ManifestWatch:
        return cls(Path(path), generation_of(manifest), interval_s, _signature(Path(path)))

    def changed(self) -> bool:
        """True when a manifest of another generation is in place now (a missing manifest, in
        the middle of a swap, is no change yet)."""
        now = time.monotonic()
        if now - self._checked < self.interval_s:
            return False
        self._checked = now
        sig = _signature(self.path)
        if sig is None or sig == self._sig:
            return False
        self._sig = sig
        try:
            gen = generation_of(load_manifest(self.path))
        except AnfragenError:  # half-written or vanished mid-swap: look again next time
            self._sig = None
            return False
        return gen != self.generation
