"""Progress display for long work (tqdm bars on the terminal)."""

from __future__ import annotations

import sys

PHASES = {"read": "Dokumente lesen", "embed": "Einbetten",
          "sentences": "Sätze einbetten (Passagen)"}


class Bar:
    """One tqdm bar per phase; `update(phase, done, total)` is an ingest Progress callback."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr  # looked up now: sys.stderr may have been replaced
        self.bars: dict = {}

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, *exc) -> None:
        for bar in self.bars.values():
            bar.close()

    def status(self, message: str) -> None:
        from tqdm import tqdm

        tqdm.write(message, file=self.stream)  # on its own line, not inside an open bar

    def update(self, phase: str, done: int, total: int) -> None:
        from tqdm import tqdm

        bar = self.bars.get(phase)
        if bar is None or bar.total != total:
            if bar is not None:
                bar.close()
            bar = tqdm(total=total, desc=PHASES.get(phase, phase), unit=" Stk.",
                       file=self.stream, leave=False, dynamic_ncols=True)
            self.bars[phase] = bar
        bar.update(done - bar.n)
