"""What every evaluation and benchmark report shares: provenance (commit, date, machine,
model, index, command), percentiles, timing, peak RSS and the report files themselves."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path


def provenance(engine) -> dict:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=5).stdout.strip()
    except OSError:
        commit = ""
    m = engine.index.manifest
    return {
        "commit": commit,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}",
        "python": platform.python_version(),
        "model": m["model"]["id"],
        "model_fingerprint": m["model"]["fingerprint"][:16],
        "index_fingerprint": m.get("corpus_fingerprint", "")[:16],
        "chunker": m.get("chunker"),
        "command": " ".join(["anfragen", *sys.argv[1:]]),
    }


def timed(fn, *args, **kw) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return (time.perf_counter() - t0) * 1000, out


def disk_size(folder: Path) -> dict:
    return {p.name: p.stat().st_size for p in sorted(folder.iterdir()) if p.is_file()}


def write_report(out: Path, name: str, result: dict, render) -> str:
    """`<name>-<date>.json` and `.md` (the Markdown from `render`) in `out`; returns the
    Markdown. Every `anfragen bench` report is written this way."""
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d")
    (out / f"{name}-{stamp}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    md = render(result)
    (out / f"{name}-{stamp}.md").write_text(md)
    return md


def provenance_line(p: dict) -> str:
    """The line under a report's title: commit, machine, Python, model and command."""
    return (f"commit {p['commit']} · {p['machine']} · Python {p['python']} · model "
            f"{p['model']} · command `{p['command']}`")


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))]


def peak_rss_mb() -> int:
    """Peak RSS of this process. VmHWM, because ru_maxrss survives exec and would report
    the parent's peak in a spawned child."""
    hwm = _proc_status_mb("VmHWM:")
    if hwm is not None:
        return round(hwm)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def rss_mb() -> float | None:
    """Current resident set size (Linux /proc), None elsewhere."""
    return _proc_status_mb("VmRSS:")


def _proc_status_mb(key: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None
