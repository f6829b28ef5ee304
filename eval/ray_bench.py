"""Passages/s of the embedding on Ray (1 and 2 actors) beside the local path, real model.

Each Ray run starts its actors afresh (one model load each), so it is timed twice: with
`--sample` passages and with one passage per actor; the difference is the steady rate with
start-up taken out, which is what sizes a cluster (passages / (rate per actor x actors)).

    PYTHONPATH=src .venv/bin/python eval/ray_bench.py --index index [--sample 32]

Writes eval/results/ray-ingest-<date>.md with commit and machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import time
from pathlib import Path

import ray

from anfragen.embed.sentence_transformer import load_embedder
from anfragen.index import store
from anfragen.index.directory import Index
from anfragen.index.ray_ingest import RayOptions, embed_on_ray


def ray_seconds(texts: list[str], fingerprint: str, actors: int, batch: int) -> float:
    t0 = time.perf_counter()
    n = sum(len(t) for t, _ in embed_on_ray(texts, fingerprint,
                                            RayOptions(actors=actors, batch_size=batch)))
    assert n == len(texts)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=Path("index"))
    ap.add_argument("--sample", type=int, default=32)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--out", type=Path, default=Path("eval/results"))
    args = ap.parse_args()
    idx = Index.open(args.index)
    texts = store.chunk_texts(idx.conn, args.sample)
    idx.close()
    emb = load_embedder(None, batch_size=args.batch)
    emb.embed_passages(texts[:2])  # model loaded before the clock starts
    t0 = time.perf_counter()
    emb.embed_passages(texts)
    rows = [("local (this process, model loaded)", 1, len(texts) / (time.perf_counter() - t0),
             None)]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        for actors in (1, 2):
            full = ray_seconds(texts, emb.fingerprint, actors, args.batch)
            start = ray_seconds(texts[:actors], emb.fingerprint, actors, args.batch)
            steady = (len(texts) - actors) / max(full - start, 1e-9)
            rows.append((f"Ray, {actors} actor(s)", actors, steady, (full, start)))
    finally:
        ray.shutdown()
    write(args, len(texts), rows)


def write(args, n: int, rows) -> None:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    date = time.strftime("%Y-%m-%d %H:%M")
    lines = [f"# Embedding on Ray beside the local path ({date})", "",
             f"commit {commit} · {platform.machine()}, {os.cpu_count()} CPUs (shared with other "
             f"jobs), {platform.system()} · Python {platform.python_version()} · ray "
             f"{ray.__version__}", "", f"Command: `PYTHONPATH=src .venv/bin/python "
             f"eval/ray_bench.py --index {args.index} --sample {args.sample} --batch "
             f"{args.batch}`; {n} indexed passages, multilingual-e5-small (sentence-"
             "transformers, 384 tokens), local Ray with num_cpus=2 on this machine.", "",
             "| path | actors | passages/s (steady) | per actor | wall s (sample / start-up run) |",
             "|---|---|---|---|---|"]
    for name, actors, rate, walls in rows:
        wall = f"{walls[0]:.1f} / {walls[1]:.1f}" if walls else "-"
        lines.append(f"| {name} | {actors} | {rate:.2f} | {rate / actors:.2f} | {wall} |")
    lines += ["", "Cluster size for an archive: actors = passages / (per-actor rate x hours x "
              "3600); one actor per core."]
    out = args.out / f"ray-ingest-{date[:10]}.md"
    out.write_text("\n".join(lines) + "\n", "utf-8")
    print(out.read_text("utf-8"))


if __name__ == "__main__":
    main()
