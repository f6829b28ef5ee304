"""pypdf vs pypdfium2 on the three real PDFs in tests/data/pdfs, side by side in one run:
median seconds per file over --repeat reads and characters extracted; writes
eval/results/pdf-read-<date>.md (pypdf, no longer a dependency, must be installed for it).
    python eval/pdf_read_bench.py [--repeat 5]"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from anfragen.read import read_pdf

ROOT = Path(__file__).resolve().parents[1]


def with_pypdf(path: Path) -> str:
    from pypdf import PdfReader

    return "\f".join(p.extract_text() or "" for p in PdfReader(str(path)).pages)


def timed(fn, path: Path, repeat: int) -> tuple[float, int]:
    times, n = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        n = len(fn(path))
        times.append(time.perf_counter() - t0)
    return statistics.median(times), n


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=ROOT).stdout.strip()
    rows = ["| file | pypdf s | pypdfium2 s | ratio | pypdf chars | pypdfium2 chars |",
            "|---|---|---|---|---|---|"]
    for f in sorted((ROOT / "tests/data/pdfs").glob("*.pdf")):
        (a, na), (b, nb) = timed(with_pypdf, f, args.repeat), timed(read_pdf, f, args.repeat)
        rows.append(f"| {f.name} | {a:.3f} | {b:.3f} | {a / b:.1f}x | {na} | {nb} |")
    md = "\n".join([
        f"# PDF text extraction: pypdf vs pypdfium2 ({time.strftime('%Y-%m-%d %H:%M')})", "",
        f"commit {commit} · {platform.machine()}, {os.cpu_count()} CPUs (shared, noisy) · "
        f"Python {platform.python_version()} · command `python {' '.join(sys.argv)}`", "",
        f"Median of {args.repeat} reads per file, both in the same run.", "", *rows, ""])
    out = ROOT / "eval/results" / f"pdf-read-{time.strftime('%Y-%m-%d')}.md"
    out.write_text(md, encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
